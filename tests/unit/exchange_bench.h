// Shared parts of the protocol hot-path micro-benchmarks (http_exchange_bench,
// pg_exchange_bench): options, the timing loop, the service a benchmark connection belongs to
// and the report line. Not ctests: timings depend on the machine.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "discovery/service_registry.h"

namespace redeye::bench {

struct ExchangeBenchArgs {
  uint64_t exchanges = 1'000'000;
  int rounds = 3;
  std::string target = "/";  // only where the benchmark takes --target
};

// --exchanges N, --rounds R and, when `with_target`, --target PATH. Exits 2 on anything else.
inline ExchangeBenchArgs parse_args(int argc, char** argv, bool with_target) {
  ExchangeBenchArgs args;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--exchanges") {
      args.exchanges = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--rounds") {
      args.rounds = std::max(1, std::atoi(argv[i + 1]));
    } else if (with_target && flag == "--target") {
      args.target = argv[i + 1];
    } else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      std::exit(2);
    }
  }
  return args;
}

// Wall time of `n` calls of exchange(i), in ns per call.
template <typename Fn>
double ns_per_exchange(uint64_t n, Fn&& exchange) {
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < n; ++i) exchange(i);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return seconds * 1e9 / static_cast<double>(n);
}

inline ServiceInfo service(const std::string& name) {
  ServiceInfo s;
  s.name = name;
  s.instance_id = "bench-host";
  s.host_name = "bench-host";
  s.name_source = "exe";
  return s;
}

// "<label> <best> ns/exchange (best of R, median M)".
inline void print_timing(const char* label, std::vector<double> ns) {
  std::sort(ns.begin(), ns.end());
  std::printf("%s %.1f ns/exchange (best of %zu, median %.1f)\n", label, ns.front(), ns.size(),
              ns[ns.size() / 2]);
}

}  // namespace redeye::bench
