#include "metrics/self_metrics.h"

#include <string>

#include "metrics/family_builder.h"

namespace redeye {
namespace {

constexpr const char* kKernelDropNames[REDEYE_DROP_MAX] = {
    "ringbuf_full",        "syscall_stash_full",  "kernel_connection_table_full",
    "payload_read_failed", "process_filter_full", "process_table_full"};
constexpr const char* kUserDropNames[static_cast<int>(UserDrop::kCount)] = {
    "malformed_event", "unknown_connection", "connection_table_full"};
constexpr const char* kEventNames[static_cast<int>(EventKind::kCount)] = {"conn_open", "data",
                                                                          "conn_close", "process"};

double value(const std::atomic<uint64_t>& counter) {
  return static_cast<double>(counter.load(std::memory_order_relaxed));
}

}  // namespace

SelfMetrics::SelfMetrics(KernelView kernel) : kernel_(std::move(kernel)) {}

void SelfMetrics::declare_parse_errors(const std::string& protocol,
                                       std::span<const std::string_view> kinds) {
  std::lock_guard lock(parse_errors_mutex_);
  for (std::string_view kind : kinds) parse_errors_.try_emplace({protocol, std::string(kind)}, 0);
}

std::atomic<uint64_t>& SelfMetrics::server_port_overflows(const std::string& protocol) {
  std::lock_guard lock(parse_errors_mutex_);
  return port_overflows_[protocol];
}

std::atomic<uint64_t>& SelfMetrics::protocol_counter(const std::string& name,
                                                     const std::string& help) {
  std::lock_guard lock(parse_errors_mutex_);
  auto [it, inserted] = protocol_counters_.try_emplace(name);
  if (inserted) it->second.help = help;
  return it->second.value;
}

void SelfMetrics::connection_classified(const std::string& protocol) {
  std::lock_guard lock(parse_errors_mutex_);
  classified_[protocol]++;
}

void SelfMetrics::parse_error(const std::string& protocol, const std::string& kind, uint64_t n) {
  std::lock_guard lock(parse_errors_mutex_);
  parse_errors_[{protocol, kind}] += n;
}

void SelfMetrics::request_not_measured(const std::string& protocol, const std::string& reason,
                                       uint64_t n) {
  std::lock_guard lock(parse_errors_mutex_);
  not_measured_[{protocol, reason}] += n;
}

void SelfMetrics::declare_not_measured(const std::string& protocol, const std::string& reason) {
  std::lock_guard lock(parse_errors_mutex_);
  not_measured_.try_emplace({protocol, reason}, 0);
}

std::vector<prometheus::MetricFamily> SelfMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out;

  auto received = counter_family("redeye_events_received_total",
                                 "Events read from the kernel ring buffer, by type.");
  for (int i = 0; i < static_cast<int>(EventKind::kCount); i++) {
    received.add(value(received_[i]), {{"type", kEventNames[i]}});
  }
  out.push_back(received.take());

  auto dropped = counter_family("redeye_events_dropped_total",
                                "Events lost, by reason (kernel and userspace).");
  const auto kdrops = kernel_.drops ? kernel_.drops() : std::array<uint64_t, REDEYE_DROP_MAX>{};
  for (int i = 0; i < REDEYE_DROP_MAX; i++) {
    dropped.add(static_cast<double>(kdrops[i]), {{"reason", kKernelDropNames[i]}});
  }
  for (int i = 0; i < static_cast<int>(UserDrop::kCount); i++) {
    dropped.add(value(user_drops_[i]), {{"reason", kUserDropNames[i]}});
  }
  out.push_back(dropped.take());

  auto parse = counter_family(
      "redeye_parse_errors_total",
      "Times a protocol parser skipped bytes (malformed input, capture gaps, resync), by "
      "protocol and kind.");
  {
    std::lock_guard lock(parse_errors_mutex_);
    for (const auto& [key, count] : parse_errors_) {
      parse.add(static_cast<double>(count), {{"protocol", key.first}, {"kind", key.second}});
    }
  }
  out.push_back(parse.take());

