// redeye_* self-metrics: what the agent received, dropped and could not parse. One collectable
// renders them all so a family (e.g. redeye_events_dropped_total) can merge kernel-side and
// userspace reasons.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "redeye/abi.h"

namespace redeye {

// Where userspace loses events (kernel-side reasons are enum redeye_drop_reason).
enum class UserDrop : int {
  kMalformedEvent = 0,       // ring-buffer record that does not match the ABI
  kUnknownConnection = 1,    // data for a connection whose open event we never got
  kConnectionTableFull = 2,  // userspace connection table at max_connections
  kCount = 3,
};

enum class EventKind : int { kConnOpen = 0, kData = 1, kConnClose = 2, kProcess = 3, kCount = 4 };

class SelfMetrics : public prometheus::Collectable {
 public:
  struct KernelView {
    // The kernel's per-reason counters (KernelProbes::drop_counts and stat_counts).
    std::function<std::array<uint64_t, REDEYE_DROP_MAX>()> drops;
    std::function<std::array<uint64_t, REDEYE_STAT_MAX>()> stats;
    std::function<uint64_t()> map_memory_bytes;
    std::string io_hooks;  // "socket" or "syscalls": which hooks see socket I/O
    // "iterator" or "proc": how process_open_tcp_connections is counted
    std::string connection_counts;
  };
  explicit SelfMetrics(KernelView kernel = {});

  void event_received(EventKind kind) { add(received_[static_cast<int>(kind)]); }
  void dropped(UserDrop reason) { add(user_drops_[static_cast<int>(reason)]); }
  // Bytes a protocol parser skipped; `kind` is a short snake_case reason. declare_* shows
  // each kind at zero (alerts can rely on the series).
  void parse_error(const std::string& protocol, const std::string& kind, uint64_t n = 1);
  void declare_parse_errors(const std::string& protocol, std::span<const std::string_view> kinds);
  // Requests of `protocol` the agent knows happened but could not measure (their bytes, or
  // their response's, were not captured), by `reason`. declare_* shows a series at zero.
  void request_not_measured(const std::string& protocol, const std::string& reason, uint64_t n = 1);
  void declare_not_measured(const std::string& protocol, const std::string& reason);
  void set_connections_tracked(uint64_t n) { connections_.store(n, std::memory_order_relaxed); }
  // Requests and operations of `protocol` whose server_port was folded into "_OTHER"
  // (server_port_limit): the counter, shown from this call on. Valid as long as this object.
  std::atomic<uint64_t>& server_port_overflows(const std::string& protocol);
  // A protocol's own redeye_* counter without labels (redeye_http_route_overflow_total), shown
  // at zero from this call on. Valid as long as this object; one name, one counter.
  std::atomic<uint64_t>& protocol_counter(const std::string& name, const std::string& help);
  // Services whose series were dropped (series_expiry), and the series the protocol metrics
  // hold now.
  void services_expired(uint64_t n) { services_expired_.fetch_add(n, std::memory_order_relaxed); }
  void set_metric_series(uint64_t n) { metric_series_.store(n, std::memory_order_relaxed); }
  // A connection's first bytes reached a protocol's parser.
  void connection_classified(const std::string& protocol);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  static void add(std::atomic<uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }

  KernelView kernel_;
  std::array<std::atomic<uint64_t>, static_cast<int>(EventKind::kCount)> received_{};
  std::array<std::atomic<uint64_t>, static_cast<int>(UserDrop::kCount)> user_drops_{};
  mutable std::mutex parse_errors_mutex_;
  std::map<std::pair<std::string, std::string>, uint64_t> parse_errors_;
  std::map<std::string, uint64_t> classified_;  // by protocol; guarded by parse_errors_mutex_
  // (protocol, reason); guarded by parse_errors_mutex_
  std::map<std::pair<std::string, std::string>, uint64_t> not_measured_;
  std::atomic<uint64_t> connections_{0};
  struct NamedCounter {
    std::string help;
    std::atomic<uint64_t> value{0};
  };
  // Both guarded by parse_errors_mutex_ for insertion; map nodes never move.
  std::map<std::string, std::atomic<uint64_t>> port_overflows_;  // by protocol
  std::map<std::string, NamedCounter> protocol_counters_;        // by metric name
  std::atomic<uint64_t> services_expired_{0};
  std::atomic<uint64_t> metric_series_{0};
};

}  // namespace redeye
