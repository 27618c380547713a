#include "agent/agent.h"

#include <prometheus/exposer.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <variant>

#include "bpf/event_decoder.h"
#include "bpf/ring_buffer_reader.h"
#include "bpf/socket_probes.h"
#include "conn/connection_table.h"
#include "discovery/service_namer.h"
#include "metrics/http_server_metrics.h"
#include "metrics/self_metrics.h"
#include "system/kernel_features.h"

namespace redeye {
namespace {

constexpr int kPollTimeoutMs = 50;

// Feeds one ring-buffer record to the connection table.
class EventDispatcher {
 public:
  EventDispatcher(ConnectionTable& table, SelfMetrics& self) : table_(table), self_(self) {}

  void operator()(std::span<const uint8_t> record) {
    std::visit(*this, decode_event(record));
    self_.set_connections_tracked(table_.size());
  }
  void operator()(MalformedEvent) { self_.dropped(UserDrop::kMalformedEvent); }
  void operator()(const redeye_conn_open_event* ev) {
    self_.event_received(EventKind::kConnOpen);
    table_.on_open(*ev);
  }
  void operator()(const DataEvent& ev) {
    self_.event_received(EventKind::kData);
    table_.on_data(*ev.header, ev.payload);
  }
  void operator()(const redeye_conn_close_event* ev) {
    self_.event_received(EventKind::kConnClose);
    table_.on_close(*ev);
  }
  void operator()(const redeye_event_header* ev) {
    self_.event_received(EventKind::kProcessExit);
    table_.on_process_exit(ev->tgid, ev->ts_ns);
  }

 private:
  ConnectionTable& table_;
  SelfMetrics& self_;
};

// Checks that must pass before loading anything; logs the first failure as one line.
bool preflight() {
  for (const FeatureCheck& check : {check_btf(), check_capabilities(), ensure_tracefs()}) {
    if (!check.ok) {
      spdlog::error("{}: {}", check.name, check.detail);
      return false;
    }
  }
  return true;
}

}  // namespace

int run_agent(const Config& config, const std::atomic<bool>& stop) {
  if (!preflight()) return 1;
  route_libbpf_logs_to_spdlog();
  SocketProbes probes(config);
  try {
    probes.load();
    probes.ignore_process(static_cast<uint32_t>(getpid()));
    probes.attach();
  } catch (const ProbeError& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  spdlog::info("{} probes attached{}", probes.tracepoints().size(),
               config.empty_probes ? " (empty programs: benchmark floor)" : "");

  auto registry = std::make_shared<prometheus::Registry>();
  auto self = std::make_shared<SelfMetrics>(SelfMetrics::KernelView{
      [&probes] { return probes.drop_counts(); }, [&probes] { return probes.stat_counts(); },
      [&probes] { return probes.map_memory_bytes(); }});
  HttpServerMetrics http(*registry, config.route_limit, *self);
  ServiceNamer namer;
  ConnectionTable table(config.max_connections, namer, http, *self);
  EventDispatcher dispatch(table, *self);
  RingBufferReader reader(probes.events_fd(), [&dispatch](auto record) { dispatch(record); });

  const std::string address = normalize_listen_address(config.listen);
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(address, 2);
  } catch (const std::exception&) {
    spdlog::error("listen: cannot serve metrics on {}: the port is in use or the address is not "
                  "local (pick another with --listen HOST:PORT)",
                  address);
    return 1;
  }
  exposer->RegisterCollectable(registry);
  exposer->RegisterCollectable(self);
  spdlog::info("serving http://{}/metrics", address);

  while (!stop.load(std::memory_order_relaxed)) {
    int n = reader.poll_and_drain(kPollTimeoutMs);
    if (n < 0) {
      spdlog::error("reading the ring buffer failed: {}", std::strerror(-n));
      return 1;
    }
  }
  spdlog::info("stopping");
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
  report(check_btf());
  report(check_capabilities());
  report(ensure_tracefs());
  route_libbpf_logs_to_spdlog();
  try {
    SocketProbes probes(config);
    const auto tracepoints = probes.tracepoints();
    report(check_tracepoints(tracepoints));
    for (const auto& tp : tracepoints) std::printf("  probe       tracepoint/%s\n", tp.c_str());
    if (ok) {
      probes.load();
      report({"verifier", true, "all programs loaded"});
    }
  } catch (const ProbeError& e) {
    report({"verifier", false, e.what()});
  }
  std::printf("%s\n", ok ? "redeye can run here" : "redeye cannot run here: see FAIL above");
  return ok ? 0 : 1;
}

}  // namespace redeye
