#include "metrics/self_metrics.h"

#include <string>
#include <utility>

namespace redeye {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr const char* kKernelDropNames[REDEYE_DROP_MAX] = {
    "ringbuf_full", "syscall_stash_full", "kernel_connection_table_full", "payload_read_failed"};
constexpr const char* kUserDropNames[static_cast<int>(UserDrop::kCount)] = {
    "malformed_event", "unknown_connection", "connection_table_full"};
constexpr const char* kEventNames[static_cast<int>(EventKind::kCount)] = {
    "conn_open", "data", "conn_close", "process_exit"};
// Indexed by http::HttpAnomaly.
constexpr const char* kHttpAnomalyNames[kHttpAnomalyCount] = {
    "partial_message_dropped", "malformed_request", "malformed_response", "capture_gap",
    "unmatched_response",      "head_too_large",    "too_many_pipelined"};

ClientMetric sample(double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  m.counter.value = value;
  m.gauge.value = value;
  return m;
}

MetricFamily family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

}  // namespace

SelfMetrics::SelfMetrics(KernelView kernel) : kernel_(std::move(kernel)) {}

std::vector<MetricFamily> SelfMetrics::Collect() const {
  std::vector<MetricFamily> out;

  auto received = family("redeye_events_received_total",
                         "Events read from the kernel ring buffer, by type.", MetricType::Counter);
  for (int i = 0; i < static_cast<int>(EventKind::kCount); i++) {
    received.metric.push_back(sample(received_[i].load(), {{"type", kEventNames[i]}}));
  }
  out.push_back(std::move(received));

  auto dropped = family("redeye_events_dropped_total",
                        "Events lost, by reason (kernel and userspace).", MetricType::Counter);
  DropCounts kdrops{};
  if (kernel_.drops) kdrops = kernel_.drops();
  for (int i = 0; i < REDEYE_DROP_MAX; i++) {
    dropped.metric.push_back(sample(static_cast<double>(kdrops[i]), {{"reason", kKernelDropNames[i]}}));
  }
  for (int i = 0; i < static_cast<int>(UserDrop::kCount); i++) {
    dropped.metric.push_back(sample(user_drops_[i].load(), {{"reason", kUserDropNames[i]}}));
  }
  out.push_back(std::move(dropped));

  auto parse = family("redeye_parse_errors_total",
                      "Bytes the protocol parsers skipped, by protocol and kind.", MetricType::Counter);
  for (int i = 0; i < kHttpAnomalyCount; i++) {
    parse.metric.push_back(
        sample(http_anomalies_[i].load(), {{"protocol", "http"}, {"kind", kHttpAnomalyNames[i]}}));
  }
  out.push_back(std::move(parse));

  auto conns = family("redeye_connections_tracked", "TCP connections the agent tracks now.",
                      MetricType::Gauge);
  conns.metric.push_back(sample(static_cast<double>(connections_.load())));
  out.push_back(std::move(conns));

  auto routes = family("redeye_http_route_overflow_total",
                       "Requests whose route was folded into _OTHER by the per-service route limit.",
                       MetricType::Counter);
  routes.metric.push_back(sample(static_cast<double>(route_overflows_.load())));
  out.push_back(std::move(routes));

  if (kernel_.stats) {
    StatCounts stats = kernel_.stats();
    auto syscalls = family("redeye_kernel_socket_syscalls_total",
                           "TCP socket syscalls of followed processes seen by the probes.",
                           MetricType::Counter);
    syscalls.metric.push_back(sample(static_cast<double>(stats[REDEYE_STAT_SYSCALLS_SEEN])));
    out.push_back(std::move(syscalls));
    auto truncated = family("redeye_payload_bytes_not_captured_total",
                            "Payload bytes beyond the capture limit (or sent by sendfile), counted "
                            "but not copied.",
                            MetricType::Counter);
    truncated.metric.push_back(sample(static_cast<double>(stats[REDEYE_STAT_BYTES_TRUNCATED])));
    out.push_back(std::move(truncated));
    auto classified = family("redeye_connections_classified_total",
                             "Connections classified by the kernel, by protocol.", MetricType::Counter);
    classified.metric.push_back(
        sample(static_cast<double>(stats[REDEYE_STAT_CONN_CLASSIFIED]), {{"protocol", "http1"}}));
    classified.metric.push_back(
        sample(static_cast<double>(stats[REDEYE_STAT_CONN_UNCLASSIFIED]), {{"protocol", "other"}}));
    out.push_back(std::move(classified));
  }
  if (kernel_.map_memory_bytes) {
    auto mem = family("redeye_bpf_map_memory_bytes", "Kernel memory charged for the BPF maps.",
                      MetricType::Gauge);
    mem.metric.push_back(sample(static_cast<double>(kernel_.map_memory_bytes())));
    out.push_back(std::move(mem));
  }
  return out;
}

}  // namespace redeye
