// Per-user request counting for services whose rule has a `users` block (docs/METRICS.md,
// "Per-user requests"). Bounded per service whatever the traffic: a Space-Saving summary of
// 4 x top_k counters, one HyperLogLog (p = 14) and at most top_k + 1 exported users.
//
// What is exported, per service:
//   * up to top_k users, chosen by their recent request rate (exponentially decayed, 60 s),
//     with hysteresis: a user replaces the slowest exported one only when its rate is 1.5
//     times higher. A user's series counts the requests it made while exported, so every
//     series only grows while it exists (a user that leaves and comes back restarts from 0,
//     which Prometheus reads as a counter reset, correctly);
//   * user="other": all the other requests, = total - sum of the exported users. It only
//     grows too: a user entering the top starts at 0, a user leaving hands its count to it.
//   * per exported user, an error bound: its true count since the agent started exceeds its
//     series by at most this (the requests it made before it was exported: at most its
//     Space-Saving error, plus what it made since it took its counter). 0 = exact.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "discovery/service_info.h"
#include "metrics/hyperloglog.h"
#include "metrics/self_metrics.h"
#include "metrics/space_saving.h"
#include "protocols/http/user_identity.h"
#include "protocols/http/user_identity_hash.h"

namespace redeye {

// http_response_status_class values; a status outside 100..599 is "unknown".
inline constexpr std::array<const char*, 6> kUserStatusClasses = {"1xx", "2xx", "3xx",
                                                                  "4xx", "5xx", "unknown"};
// The statuses counted in redeye_http_server_user_auth_failures_total.
inline constexpr std::array<int, 3> kUserAuthStatuses = {401, 403, 429};
inline constexpr const char* kOtherUser = "other";

struct UserTrackerOptions {
  uint32_t top_k = 20;
  uint32_t capacity_factor = 4;  // Space-Saving counters = capacity_factor * top_k
  bool clear_identities = false;
  uint64_t distinct_interval_ns = 60'000'000'000;
  double rank_decay_seconds = 60.0;  // time constant of the rate users are ranked by
  double swap_factor = 1.5;          // a newcomer must be this much faster than the slowest
  unsigned hll_precision = 14;
};

// One service's users. Not thread-safe.
class UserTracker {
 public:
  UserTracker(const UserTrackerOptions& options, std::string_view hash_key);

  // One answered request of `identity` (non-empty) with `status_code`, at `now_ns` (ns since
  // the epoch: distinct-user intervals are aligned to multiples of the interval).
  void record(std::string_view identity, int status_code, uint64_t now_ns);
  // One answered request without an identity (absent or invalid).
  void record_unidentified() { ++unidentified_; }

  struct UserCounts {
    std::string user;  // the label value
    std::array<uint64_t, kUserStatusClasses.size()> requests{};
    std::array<uint64_t, kUserAuthStatuses.size()> auth_failures{};
    uint64_t error_bound = 0;  // true count since start - series value, at most
  };
  struct Snapshot {
    std::vector<UserCounts> users;  // at most top_k, in no particular order
    UserCounts other;               // user = "other"
    uint64_t total = 0;             // identified requests
    uint64_t unidentified = 0;
    uint64_t error_bound = 0;     // the largest of the users' error bounds
    bool distinct_ready = false;  // an interval has ended since the tracker was created
    double distinct_users = 0;    // estimate for the last interval that ended
    double interval_seconds = 0;
  };
  // Also closes the distinct-users interval if it has ended by `now_ns`.
  Snapshot snapshot(uint64_t now_ns);

  std::size_t memory_bytes() const;
  const SpaceSaving& counters() const { return counters_; }

 private:
  struct Slot {
    double score = 0;  // forward-decayed request count: sum of exp((t - landmark) / tau)
    bool exported = false;
    uint32_t export_index = 0;
    uint64_t missed = 0;  // bound on its requests before it was exported
    std::array<uint64_t, kUserStatusClasses.size()> requests{};
    std::array<uint64_t, kUserAuthStatuses.size()> auth_failures{};
    std::string identity;  // clear_identities only
  };

  double weight(uint64_t now_ns);
  void rotate_interval(uint64_t now_ns);
  void consider_export(uint32_t slot);
  void export_slot(uint32_t slot);
  void unexport_slot(uint32_t slot);
  std::string label_of(uint32_t slot) const;

  UserTrackerOptions options_;
  http::UserIdentityHasher hasher_;
  SpaceSaving counters_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> exported_;
  bool weakest_valid_ = false;
  uint32_t weakest_ = 0;  // slot of the exported user with the lowest score

  uint64_t landmark_ns_ = 0;
  bool landmark_set_ = false;

  std::array<uint64_t, kUserStatusClasses.size()> requests_{};
  std::array<uint64_t, kUserAuthStatuses.size()> auth_failures_{};
  uint64_t total_ = 0;
  uint64_t unidentified_ = 0;

  HyperLogLog distinct_;
  uint64_t interval_index_ = 0;
  bool interval_started_ = false;
  bool distinct_ready_ = false;
  double last_distinct_ = 0;
};

// Every tracked service's users, as one collectable.
class HttpUserMetrics : public prometheus::Collectable {
 public:
  using Clock = uint64_t (*)();  // ns since the epoch
  static uint64_t realtime_ns();

  // hash_key: Config::users_hash_key, or a random key when it is empty.
  HttpUserMetrics(std::string hash_key, SelfMetrics& self, Clock clock = &realtime_ns);
  ~HttpUserMetrics() override;

  // One service instance's users. Thread-safe.
  class ServiceUsers {
   public:
    ServiceUsers(const ServiceInfo& service, const UserTracking& users, std::string_view key,
                 SelfMetrics& self, Clock clock);
    // One answered request: `source_value` is HttpRequestHead::user_identity_source.
    void record(std::string_view source_value, std::string_view client_address, int status_code);
    // What HttpConversation must keep of each request head.
    const std::vector<std::string>& identity_headers() const { return headers_; }
    // The tracker's memory, and Space-Saving's smallest counter (its current error bound).
    std::size_t memory_bytes() const;
    uint64_t min_count() const;

   private:
    friend class HttpUserMetrics;
    std::string name_;
    std::string namespace_;
    std::string instance_id_;
    http::IdentitySource source_;
    std::vector<std::string> headers_;
    SelfMetrics& self_;
    Clock clock_;
    mutable std::mutex mutex_;
    UserTracker tracker_;
  };

  // The users of `service`, created on first use; nullptr when `tracking` (the per-user
  // setting of the rule that named it, nullptr when no rule did) is off. Instances with the
  // same name, namespace and instance id share one.
  ServiceUsers* service(const ServiceInfo& service, const UserTracking* tracking);
  // Stops exporting the users of `service` (no connection of it is open). Thread-safe.
  void forget_service(const ServiceIdentity& service);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::string key_;
  SelfMetrics& self_;
  Clock clock_;
  mutable std::mutex mutex_;
  // Shared: a scrape keeps the ones it renders alive while forget_service erases them.
  std::map<std::string, std::shared_ptr<ServiceUsers>> services_;
};

}  // namespace redeye
