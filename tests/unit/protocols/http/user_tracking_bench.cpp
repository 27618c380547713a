// Per-user tracking benchmark: one service's tracker fed with a million distinct identities
// plus skewed traffic, through the same path as the agent (identity from a header value,
// HMAC-SHA256, Space-Saving, HyperLogLog, rank by recent rate). Prints Markdown.
//
//   user_tracking_bench [--users N] [--skewed N] [--top-k K] [--seed S]
//
// Run by scripts/bench_users.sh, which writes the result into docs/BENCHMARKS.md.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "metrics/self_metrics.h"
#include "protocols/http/http_user_metrics.h"

namespace {

using redeye::HttpUserMetrics;
using redeye::UserTracker;

long rss_kib(const char* field = "VmRSS:") {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0)
      return std::strtol(line.c_str() + std::strlen(field), nullptr, 10);
  }
  return -1;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

uint64_t g_now = 1609459200ull * 1'000'000'000ull;
uint64_t bench_clock() { return g_now; }

struct Args {
  uint64_t users = 1'000'000;
  uint64_t skewed = 1'000'000;
  uint32_t top_k = 20;
  uint64_t seed = 1;
};

Args parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const uint64_t value = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--users") {
      args.users = value;
    } else if (flag == "--skewed") {
      args.skewed = value;
    } else if (flag == "--top-k") {
      args.top_k = static_cast<uint32_t>(value);
    } else if (flag == "--seed") {
      args.seed = value;
    } else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      std::exit(2);
    }
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  const char* key = "bench-key-0123456789abcdef";

  // The stream: every one of `users` identities once, interleaved with `skewed` requests of
  // which the three heavy users make 20 %, 15 % and 10 %, the rest spread over the users
  // (light tail, Zipf-like: user i with probability ~ 1/(i+1)).
  std::mt19937_64 rng(args.seed);
  std::vector<uint64_t> zipf_cdf;  // over the first 10,000 users, enough for the tail shape
  double acc = 0;
  for (int i = 0; i < 10000; ++i)
    zipf_cdf.push_back(static_cast<uint64_t>((acc += 1.0 / (i + 1)) * 1e6));
  const std::map<std::string, double> heavy_share = {
      {"heavy-a", 0.20}, {"heavy-b", 0.15}, {"heavy-c", 0.10}};
  std::map<std::string, uint64_t> heavy_truth;

  auto identity_of = [&](uint64_t i, std::string& out) {
    if (i < args.users) {
      out = "user-" + std::to_string(i);
      return;
    }
    const double r = static_cast<double>(rng() % 1000000) / 1e6;
    double edge = 0;
    for (const auto& [name, share] : heavy_share) {
      edge += share;
      if (r < edge) {
        out = name;
        ++heavy_truth[name];
        return;
      }
    }
    const uint64_t pick = rng() % zipf_cdf.back();
    const auto rank = std::lower_bound(zipf_cdf.begin(), zipf_cdf.end(), pick) - zipf_cdf.begin();
    out = "user-" + std::to_string(rank);
  };
  // Interleave: request j is distinct user j/2 on even j (while any are left), skewed on odd.
  const uint64_t total = args.users + args.skewed;
  std::vector<uint64_t> order;  // 0..users-1 distinct, users.. skewed
  order.reserve(total);
  uint64_t next_distinct = 0;
  uint64_t next_skewed = args.users;
  for (uint64_t j = 0; j < total; ++j) {
    const bool distinct_turn = (j % 2 == 0 && next_distinct < args.users) || next_skewed >= total;
    order.push_back(distinct_turn ? next_distinct++ : next_skewed++);
  }

  // Hashing alone.
  redeye::http::UserIdentityHasher hasher(key);
  std::string identity;
  uint64_t sink = 0;
  auto start = std::chrono::steady_clock::now();
  const uint64_t hash_n = std::min<uint64_t>(total, 1'000'000);
  for (uint64_t i = 0; i < hash_n; ++i) {
    identity = "user-" + std::to_string(i);
    sink ^= hasher.id(identity);
  }
  const double hash_ns = seconds_since(start) * 1e9 / static_cast<double>(hash_n);

  // The agent's path: ServiceUsers::record (identity from the header value, lock, tracker).
  const long rss_before = rss_kib();
  redeye::SelfMetrics self;
  HttpUserMetrics metrics(key, self, &bench_clock);
  redeye::ServiceRule rule;
  rule.name = "mes-api";
  rule.users.identity = "header";
  rule.users.header = "X-User-Id";
  rule.users.top_k = args.top_k;
  redeye::ServiceInfo info;
  info.name = "mes-api";
  info.instance_id = "bench";
  info.rule = 0;
  HttpUserMetrics::ServiceUsers* users = metrics.service(info, &rule.users);
  const long rss_created = rss_kib();
  start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < total; ++i) {
    g_now += 20'000;  // 50,000 requests/s of simulated time
    identity_of(order[i], identity);
    users->record(identity, "", (i % 50 == 0) ? 429 : 200);
  }
  const double record_s = seconds_since(start);
  // Time spent producing the identities, to subtract.
  std::mt19937_64 rng_copy(args.seed);
  std::swap(rng, rng_copy);
  heavy_truth.clear();
  start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < total; ++i) {
    identity_of(order[i], identity);
    sink ^= identity.size();
  }
  const double generate_s = seconds_since(start);
  const long rss_after = rss_kib();

  g_now += 61'000'000'000ull;  // close the distinct-users interval
  const auto families = metrics.Collect();
  double distinct = -1;
  std::map<std::string, double> bounds;
  std::map<std::string, double> reported;
  std::size_t user_labels = 0;
  for (const auto& family : families) {
    if (family.name == "redeye_http_server_distinct_users")
      distinct = family.metric.at(0).gauge.value;
    if (family.name == "redeye_http_server_user_count_error_bound") {
      for (const auto& metric : family.metric) {
        for (const auto& label : metric.label) {
          if (label.name == "user") bounds[label.value] = metric.gauge.value;
        }
      }
    }
    if (family.name != "redeye_http_server_user_requests_total") continue;
    std::map<std::string, bool> seen;
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "user") {
          reported[label.value] += metric.counter.value;
          seen[label.value] = true;
        }
      }
    }
    user_labels = seen.size();
  }
  const uint64_t bound_min = users->min_count();

  const double per_request_ns = (record_s - generate_s) * 1e9 / static_cast<double>(total);
  std::printf("| what | value |\n| --- | --- |\n");
  std::printf("| requests fed | %" PRIu64 " (%" PRIu64 " distinct users once each + %" PRIu64
              " skewed) |\n",
              total, args.users, args.skewed);
  std::printf("| top_k / Space-Saving counters | %u / %u |\n", args.top_k, 4 * args.top_k);
  std::printf("| HMAC-SHA256 of an identity | %.0f ns |\n", hash_ns);
  std::printf(
      "| per request (identity + hash + Space-Saving + HyperLogLog + rank, lock) | %.0f ns |\n",
      per_request_ns);
  std::printf("| tracker memory (computed) | %zu bytes |\n", users->memory_bytes());
  std::printf("| RSS before / after creating the tracker / after %" PRIu64
              " requests | %ld / %ld / %ld KiB |\n",
              total, rss_before, rss_created, rss_after);
  std::printf("| RSS growth while feeding | %ld KiB |\n", rss_after - rss_created);
  std::printf(
      "| distinct users (HyperLogLog, one interval) | %.0f (true %" PRIu64 ", %+.2f %%) |\n",
      distinct, args.users, 100.0 * (distinct - static_cast<double>(args.users)) / args.users);
  std::printf("| user label values exported | %zu (top_k + other) |\n", user_labels);
  std::printf("| Space-Saving error bound (min counter; N / K' = %" PRIu64 ") | %" PRIu64 " |\n",
              total / (4 * args.top_k), bound_min);
  redeye::http::UserIdentityHasher label_hasher(key);
  for (const auto& [name, truth] : heavy_truth) {
    const std::string label = redeye::http::UserIdentityHasher::label(label_hasher.id(name));
    std::printf("| %s: true / reported (error bound) | %" PRIu64 " / %.0f (%.0f) |\n", name.c_str(),
                truth, reported[label], bounds[label]);
  }
  std::fprintf(stderr, "(checksum %" PRIu64 ")\n", sink);
  return 0;
}
