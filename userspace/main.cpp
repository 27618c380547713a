// redeye: eBPF RED metrics for every HTTP server on the host, no instrumentation.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <cstdio>

#include "agent/agent.h"
#include "config/config.h"

#ifndef REDEYE_VERSION
#define REDEYE_VERSION "0.0.0"
#endif

namespace {

std::atomic<bool> g_stop{false};

void request_stop(int) { g_stop.store(true); }

void add_agent_options(CLI::App& cmd, redeye::Config& config) {
  cmd.add_option("--listen", config.listen, "Address serving /metrics, HOST:PORT or :PORT")
      ->capture_default_str();
  cmd.add_option("--log-level", config.log_level, "trace, debug, info, warn or error")
      ->capture_default_str();
  cmd.add_option("--capture-bytes", config.capture_bytes,
                 "Payload prefix copied per syscall on HTTP connections (1-8192)")
      ->capture_default_str();
  cmd.add_option("--max-connections", config.max_connections, "Connections tracked at once")
      ->capture_default_str();
  cmd.add_option("--route-limit", config.route_limit,
                 "Distinct http_route values per service before folding into _OTHER")
      ->capture_default_str();
  cmd.add_option("--ring-buffer-bytes", config.ring_buffer_bytes,
                 "Kernel ring buffer size (power of two)")
      ->capture_default_str();
  cmd.add_flag("--bench-empty-probes", config.empty_probes,
               "Attach the probes with programs that do nothing (benchmark floor)")
      ->group("");
}

}  // namespace

int main(int argc, char** argv) {
  redeye::Config config;
  CLI::App app{"redeye: eBPF RED metrics for every HTTP server on this host"};
  app.require_subcommand(0, 1);
  auto* run = app.add_subcommand("run", "Run the agent (default)");
  auto* check = app.add_subcommand("check", "Report the kernel features and probes, then exit");
  auto* version = app.add_subcommand("version", "Print the version");
  add_agent_options(app, config);
  add_agent_options(*run, config);
  add_agent_options(*check, config);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "redeye: %s (see redeye --help)\n", e.what());
    return 2;
  }

  if (*version) {
    std::printf("redeye %s\n", REDEYE_VERSION);
    return 0;
  }
  auto logger = spdlog::stderr_color_mt("redeye");
  spdlog::set_default_logger(logger);
  if (std::string error = redeye::validate(config); !error.empty()) {
    std::fprintf(stderr, "redeye: invalid setting %s\n", error.c_str());
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  if (*check) return redeye::run_check(config);

  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  std::signal(SIGPIPE, SIG_IGN);
  return redeye::run_agent(config, g_stop);
}
