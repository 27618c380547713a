// redeye: eBPF RED and USE metrics for every service on the host, no instrumentation.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <optional>

#include "agent/agent.h"
#include "config/config.h"
#include "config/config_loader.h"

extern char** environ;

#ifndef REDEYE_VERSION
#define REDEYE_VERSION "0.0.0"
#endif

namespace {

std::atomic<bool> g_stop{false};

void request_stop(int) { g_stop.store(true); }

// Command-line settings: they override the file and the environment when given.
struct Flags {
  std::string config_path;
  std::optional<std::string> listen;
  std::optional<std::string> log_level;
  std::optional<uint32_t> capture_bytes;
  std::optional<uint32_t> max_connections;
  std::optional<uint32_t> route_limit;
  std::optional<uint32_t> server_port_limit;
  std::optional<uint32_t> ring_buffer_bytes;
  bool empty_probes = false;
  bool follow_all = false;
  bool stay_up_on_error = false;

  void apply(redeye::Config& config) const {
    if (listen) config.listen = *listen;
    if (log_level) config.log_level = *log_level;
    if (capture_bytes) config.capture_bytes = *capture_bytes;
    if (max_connections) config.max_connections = *max_connections;
    if (route_limit) config.route_limit = *route_limit;
    if (server_port_limit) config.server_port_limit = *server_port_limit;
    if (ring_buffer_bytes) config.ring_buffer_bytes = *ring_buffer_bytes;
    config.empty_probes = empty_probes;
    config.follow_all_processes = follow_all;
  }
};

void add_agent_options(CLI::App& cmd, Flags& flags) {
  cmd.add_option("--config", flags.config_path, "YAML configuration file (default: embedded)");
  cmd.add_option("--listen", flags.listen, "Address serving /metrics, HOST:PORT or :PORT [:9464]");
  cmd.add_option("--log-level", flags.log_level, "trace, debug, info, warn or error [info]");
  cmd.add_option("--capture-bytes", flags.capture_bytes,
                 "Payload prefix copied per syscall on HTTP connections, 1-8192 [4096]");
  cmd.add_option("--max-connections", flags.max_connections, "Connections tracked at once [65536]");
  cmd.add_option("--route-limit", flags.route_limit,
                 "Distinct http_route values per service before folding into _OTHER [100]");
  cmd.add_option("--server-port-limit", flags.server_port_limit,
                 "Distinct server_port values per service before folding into _OTHER [16]");
  cmd.add_option("--ring-buffer-bytes", flags.ring_buffer_bytes,
                 "Kernel ring buffer size, a power of two [8388608]");
  cmd.add_flag("--stay-up-on-error", flags.stay_up_on_error,
               "On a config or kernel error keep running and report it on /healthz (503)");
  cmd.add_flag("--follow-all-processes", flags.follow_all,
               "Follow every process, not only discovered services (benchmarks, debugging)");
  cmd.add_flag("--bench-empty-probes", flags.empty_probes,
               "Attach the probes with programs that do nothing (benchmark floor)")
      ->group("");
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  CLI::App app{"redeye: eBPF RED and USE metrics for every service on this host"};
  app.require_subcommand(0, 1);
  auto* run = app.add_subcommand("run", "Run the agent (default)");
  auto* check = app.add_subcommand(
      "check", "Validate the configuration, report kernel features and probes, then exit");
  auto* version = app.add_subcommand("version", "Print the version");
  auto* defaults = app.add_subcommand("default-config", "Print the embedded default configuration");
  add_agent_options(app, flags);
  add_agent_options(*run, flags);
  add_agent_options(*check, flags);
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
  if (*defaults) {
    std::fputs(redeye::embedded_default_config_yaml(), stdout);
    return 0;
  }
  auto logger = spdlog::stderr_color_mt("redeye");
  spdlog::set_default_logger(logger);

  redeye::Config config;
  std::string config_error;
  try {
    config = redeye::load_config(flags.config_path, redeye::environment_from(environ));
    flags.apply(config);
    config_error = redeye::validate(config);
  } catch (const redeye::ConfigError& e) {
    config_error = e.what();
  }
  if (!config_error.empty()) {
    const bool report_on_healthz = *run && flags.stay_up_on_error;
    if (!report_on_healthz) {
      std::fprintf(stderr, "redeye: config: %s\n", config_error.c_str());
      return 2;
    }
    // Serve /healthz with the error from the defaults (plus a valid --listen, if given).
    config = redeye::Config{};
    flags.apply(config);
    if (!redeye::validate(config).empty()) config = redeye::Config{};
    config_error = "config: " + config_error;
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  for (const auto& name : redeye::unknown_redeye_variables(redeye::environment_from(environ))) {
    spdlog::warn("environment: {} is not a redeye setting and is ignored", name);
  }
  if (*check && !flags.config_path.empty()) {
    // Validating a file must work anywhere (CI, a laptop): no probes, no privileges.
    std::printf("config %s: ok (%zu service rules, %zu exclusions)\n", flags.config_path.c_str(),
                config.services.size(), config.exclude.size());
    return 0;
  }
  if (*check) return redeye::run_check(config);

  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  std::signal(SIGPIPE, SIG_IGN);
  return redeye::run_agent(config, {flags.stay_up_on_error, config_error}, g_stop);
}
