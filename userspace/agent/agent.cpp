#include "agent/agent.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "agent/event_dispatcher.h"
#include "agent/series_reaper.h"
#include "bpf/kernel_probes.h"
#include "bpf/process_sockets.h"
#include "bpf/ring_buffer_reader.h"
#include "conn/connection_table.h"
#include "discovery/service_registry.h"
#include "metrics/self_metrics.h"
#include "metrics/service_use_collector.h"
#include "metrics/single_writer.h"
#include "protocols/protocol.h"
#include "system/kernel_features.h"
#include "web/metrics_server.h"

namespace redeye {
namespace {

constexpr int kPollTimeoutMs = 50;
// A full /proc rescan backs up the event-driven discovery (events can be dropped).
constexpr auto kRescanInterval = std::chrono::minutes(5);

// Checks that must pass before loading anything: empty, or the first failure as one line.
std::string preflight() {
  for (const FeatureCheck& check : {check_btf(), check_capabilities(), ensure_tracefs()}) {
    if (!check.ok) return check.name + ": " + check.detail;
  }
  return "";
}

// The node's name. In a Kubernetes pod gethostname() is the pod's name, which changes with
// every rollout: the DaemonSet passes spec.nodeName as NODE_NAME instead.
std::string host_name() {
  if (const char* node = std::getenv("NODE_NAME"); node && *node) return node;
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "localhost";
  return name;
}

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

uint64_t total_kernel_drops(const KernelProbes& probes) {
  uint64_t total = 0;
  for (uint64_t n : probes.drop_counts()) total += n;
  return total;
}

// Runs USE rounds and discovery rescans until stopped. Rescans when the kernel reports lost
// events (a process event may have been among them) and every kRescanInterval.
class UseLoop {
 public:
  UseLoop(const Config& config, ServiceUseCollector& use, ServiceRegistry& services,
          const KernelProbes& probes)
      : thread_([this, &config, &use, &services, &probes] { run(config, use, services, probes); }) {
  }
  ~UseLoop() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void run(const Config& config, ServiceUseCollector& use, ServiceRegistry& services,
           const KernelProbes& probes) {
    uint64_t drops_seen = total_kernel_drops(probes);
    auto last_scan = std::chrono::steady_clock::now();
    const auto interval = std::chrono::milliseconds(config.discovery.use_interval_ms);
    std::unique_lock lock(mutex_);
    while (!stop_) {
      lock.unlock();
      const uint64_t drops = total_kernel_drops(probes);
      if (drops != drops_seen || std::chrono::steady_clock::now() - last_scan > kRescanInterval) {
        services.scan();
        drops_seen = drops;
        last_scan = std::chrono::steady_clock::now();
      }
      use.collect(monotonic_seconds());
      lock.lock();
      wake_.wait_for(lock, interval, [this] { return stop_; });
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

std::unique_ptr<web::MetricsServer> start_server(const Config& config) {
  web::ServerOptions options;
  options.listen = normalize_listen_address(config.listen);
  options.tls_cert_file = config.web.tls_cert_file;
  options.tls_key_file = config.web.tls_key_file;
  if (!config.web.basic_auth_username.empty()) {
    options.auth = web::Credentials{config.web.basic_auth_username,
                                    web::read_password_file(config.web.basic_auth_password_file)};
  }
  auto server = std::make_unique<web::MetricsServer>(options);
  spdlog::info("serving {}://{}/metrics{}", options.tls_cert_file.empty() ? "http" : "https",
               options.listen, options.auth ? " (basic auth)" : "");
  return server;
}

// What the agent does when it cannot run: exit, or (--stay-up-on-error) keep answering
// /healthz with the reason until stopped, so an orchestrator shows it instead of a crash loop.
int fail(const std::string& reason, web::MetricsServer* server, const RunOptions& options,
         const std::atomic<bool>& stop) {
  spdlog::error("{}", reason);
  if (!options.stay_up_on_error || !server) return 1;
  server->set_unready(reason);
  spdlog::info("staying up (--stay-up-on-error): /healthz reports the error");
  while (!stop.load(std::memory_order_relaxed)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return 1;
}

// The kernel's capture limit is global: a services[].users.capture_bytes above capture_bytes
// raises it for every HTTP connection.
Config probe_config(const Config& config, bool log) {
  Config probes = config;
  probes.capture_bytes = effective_capture_bytes(config);
  if (log && probes.capture_bytes != config.capture_bytes) {
    spdlog::info(
        "capture_bytes raised from {} to {} for services[].users.capture_bytes (the kernel's "
        "limit is global: it applies to every HTTP connection)",
        config.capture_bytes, probes.capture_bytes);
  }
  return probes;
}

}  // namespace

int run_agent(const Config& config, const RunOptions& options, const std::atomic<bool>& stop) {
  std::unique_ptr<web::MetricsServer> server;
  try {
    server = start_server(config);
  } catch (const web::ServerError& e) {
    if (!options.stay_up_on_error) {
      spdlog::error("{}", e.what());
      return 1;
    }
    // Broken TLS or password files: still tell the orchestrator why, over plain HTTP.
    Config plain = config;
    plain.web = WebConfig{};
    try {
      server = start_server(plain);
    } catch (const web::ServerError&) {
      spdlog::error("{}", e.what());
      return 1;
    }
    return fail(e.what(), server.get(), options, stop);
  }
  if (!options.config_error.empty()) return fail(options.config_error, server.get(), options, stop);
  if (std::string reason = preflight(); !reason.empty()) {
    return fail(reason, server.get(), options, stop);
  }
  route_libbpf_logs_to_spdlog();
  std::optional<KernelProbes> probes_holder;
  try {
    probes_holder.emplace(probe_config(config, true));
  } catch (const ProbeError& e) {
    return fail(e.what(), server.get(), options, stop);
  }
  KernelProbes& probes = *probes_holder;
  try {
    probes.load();
    probes.ignore_process(static_cast<uint32_t>(getpid()));
    probes.attach();
  } catch (const ProbeError& e) {
    return fail(e.what(), server.get(), options, stop);
  }
  spdlog::info("{} probes attached, socket I/O seen by {}{}", probes.tracepoints().size(),
               io_hooks_name(probes.io_hooks()),
               config.empty_probes ? " (empty programs: benchmark floor)" : "");

  ServiceRegistry services(config, discovery::ProcfsReader("/proc"),
                           {[&probes](uint32_t tgid) { return probes.follow_process(tgid); },
                            [&probes](uint32_t tgid) { probes.unfollow_process(tgid); },
                            [&probes](uint32_t tgid) { probes.unfollow_listener(tgid); }},
                           static_cast<uint32_t>(getpid()), host_name());
  const auto scan_start = std::chrono::steady_clock::now();
  const size_t followed = services.scan();
  spdlog::info("discovery: {} processes in {} services ({} ms)", followed,
               services.members().size(),
               std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - scan_start)
                   .count());

  ServiceUseCollector::Sources use_sources;
  use_sources.members = [&services] { return services.members(); };
  for (const ServiceRule& rule : config.services)
    use_sources.storage_paths.push_back(rule.storage_paths);
  use_sources.tcp_counters = [&probes] { return probes.process_tcp_counters(); };
  use_sources.forget_tcp_counters = [&probes](uint32_t tgid) {
    probes.forget_process_counters(tgid);
  };
  std::unique_ptr<ProcessSocketReader> socket_reader;
  try {
    std::string why_proc;
    socket_reader = open_socket_reader(config.discovery.connection_counts, why_proc);
    if (socket_reader) {
      use_sources.held_sockets = [&socket_reader](uint32_t pid) {
        return socket_reader->of_process(pid);
      };
    } else {
      spdlog::info("connection counts come from /proc/<pid>/net/tcp: {}", why_proc);
    }
  } catch (const ProbeError& e) {
    return fail(e.what(), server.get(), options, stop);
  }
  auto registry = std::make_shared<metrics::Registry>();
  auto self = std::make_shared<SelfMetrics>(SelfMetrics::KernelView{
      [&probes] { return probes.drop_counts(); }, [&probes] { return probes.stat_counts(); },
      [&probes] { return probes.map_memory_bytes(); },
      std::string(to_string(probes.io_hooks() == IoHooks::kSocketTracepoints
                                ? IoHooksSetting::kSocket
                                : IoHooksSetting::kSyscalls)),
      std::string(to_string(use_sources.held_sockets ? ConnectionCountsSetting::kIterator
                                                     : ConnectionCountsSetting::kProc))});
  auto use = std::make_shared<ServiceUseCollector>(config.discovery, std::move(use_sources));
  auto serve = [&server](std::weak_ptr<prometheus::Collectable> collectable) {
    server->add(std::move(collectable));
  };
  const protocols::ProtocolHandlers handlers =
      protocols::create_handlers({*registry, *self, config, serve});
  ConnectionTable table(config.max_connections, services, handlers.by_kernel_id, *self,
                        config.follow_all_processes);
  EventDispatcher dispatch(table, services, *use, *self);
  SeriesReaper reaper({services, table, handlers.all(), *registry, use.get(), *self},
                      std::chrono::milliseconds(config.series_expiry_ms));
  RingBufferReader reader(probes.events_fd(),
                          [&dispatch](auto record) { dispatch.dispatch(record); });
  UseLoop use_loop(config, *use, services, probes);

  server->add(registry);
  server->add(self);
  server->add(use);
  server->set_ready();

  while (!stop.load(std::memory_order_relaxed)) {
    int n = reader.poll_and_drain(kPollTimeoutMs);
    if (n < 0) {
      spdlog::error("reading the ring buffer failed: {}", std::strerror(-n));
      return 1;
    }
    reaper.tick();
  }
  spdlog::info("stopping");
  server->set_unready("stopping");
  return 0;
}

int run_check(const Config& config) {
  bool ok = true;
  auto report = [&ok](const FeatureCheck& check) {
    std::printf("%-13s %-4s %s\n", check.name.c_str(), check.ok ? "ok" : "FAIL",
                check.detail.c_str());
    ok = ok && check.ok;
  };
  std::printf("kernel        %s\n", kernel_release().c_str());
  std::printf("config       ok   %zu service rules, %zu exclusions\n", config.services.size(),
              config.exclude.size());
  report(check_btf());
  report(check_capabilities());
  report(ensure_tracefs());
  route_libbpf_logs_to_spdlog();
  try {
    KernelProbes probes(probe_config(config, false));
    const auto tracepoints = probes.tracepoints();
    report(check_tracepoints(tracepoints));
    std::printf("%-13s %-4s %s\n", "io hooks", "ok", io_hooks_name(probes.io_hooks()));
    for (const auto& tp : tracepoints) std::printf("  probe       %s\n", tp.c_str());
    if (ok) {
      probes.load();
      report({"verifier", true, "all programs loaded"});
    }
  } catch (const ProbeError& e) {
    report({"verifier", false, e.what()});
  }
  if (ok) {
    // Optional unless asked for: without it the USE collector counts from /proc.
    try {
      std::string why_proc;
      if (open_socket_reader(config.discovery.connection_counts, why_proc)) {
        std::printf("%-13s %-4s %s\n", "connections", "ok",
                    "counted by a BPF iterator over each service's sockets");
      } else {
        const bool asked = config.discovery.connection_counts == ConnectionCountsSetting::kProc;
        std::printf("%-13s %-4s counted from /proc/<pid>/net/tcp (%s)\n", "connections",
                    asked ? "ok" : "warn", why_proc.c_str());
      }
    } catch (const ProbeError& e) {
      report({"connections", false, e.what()});
    }
  }
  std::printf("%s\n", ok ? "redeye can run here" : "redeye cannot run here: see FAIL above");
  return ok ? 0 : 1;
}

}  // namespace redeye