  {
    auto not_measured = counter_family(
        "redeye_requests_not_measured_total",
        "Requests known to have happened that no duration histogram counts, by protocol and "
        "reason: their bytes or their response's were not captured (capture limit, "
        "pipelining), or no response was seen before the connection ended.");
    std::lock_guard lock(parse_errors_mutex_);
    for (const auto& [key, count] : not_measured_) {
      not_measured.add(static_cast<double>(count),
                       {{"protocol", key.first}, {"reason", key.second}});
    }
    if (!not_measured.empty()) out.push_back(not_measured.take());
  }
  {
    auto classified = counter_family("redeye_connections_classified_total",
                                     "Connections whose bytes reached a protocol parser, by "
                                     "protocol.");
    std::lock_guard lock(parse_errors_mutex_);
    for (const auto& [protocol, count] : classified_) {
      classified.add(static_cast<double>(count), {{"protocol", protocol}});
    }
    if (!classified.empty()) out.push_back(classified.take());
  }
  out.push_back(gauge_family("redeye_connections_tracked", "TCP connections the agent tracks now.")
                    .add(value(connections_))
                    .take());
  {
    std::lock_guard lock(parse_errors_mutex_);
    for (const auto& [name, counter] : protocol_counters_) {
      out.push_back(counter_family(name, counter.help).add(value(counter.value)).take());
    }
    auto ports = counter_family("redeye_server_port_overflow_total",
                                "Requests and operations whose server_port was folded into "
                                "_OTHER by the per-service server_port_limit, by protocol.");
    for (const auto& [protocol, count] : port_overflows_) {
      ports.add(value(count), {{"protocol", protocol}});
    }
    out.push_back(ports.take());
  }
  out.push_back(counter_family("redeye_services_expired_total",
                               "Services whose series were dropped after series_expiry without "
                               "a process or a connection.")
                    .add(value(services_expired_))
                    .take());
  out.push_back(gauge_family("redeye_metric_series",
                             "Series the protocol metrics (HTTP, PostgreSQL, AMQP) hold now.")
                    .add(value(metric_series_))
                    .take());

  if (kernel_.stats) {
    const auto stats = kernel_.stats();
    auto stat = [&stats](int i) { return static_cast<double>(stats[i]); };
    out.push_back(
        counter_family("redeye_kernel_socket_syscalls_total",
                       "TCP socket reads/writes of followed processes seen by the kernel hooks.")
            .add(stat(REDEYE_STAT_SYSCALLS_SEEN))
            .take());
    out.push_back(counter_family("redeye_payload_bytes_not_captured_total",
                                 "Payload bytes beyond the capture limit (or sent by sendfile), "
                                 "counted but not copied.")
                      .add(stat(REDEYE_STAT_BYTES_TRUNCATED))
                      .take());
    out.push_back(counter_family("redeye_kernel_connections_classified_total",
                                 "Connections the kernel recognised a protocol on (known), or "
                                 "gave up on or saw end unrecognised (unknown).")
                      .add(stat(REDEYE_STAT_CONN_CLASSIFIED), {{"result", "known"}})
                      .add(stat(REDEYE_STAT_CONN_UNCLASSIFIED), {{"result", "unknown"}})
                      .take());
    out.push_back(counter_family("redeye_kernel_framing_lost_total",
                                 "Times the kernel stopped following a stream's message framing "
                                 "(postgresql: it counts completions in bytes it does not copy; "
                                 "http2: it walks frames to keep header blocks): a length or "
                                 "frame that cannot be, encryption, or a burst past its walk.")
                      .add(stat(REDEYE_STAT_FRAMING_LOST), {{"protocol", "postgresql"}})
                      .add(stat(REDEYE_STAT_H2_FRAMING_LOST), {{"protocol", "http2"}})
                      .take());
    out.push_back(counter_family("redeye_kernel_http2_bytes_not_copied_total",
                                 "HTTP/2 frame headers and header-block bytes the kernel's frame "
                                 "walk wanted to send but had no room for in the syscall's event "
                                 "(more than 64 spans or 8191 bytes): userspace sees a gap.")
                      .add(stat(REDEYE_STAT_H2_BYTES_NOT_COPIED))
                      .take());
  }
  if (!kernel_.io_hooks.empty()) {
    out.push_back(gauge_family("redeye_kernel_io_hooks_info",
                               "Which kernel hooks see socket reads and writes (config io_hooks): "
                               "socket tracepoints or syscall tracepoints.")
                      .add(1, {{"hooks", kernel_.io_hooks}})
                      .take());
  }
  if (!kernel_.connection_counts.empty()) {
    out.push_back(gauge_family("redeye_connection_counts_info",
                               "How process_open_tcp_connections is counted (config "
                               "discovery.connection_counts): a BPF iterator over each "
                               "service's sockets, or /proc/<pid>/net/tcp.")
                      .add(1, {{"source", kernel_.connection_counts}})
                      .take());
  }
  if (kernel_.map_memory_bytes) {
    out.push_back(
        gauge_family("redeye_bpf_map_memory_bytes", "Kernel memory charged for the BPF maps.")
            .add(static_cast<double>(kernel_.map_memory_bytes()))
            .take());
  }
  return out;
}

}  // namespace redeye
