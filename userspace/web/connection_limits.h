// The metrics endpoint's connection bookkeeping: the caps (total, per client address), which
// connection to close when one is hit, and the deadlines. Pure (no sockets, time passed in),
// so the policy is unit-tested without a network.
//
// Policy: a connection that has not sent a complete request head is "incomplete". When a new
// connection would exceed a cap, the oldest incomplete connection (of that client address,
// for the per-client cap) is closed to make room, rather than refusing the newcomer: a
// scraper on the same address as whoever holds idle connections still gets in, and an idle
// connection is worth less than a fresh one. Only when every connection in the way has sent
// its request (its answer is being written) is the newcomer refused.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace redeye::web {

using Clock = std::chrono::steady_clock;

// Why the endpoint closed a connection on its own (label `reason`); a client closing, or a
// connection closing after its answer, is not counted.
enum class CloseReason {
  kPerClientLimit,      // the oldest incomplete connection of an address at its cap
  kTotalLimit,          // the oldest incomplete connection when the total cap is reached
  kHeaderTimeout,       // TLS handshake + request head not done in time
  kWriteTimeout,        // the answer not taken by the client in time
  kTlsHandshakeFailed,  // e.g. plain HTTP to the HTTPS port
  kHeadTooLarge,        // no head end within kMaxRequestHead (answered 400)
};
inline constexpr size_t kCloseReasons = 6;
const char* close_reason_label(CloseReason reason);

struct ConnectionPolicy {
  size_t max_connections = 4096;  // open at once; the process's fd limit is raised to fit
  size_t max_per_client = 128;    // open at once from one address (IPv6: one /64)
  // From accept to a complete request head, TLS handshake included: a slow-header client
  // cannot hold a slot longer however it trickles bytes. A scraper sends its head at once.
  Clock::duration header_timeout = std::chrono::seconds(10);
  // From the complete head to the last byte of the answer taken: Prometheus' default scrape
  // timeout is 10 s, an answer later than that is read by nobody.
  Clock::duration write_timeout = std::chrono::seconds(10);
};

// The per-client key of a peer: the IPv4 address (also when IPv4-mapped), or the /64 of an
// IPv6 address (one host usually has a whole /64 to pick from).
std::string client_key(const sockaddr_storage& peer);

class ConnectionLimits {
 public:
  using Id = uint64_t;  // increasing in accept order, never reused
  struct Admission {
    std::optional<CloseReason> refused_reason;         // set: close the newcomer, for this
    std::vector<std::pair<Id, CloseReason>> to_close;  // make room: close these first
    bool admitted() const { return !refused_reason; }
  };

  explicit ConnectionLimits(const ConnectionPolicy& policy) : policy_(policy) {}

  // A connection accepted at `now`. The ones in `to_close` are already forgotten here.
  Admission admit(Id id, const std::string& client, Clock::time_point now);
  // Its request head is complete: no longer evictable; the write deadline starts.
  void head_complete(Id id, Clock::time_point now);
  void remove(Id id);

  std::optional<Clock::time_point> next_deadline() const;
  // The connections whose deadline has passed, oldest deadline first, each with the reason
  // (header or write timeout). They stay in the table until removed.
  std::vector<std::pair<Id, CloseReason>> expired(Clock::time_point now) const;

  size_t size() const { return entries_.size(); }
  size_t from(const std::string& client) const;

 private:
  struct Entry {
    std::string client;
    Clock::time_point deadline;
    bool complete = false;
  };
  void forget(Id id, const Entry& entry);

  ConnectionPolicy policy_;
  std::unordered_map<Id, Entry> entries_;
  std::map<std::string, size_t> per_client_;  // open connections per address
  std::map<std::string, std::set<Id>> incomplete_by_client_;
  std::set<Id> incomplete_;  // oldest first
  std::set<std::pair<Clock::time_point, Id>> deadlines_;
};

// The endpoint's own self-metrics: redeye_metrics_endpoint_connections (open now) and
// redeye_metrics_endpoint_connections_closed_total{reason} (every reason from the start).
class ConnectionStats : public prometheus::Collectable {
 public:
  void closed(CloseReason reason) { closed_[static_cast<size_t>(reason)]++; }
  void set_open(size_t open) { open_ = open; }
  uint64_t closed_count(CloseReason reason) const { return closed_[static_cast<size_t>(reason)]; }
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::array<std::atomic<uint64_t>, kCloseReasons> closed_{};
  std::atomic<size_t> open_{0};
};

}  // namespace redeye::web
