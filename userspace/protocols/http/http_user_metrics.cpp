#include "protocols/http/http_user_metrics.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "metrics/family_builder.h"
#include "metrics/service_labels.h"

namespace redeye {

namespace {

std::size_t status_class(int status_code) {
  if (status_code >= 100 && status_code < 600)
    return static_cast<std::size_t>(status_code / 100 - 1);
  return kUserStatusClasses.size() - 1;
}

int auth_index(int status_code) {
  for (std::size_t i = 0; i < kUserAuthStatuses.size(); ++i) {
    if (kUserAuthStatuses[i] == status_code) return static_cast<int>(i);
  }
  return -1;
}

// Forward decay keeps every score on one time base; rescale before exp() could overflow.
constexpr double kMaxDecayExponent = 500.0;

}  // namespace

UserTracker::UserTracker(const UserTrackerOptions& options, std::string_view hash_key)
    : options_(options),
      hasher_(hash_key),
      counters_(static_cast<std::size_t>(std::max<uint32_t>(options.top_k, 1)) *
                std::max<uint32_t>(options.capacity_factor, 1)),
      slots_(counters_.capacity()),
      distinct_(options.hll_precision) {
  exported_.reserve(options_.top_k);
  if (options_.distinct_interval_ns == 0) options_.distinct_interval_ns = 1;
}

double UserTracker::weight(uint64_t now_ns) {
  if (!landmark_set_) {
    landmark_ns_ = now_ns;
    landmark_set_ = true;
  }
  const double exponent = (static_cast<double>(now_ns) - static_cast<double>(landmark_ns_)) / 1e9 /
                          options_.rank_decay_seconds;
  if (exponent <= kMaxDecayExponent) return std::exp(exponent);
  // Move the landmark to now: every score shrinks by the same factor, the order is kept.
  const double scale = std::exp(-exponent);
  for (Slot& slot : slots_) slot.score *= scale;
  landmark_ns_ = now_ns;
  weakest_valid_ = false;
  return 1.0;
}

void UserTracker::rotate_interval(uint64_t now_ns) {
  const uint64_t index = now_ns / options_.distinct_interval_ns;
  if (!interval_started_) {
    interval_index_ = index;
    interval_started_ = true;
    return;
  }
  if (index == interval_index_) return;
  // The interval that ended had no request at all when more than one has passed.
  last_distinct_ = index == interval_index_ + 1 ? distinct_.estimate() : 0.0;
  distinct_ready_ = true;
  distinct_.clear();
  interval_index_ = index;
}

void UserTracker::export_slot(uint32_t slot) {
  Slot& s = slots_[slot];
  s.exported = true;
  s.export_index = static_cast<uint32_t>(exported_.size());
  // Requests it made before this one that its series will not hold: those since it took its
  // counter, and at most its error before that.
  s.missed = counters_.guaranteed(slot) - 1 + counters_.error(slot);
  s.requests.fill(0);
  s.auth_failures.fill(0);
  exported_.push_back(slot);
  weakest_valid_ = false;
}

void UserTracker::unexport_slot(uint32_t slot) {
  Slot& s = slots_[slot];
  const uint32_t index = s.export_index;
  exported_[index] = exported_.back();
  slots_[exported_[index]].export_index = index;
  exported_.pop_back();
  s.exported = false;
  weakest_valid_ = false;
}

void UserTracker::consider_export(uint32_t slot) {
  if (exported_.size() < options_.top_k) {
    export_slot(slot);
    return;
  }
  if (!weakest_valid_) {
    weakest_ = exported_.front();
    for (uint32_t candidate : exported_) {
      if (slots_[candidate].score < slots_[weakest_].score) weakest_ = candidate;
    }
    weakest_valid_ = true;
  }
  if (slots_[slot].score > options_.swap_factor * slots_[weakest_].score) {
    unexport_slot(weakest_);
    export_slot(slot);
  }
}

void UserTracker::record(std::string_view identity, int status_code, uint64_t now_ns) {
  const uint64_t id = hasher_.id(identity);
  rotate_interval(now_ns);
  distinct_.add(id);
  const double w = weight(now_ns);

  const SpaceSaving::Offer offer = counters_.offer(id);
  Slot& slot = slots_[offer.slot];
  if (offer.inserted) {
    if (slot.exported) unexport_slot(offer.slot);  // its count goes to "other"
    slot.score = 0;
    slot.missed = 0;
    if (options_.clear_identities) slot.identity.assign(identity);
  }
  slot.score += w;
  if (slot.exported) {
    if (weakest_valid_ && weakest_ == offer.slot) weakest_valid_ = false;
  } else {
    consider_export(offer.slot);
  }

  const std::size_t cls = status_class(status_code);
  const int auth = auth_index(status_code);
  ++total_;
  ++requests_[cls];
  if (auth >= 0) ++auth_failures_[static_cast<std::size_t>(auth)];
  if (slot.exported) {
    ++slot.requests[cls];
    if (auth >= 0) ++slot.auth_failures[static_cast<std::size_t>(auth)];
  }
}

std::string UserTracker::label_of(uint32_t slot) const {
  if (!options_.clear_identities) return http::UserIdentityHasher::label(counters_.key(slot));
  const std::string& identity = slots_[slot].identity;
  // The rest of the users are "other": a user really called so must not merge with them.
  return identity == kOtherUser ? std::string(kOtherUser) + " (user)" : identity;
}

UserTracker::Snapshot UserTracker::snapshot(uint64_t now_ns) {
  rotate_interval(now_ns);
  Snapshot snap;
  snap.total = total_;
  snap.unidentified = unidentified_;
  snap.other.user = kOtherUser;
  snap.other.requests = requests_;
  snap.other.auth_failures = auth_failures_;
  snap.users.reserve(exported_.size());
  for (uint32_t slot : exported_) {
    const Slot& s = slots_[slot];
    UserCounts counts;
    counts.user = label_of(slot);
    counts.requests = s.requests;
    counts.auth_failures = s.auth_failures;
    counts.error_bound = s.missed;
    for (std::size_t i = 0; i < s.requests.size(); ++i) snap.other.requests[i] -= s.requests[i];
    for (std::size_t i = 0; i < s.auth_failures.size(); ++i) {
      snap.other.auth_failures[i] -= s.auth_failures[i];
    }
    snap.error_bound = std::max(snap.error_bound, s.missed);
    snap.users.push_back(std::move(counts));
  }
  snap.distinct_ready = distinct_ready_;
  snap.distinct_users = last_distinct_;
  snap.interval_seconds = static_cast<double>(options_.distinct_interval_ns) / 1e9;
  return snap;
}

std::size_t UserTracker::memory_bytes() const {
  std::size_t bytes = sizeof(*this) + counters_.memory_bytes() - sizeof(counters_) +
                      distinct_.memory_bytes() - sizeof(distinct_) +
                      slots_.capacity() * sizeof(Slot) + exported_.capacity() * sizeof(uint32_t);
  for (const Slot& slot : slots_) {
    if (slot.identity.capacity() > 15) bytes += slot.identity.capacity() + 1;  // beyond SSO
  }
  return bytes;
}

// --- HttpUserMetrics ----------------------------------------------------------------------

uint64_t HttpUserMetrics::realtime_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

namespace {

UserTrackerOptions tracker_options(const UserTracking& users) {
  UserTrackerOptions options;
  options.top_k = users.top_k;
  options.clear_identities = users.clear_identities;
  options.distinct_interval_ns = uint64_t{users.distinct_interval_ms} * 1'000'000;
  return options;
}

}  // namespace

HttpUserMetrics::ServiceUsers::ServiceUsers(const ServiceInfo& service, const UserTracking& users,
                                            std::string_view key, SelfMetrics& self, Clock clock)
    : name_(service.name),
      namespace_(service.service_namespace),
      instance_id_(service.instance_id),
      source_(http::identity_source_from_name(users.identity)
                  .value_or(http::IdentitySource::kClientAddress)),
      headers_(http::identity_headers(source_, users.header)),
      self_(self),
      clock_(clock),
      tracker_(tracker_options(users), key) {}

void HttpUserMetrics::ServiceUsers::record(std::string_view source_value,
                                           std::string_view client_address, int status_code) {
  const http::Identity identity = http::extract_identity(source_, source_value, client_address);
  if (identity.status == http::IdentityStatus::kInvalid) {
    self_.parse_error("http", "user_identity_invalid");
  }
  const uint64_t now = clock_();
  std::lock_guard lock(mutex_);
  if (identity.status == http::IdentityStatus::kFound) {
    tracker_.record(identity.value, status_code, now);
  } else {
    tracker_.record_unidentified();
  }
}

std::size_t HttpUserMetrics::ServiceUsers::memory_bytes() const {
  std::lock_guard lock(mutex_);
  return tracker_.memory_bytes();
}

uint64_t HttpUserMetrics::ServiceUsers::min_count() const {
  std::lock_guard lock(mutex_);
  return tracker_.counters().min_count();
}

HttpUserMetrics::HttpUserMetrics(std::string hash_key, SelfMetrics& self, Clock clock)
    : key_(hash_key.empty() ? http::UserIdentityHasher::random_key() : std::move(hash_key)),
      self_(self),
      clock_(clock) {}

HttpUserMetrics::~HttpUserMetrics() = default;

HttpUserMetrics::ServiceUsers* HttpUserMetrics::service(const ServiceInfo& service,
                                                        const UserTracking* tracking) {
  if (tracking == nullptr || !tracking->enabled()) return nullptr;
  std::string key = series_key(service, {});
  std::lock_guard lock(mutex_);
  auto it = services_.find(key);
  if (it == services_.end()) {
    it = services_
             .emplace(std::move(key),
                      std::make_shared<ServiceUsers>(service, *tracking, key_, self_, clock_))
             .first;
  }
  return it->second.get();
}

void HttpUserMetrics::forget_service(const ServiceIdentity& service) {
  std::lock_guard lock(mutex_);
  services_.erase(identity_key(service));
}

std::vector<prometheus::MetricFamily> HttpUserMetrics::Collect() const {
  FamilyBuilder requests = counter_family(
      "redeye_http_server_user_requests_total",
      "HTTP requests answered, per user: the top_k users by recent request rate (counted while "
      "they are in the top), user=\"other\" for all the rest.");
  FamilyBuilder auth = counter_family("redeye_http_server_user_auth_failures_total",
                                      "HTTP requests answered 401, 403 or 429, per user (as "
                                      "redeye_http_server_user_requests_total).");
  FamilyBuilder unidentified = counter_family(
      "redeye_http_server_user_unidentified_requests_total",
      "HTTP requests answered whose user could not be found (no such header, or an unreadable "
      "one).");
  FamilyBuilder distinct = gauge_family(
      "redeye_http_server_distinct_users",
      "Distinct users in the last completed interval (HyperLogLog estimate, ~0.8 % standard "
      "error).");
  FamilyBuilder interval =
      gauge_family("redeye_http_server_distinct_users_interval_seconds",
                   "Length of the redeye_http_server_distinct_users interval.");
  FamilyBuilder bound = gauge_family(
      "redeye_http_server_user_count_error_bound",
      "How many requests of the user since the agent started its "
      "redeye_http_server_user_requests_total series may miss (made before it entered the "
      "top); 0 = exact.");

  std::vector<std::shared_ptr<ServiceUsers>> services;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, users] : services_) services.push_back(users);
  }
  const uint64_t now = clock_();
  for (const auto& users : services) {
    UserTracker::Snapshot snap;
    {
      std::lock_guard lock(users->mutex_);
      snap = users->tracker_.snapshot(now);
    }
    const LabelList service = {{"service_name", users->name_},
                               {"service_namespace", users->namespace_},
                               {"service_instance_id", users->instance_id_}};
    auto with = [&service](std::initializer_list<prometheus::ClientMetric::Label> more) {
      LabelList labels = service;
      labels.insert(labels.end(), more.begin(), more.end());
      return labels;
    };
    // A series appears with its first request and, since its value only grows, stays. The
    // auth failures of "other" are always there (0 until the first), so that rates of them
    // are 0 rather than absent.
    auto add_user = [&](const UserTracker::UserCounts& counts, bool all_auth) {
      for (std::size_t i = 0; i < counts.requests.size(); ++i) {
        if (counts.requests[i] == 0) continue;
        requests.add(
            static_cast<double>(counts.requests[i]),
            with({{"user", counts.user}, {"http_response_status_class", kUserStatusClasses[i]}}));
      }
      for (std::size_t i = 0; i < counts.auth_failures.size(); ++i) {
        if (counts.auth_failures[i] == 0 && !all_auth) continue;
        auth.add(static_cast<double>(counts.auth_failures[i]),
                 with({{"user", counts.user},
                       {"http_response_status_code", std::to_string(kUserAuthStatuses[i])}}));
      }
    };
    for (const UserTracker::UserCounts& counts : snap.users) {
      add_user(counts, false);
      bound.add(static_cast<double>(counts.error_bound), with({{"user", counts.user}}));
    }
    add_user(snap.other, true);
    unidentified.add(static_cast<double>(snap.unidentified), service);
    interval.add(snap.interval_seconds, service);
    if (snap.distinct_ready) distinct.add(snap.distinct_users, service);
  }
  std::vector<prometheus::MetricFamily> families;
  for (FamilyBuilder* family : {&requests, &auth, &unidentified, &distinct, &interval, &bound}) {
    if (!family->empty()) families.push_back(family->take());
  }
  return families;
}

}  // namespace redeye
