// Per-user counting (UserTracker) and its exposition (HttpUserMetrics).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "protocols/http/http_user_metrics.h"
#include "users_test_support.h"

namespace redeye {
namespace {

constexpr char kKey[] = "unit-test-key-0123456789";
constexpr uint64_t kSecond = 1'000'000'000;
// 2021-01-01T00:00:00Z: a multiple of every interval used below.
constexpr uint64_t kT0 = 1609459200ull * kSecond;

std::string hashed(const std::string& identity) {
  http::UserIdentityHasher hasher(kKey);
  return http::UserIdentityHasher::label(hasher.id(identity));
}

uint64_t sum(const std::array<uint64_t, kUserStatusClasses.size()>& counts) {
  return std::accumulate(counts.begin(), counts.end(), uint64_t{0});
}

const UserTracker::UserCounts* find_user(const UserTracker::Snapshot& snap,
                                         const std::string& label) {
  for (const auto& user : snap.users) {
    if (user.user == label) return &user;
  }
  return nullptr;
}

// Invariants every snapshot keeps: at most top_k users, distinct labels, none is "other",
// and other + users = total, per class.
void check_snapshot(const UserTracker::Snapshot& snap, uint32_t top_k) {
  ASSERT_LE(snap.users.size(), top_k);
  std::set<std::string> labels;
  std::array<uint64_t, kUserStatusClasses.size()> by_class = snap.other.requests;
  std::array<uint64_t, kUserAuthStatuses.size()> auth = snap.other.auth_failures;
  for (const auto& user : snap.users) {
    EXPECT_NE(user.user, kOtherUser);
    EXPECT_TRUE(labels.insert(user.user).second) << user.user;
    for (std::size_t i = 0; i < by_class.size(); ++i) by_class[i] += user.requests[i];
    for (std::size_t i = 0; i < auth.size(); ++i) auth[i] += user.auth_failures[i];
  }
  EXPECT_EQ(sum(by_class), snap.total);
  EXPECT_EQ(snap.other.user, kOtherUser);
}

TEST(UserTracker, FewUsersAreExactAndOtherIsEmpty) {
  UserTrackerOptions options;
  options.top_k = 5;
  UserTracker tracker(options, kKey);
  for (int i = 0; i < 7; ++i) tracker.record("alice", 200, kT0 + i);
  for (int i = 0; i < 3; ++i) tracker.record("bob", 404, kT0 + i);
  tracker.record("bob", 503, kT0 + 5);
  tracker.record_unidentified();
  const UserTracker::Snapshot snap = tracker.snapshot(kT0 + kSecond);
  check_snapshot(snap, 5);
  ASSERT_EQ(snap.users.size(), 2u);
  const auto* alice = find_user(snap, hashed("alice"));
  const auto* bob = find_user(snap, hashed("bob"));
  ASSERT_TRUE(alice && bob);
  EXPECT_EQ(alice->requests[1], 7u);  // 2xx
  EXPECT_EQ(bob->requests[3], 3u);    // 4xx
  EXPECT_EQ(bob->requests[4], 1u);    // 5xx
  EXPECT_EQ(sum(snap.other.requests), 0u);
  EXPECT_EQ(snap.total, 11u);
  EXPECT_EQ(snap.unidentified, 1u);
  EXPECT_EQ(snap.error_bound, 0u);
}

TEST(UserTracker, StatusClassesAndAuthFailures) {
  UserTrackerOptions options;
  options.top_k = 2;
  UserTracker tracker(options, kKey);
  for (int status : {101, 200, 204, 302, 401, 401, 403, 429, 404, 500, 999, 42}) {
    tracker.record("mallory", status, kT0);
  }
  const UserTracker::Snapshot snap = tracker.snapshot(kT0);
  const auto* mallory = find_user(snap, hashed("mallory"));
  ASSERT_TRUE(mallory);
  EXPECT_EQ(mallory->requests, (std::array<uint64_t, 6>{1, 2, 1, 5, 1, 2}));
  EXPECT_EQ(mallory->auth_failures, (std::array<uint64_t, 3>{2, 1, 1}));
}

TEST(UserTracker, ClearIdentitiesShowTheIdentityAndNeverMergeWithOther) {
  UserTrackerOptions options;
  options.top_k = 2;
  options.clear_identities = true;
  UserTracker tracker(options, kKey);
  tracker.record("alice@example.com", 200, kT0);
  tracker.record("other", 200, kT0);
  tracker.record("carol", 200, kT0);  // the top is full: carol is "other"
  const UserTracker::Snapshot snap = tracker.snapshot(kT0);
  check_snapshot(snap, 2);
  EXPECT_TRUE(find_user(snap, "alice@example.com"));
  EXPECT_TRUE(find_user(snap, "other (user)"));
  EXPECT_EQ(sum(snap.other.requests), 1u);
}

TEST(UserTracker, ThreeHeavyUsersAmongAThousandWithinTheBound) {
  UserTrackerOptions options;  // top_k 20, 80 counters
  UserTracker tracker(options, kKey);
  std::vector<std::string> stream;
  for (int u = 0; u < 1000; ++u) {
    stream.insert(stream.end(), 2, "light-" + std::to_string(u));
  }
  const std::map<std::string, uint64_t> heavy = {
      {"heavy-a", 500}, {"heavy-b", 400}, {"heavy-c", 300}};
  for (const auto& [user, n] : heavy) stream.insert(stream.end(), n, user);
  std::mt19937 rng(7);
  std::shuffle(stream.begin(), stream.end(), rng);
  uint64_t t = kT0;
  for (const std::string& user : stream) tracker.record(user, 200, t += kSecond / 1000);
  const UserTracker::Snapshot snap = tracker.snapshot(t);
  check_snapshot(snap, 20);
  EXPECT_EQ(snap.total, 3200u);
  EXPECT_EQ(snap.users.size(), 20u);
  for (const auto& [user, truth] : heavy) {
    const auto* counts = find_user(snap, hashed(user));
    ASSERT_TRUE(counts) << user;
    const uint64_t reported = sum(counts->requests);
    EXPECT_LE(reported, truth) << user;
    EXPECT_LE(truth, reported + counts->error_bound) << user;
    // Small next to the heavy counts: they enter the top after a few requests.
    EXPECT_LT(counts->error_bound, 10u) << user;
  }
  EXPECT_LE(snap.error_bound, tracker.counters().total());
}

TEST(UserTracker, RecentRateDecidesWhoIsExported) {
  UserTrackerOptions options;
  options.top_k = 1;
  UserTracker tracker(options, kKey);
  for (int i = 0; i < 1000; ++i) tracker.record("old-heavy", 200, kT0);
  // Ten minutes later a new user at a modest rate: e^10 ~ 22026 times the weight.
  for (int i = 0; i < 10; ++i) tracker.record("newcomer", 200, kT0 + 600 * kSecond);
  const UserTracker::Snapshot snap = tracker.snapshot(kT0 + 600 * kSecond);
  check_snapshot(snap, 1);
  ASSERT_EQ(snap.users.size(), 1u);
  EXPECT_EQ(snap.users[0].user, hashed("newcomer"));
  // The old user's requests are "other" now; the newcomer's first one was made before it
  // entered the top.
  EXPECT_EQ(sum(snap.other.requests) + sum(snap.users[0].requests), 1010u);
  EXPECT_GE(sum(snap.users[0].requests), 9u);
}

TEST(UserTracker, HysteresisKeepsTheTopStableAmongEquals) {
  UserTrackerOptions options;
  options.top_k = 1;
  UserTracker tracker(options, kKey);
  for (int i = 0; i < 10; ++i) tracker.record("first", 200, kT0);
  for (int i = 0; i < 14; ++i) tracker.record("second", 200, kT0);  // 1.4x: not enough
  EXPECT_EQ(tracker.snapshot(kT0).users.at(0).user, hashed("first"));
  for (int i = 0; i < 2; ++i) tracker.record("second", 200, kT0);  // 1.6x: replaces it
  EXPECT_EQ(tracker.snapshot(kT0).users.at(0).user, hashed("second"));
}

TEST(UserTracker, AdversarialInputNeverExceedsTopKAndOtherOnlyGrows) {
  for (const uint32_t top_k : {1u, 3u, 20u}) {
    SCOPED_TRACE("top_k " + std::to_string(top_k));
    UserTrackerOptions options;
    options.top_k = top_k;
    UserTracker tracker(options, kKey);
    std::mt19937_64 rng(top_k);
    uint64_t t = kT0;
    std::array<uint64_t, 6> last_other{};
    uint64_t sent = 0;
    for (int phase = 0; phase < 40; ++phase) {
      // Alternate: fresh users only, a cycle just over the counters, bursts of a few users,
      // users that go quiet and come back.
      for (int i = 0; i < 2000; ++i, ++sent) {
        std::string user;
        switch (phase % 4) {
          case 0:
            user = "fresh-" + std::to_string(sent);
            break;
          case 1:
            user = "cycle-" + std::to_string(i % (4 * top_k + 1));
            break;
          case 2:
            user = "burst-" + std::to_string(rng() % 3 + phase);
            break;
          default:
            user = "back-" + std::to_string(rng() % (2 * top_k + 2));
        }
        tracker.record(user, static_cast<int>(100 + rng() % 500), t += 1 + rng() % kSecond);
      }
      const UserTracker::Snapshot snap = tracker.snapshot(t);
      check_snapshot(snap, top_k);
      EXPECT_EQ(snap.total, sent);
      for (std::size_t i = 0; i < last_other.size(); ++i) {
        EXPECT_GE(snap.other.requests[i], last_other[i]) << "class " << i;
      }
      last_other = snap.other.requests;
    }
    EXPECT_LT(tracker.memory_bytes(), 17000u + top_k * 4 * 200);
  }
}

TEST(UserTracker, DistinctUsersPerAlignedInterval) {
  UserTrackerOptions options;
  options.distinct_interval_ns = 60 * kSecond;
  UserTracker tracker(options, kKey);
  EXPECT_FALSE(tracker.snapshot(kT0 + 10 * kSecond).distinct_ready);
  for (int u = 0; u < 1003; ++u) {
    tracker.record("user-" + std::to_string(u), 200, kT0 + 10 * kSecond + u * 1000);
    tracker.record("user-" + std::to_string(u), 200, kT0 + 20 * kSecond + u * 1000);
  }
  UserTracker::Snapshot snap = tracker.snapshot(kT0 + 59 * kSecond);
  EXPECT_FALSE(snap.distinct_ready);  // the interval has not ended
  snap = tracker.snapshot(kT0 + 61 * kSecond);
  EXPECT_TRUE(snap.distinct_ready);
  EXPECT_NEAR(snap.distinct_users, 1003, 1003 * 0.03);
  EXPECT_EQ(snap.interval_seconds, 60.0);
  tracker.record("late", 200, kT0 + 70 * kSecond);
  snap = tracker.snapshot(kT0 + 121 * kSecond);
  EXPECT_NEAR(snap.distinct_users, 1, 0.01);
  snap = tracker.snapshot(kT0 + 300 * kSecond);  // intervals without traffic
  EXPECT_EQ(snap.distinct_users, 0);
}

// --- HttpUserMetrics ----------------------------------------------------------------------

uint64_t g_now = kT0;
uint64_t test_clock() { return g_now; }

struct Service {
  explicit Service(const std::string& name, UserTracking users) {
    rule.name = name;
    rule.users = std::move(users);
    info.name = name;
    info.service_namespace = "factory";
    info.instance_id = "host-1";
    info.rule = 0;
  }
  ServiceRule rule;
  ServiceInfo info;
};

std::map<std::string, std::string> labels_of(const prometheus::ClientMetric& metric) {
  std::map<std::string, std::string> labels;
  for (const auto& label : metric.label) labels[label.name] = label.value;
  return labels;
}

const prometheus::MetricFamily* family(const std::vector<prometheus::MetricFamily>& families,
                                       const std::string& name) {
  for (const auto& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

TEST(HttpUserMetrics, OnlyServicesWhoseRuleTracksUsers) {
  SelfMetrics self;
  HttpUserMetrics metrics("", self, &test_clock);  // random key
  Service off("plain", {});
  EXPECT_EQ(metrics.service(off.info, &off.rule.users), nullptr);
  ServiceInfo no_rule;
  EXPECT_EQ(metrics.service(no_rule, nullptr), nullptr);
  UserTracking users;
  users.identity = "header";
  users.header = "X-Api-Key";
  Service on("mes-api", users);
  HttpUserMetrics::ServiceUsers* tracked = metrics.service(on.info, &on.rule.users);
  ASSERT_NE(tracked, nullptr);
  EXPECT_EQ(metrics.service(on.info, &on.rule.users), tracked);  // one per service instance
  EXPECT_EQ(tracked->identity_headers(), std::vector<std::string>{"X-Api-Key"});
}

TEST(HttpUserMetrics, AnExpiredServiceIsNoLongerExported) {
  SelfMetrics self;
  HttpUserMetrics metrics(kKey, self, &test_clock);
  UserTracking users;
  users.identity = "client_address";
  Service job("job", users);
  Service shop("shop", users);
  metrics.service(job.info, &job.rule.users)->record("", "10.0.0.1", 200);
  metrics.service(shop.info, &shop.rule.users)->record("", "10.0.0.2", 200);
  auto services_in = [&metrics] {
    std::set<std::string> names;
    for (const auto& f : metrics.Collect()) {
      for (const auto& metric : f.metric) names.insert(labels_of(metric)["service_name"]);
    }
    return names;
  };
  EXPECT_EQ(services_in(), (std::set<std::string>{"job", "shop"}));
  metrics.forget_service(identity_of(job.info));
  EXPECT_EQ(services_in(), std::set<std::string>{"shop"});
  // Seen again: counted afresh.
  metrics.service(job.info, &job.rule.users)->record("", "10.0.0.1", 200);
  EXPECT_EQ(services_in(), (std::set<std::string>{"job", "shop"}));
}

TEST(HttpUserMetrics, SeriesPerServiceStayWithinTopKPlusOneWhateverTheInput) {
  SelfMetrics self;
  HttpUserMetrics metrics(kKey, self, &test_clock);
  UserTracking users;
  users.identity = "jwt_sub";
  users.top_k = 5;
  users.distinct_interval_ms = 1000;
  Service mes("mes-api", users);
  users.identity = "client_address";
  users.top_k = 2;
  Service crm("crm-api", users);
  auto* mes_users = metrics.service(mes.info, &mes.rule.users);
  auto* crm_users = metrics.service(crm.info, &crm.rule.users);
  std::mt19937_64 rng(3);
  uint64_t mes_identified = 0;
  for (int i = 0; i < 20000; ++i) {
    g_now = kT0 + static_cast<uint64_t>(i) * 1000000;
    const std::string user = (i % 7 == 0) ? "heavy" : "user-" + std::to_string(rng() % 5000);
    mes_users->record("Bearer " + users_testing::jwt("{\"sub\":\"" + user + "\"}"), "",
                      static_cast<int>(i % 10 == 0 ? 401 : 200));
    ++mes_identified;
    crm_users->record("", "10.0.0." + std::to_string(rng() % 250), 200);
  }
  mes_users->record("Bearer garbage", "", 200);  // invalid: counted, not identified
  mes_users->record("", "", 200);                // absent
  g_now += 2 * kSecond;                          // an interval has ended
  const auto families = metrics.Collect();
  const auto* requests = family(families, "redeye_http_server_user_requests_total");
  ASSERT_NE(requests, nullptr);
  EXPECT_EQ(requests->type, prometheus::MetricType::Counter);
  std::map<std::string, std::set<std::string>> users_of;
  std::map<std::string, double> total_of;
  for (const auto& metric : requests->metric) {
    auto labels = labels_of(metric);
    EXPECT_EQ(labels.size(), 5u);
    EXPECT_EQ(labels["service_namespace"], "factory");
    EXPECT_EQ(labels["service_instance_id"], "host-1");
    EXPECT_TRUE(labels.count("http_response_status_class"));
    users_of[labels["service_name"]].insert(labels["user"]);
    total_of[labels["service_name"]] += metric.counter.value;
    // Hashed: 16 hex characters, or "other"; never the raw identity.
    if (labels["user"] != "other") {
      EXPECT_EQ(labels["user"].size(), 16u);
      EXPECT_EQ(labels["user"].find("user-"), std::string::npos);
      EXPECT_EQ(labels["user"].find("10.0.0."), std::string::npos);
    }
  }
  EXPECT_LE(users_of["mes-api"].size(), 6u);
  EXPECT_LE(users_of["crm-api"].size(), 3u);
  EXPECT_TRUE(users_of["mes-api"].count(hashed("heavy")));
  EXPECT_EQ(total_of["mes-api"], static_cast<double>(mes_identified));
  EXPECT_EQ(total_of["crm-api"], 20000.0);

  const auto* auth = family(families, "redeye_http_server_user_auth_failures_total");
  ASSERT_NE(auth, nullptr);
  double auth_total = 0;
  std::size_t other_auth_series = 0;
  for (const auto& metric : auth->metric) {
    auto labels = labels_of(metric);
    if (labels["user"] == "other") {
      ++other_auth_series;  // 401, 403 and 429 always, 0 until the first
    } else {
      EXPECT_EQ(labels["http_response_status_code"], "401");
    }
    if (labels["http_response_status_code"] != "401") EXPECT_EQ(metric.counter.value, 0.0);
    auth_total += metric.counter.value;
  }
  EXPECT_EQ(other_auth_series, 6u);  // two services
  EXPECT_EQ(auth_total, 2000.0);

  const auto* unidentified =
      family(families, "redeye_http_server_user_unidentified_requests_total");
  ASSERT_NE(unidentified, nullptr);
  for (const auto& metric : unidentified->metric) {
    EXPECT_EQ(metric.counter.value, labels_of(metric)["service_name"] == "mes-api" ? 2.0 : 0.0);
  }
  const auto* bound = family(families, "redeye_http_server_user_count_error_bound");
  ASSERT_NE(bound, nullptr);
  EXPECT_EQ(bound->metric.size(), users_of["mes-api"].size() - 1 + users_of["crm-api"].size() - 1);
  for (const char* name : {"redeye_http_server_distinct_users",
                           "redeye_http_server_distinct_users_interval_seconds"}) {
    const auto* f = family(families, name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(f->type, prometheus::MetricType::Gauge);
    EXPECT_EQ(f->metric.size(), 2u) << name;
  }
  // The invalid token is a parse error of the agent.
  bool counted = false;
  for (const auto& f : self.Collect()) {
    if (f.name != "redeye_parse_errors_total") continue;
    for (const auto& metric : f.metric) {
      auto labels = labels_of(metric);
      if (labels["protocol"] == "http" && labels["kind"] == "user_identity_invalid") {
        EXPECT_EQ(metric.counter.value, 1.0);
        counted = true;
      }
    }
  }
  EXPECT_TRUE(counted);
}

TEST(HttpUserMetrics, OtherIsTotalMinusTheExportedUsersAtEveryScrape) {
  SelfMetrics self;
  HttpUserMetrics metrics(kKey, self, &test_clock);
  UserTracking users;
  users.identity = "header";
  users.header = "X-User-Id";
  users.top_k = 3;
  Service svc("mes-api", users);
  auto* tracked = metrics.service(svc.info, &svc.rule.users);
  std::mt19937_64 rng(11);
  uint64_t sent = 0;
  double last_other = 0;
  for (int scrape = 0; scrape < 50; ++scrape) {
    for (int i = 0; i < 500; ++i, ++sent) {
      g_now += kSecond / 100;
      const uint64_t r = rng() % 100;
      const std::string user = r < 30 ? "u" + std::to_string(r % 4) : "x" + std::to_string(rng());
      tracked->record(user, "", 200);
    }
    const auto families = metrics.Collect();
    const auto* requests = family(families, "redeye_http_server_user_requests_total");
    ASSERT_NE(requests, nullptr);
    double total = 0;
    double other = 0;
    std::set<std::string> labels;
    for (const auto& metric : requests->metric) {
      auto l = labels_of(metric);
      labels.insert(l["user"]);
      total += metric.counter.value;
      if (l["user"] == "other") other += metric.counter.value;
    }
    EXPECT_LE(labels.size(), 4u);
    EXPECT_EQ(total, static_cast<double>(sent));
    EXPECT_GE(other, last_other);  // a counter: never goes down
    last_other = other;
  }
}

}  // namespace
}  // namespace redeye
