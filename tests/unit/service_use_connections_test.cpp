// process_open_tcp_connections as the USE collector counts it: from the kernel's socket
// iterator when it is there, from /proc when it is not or cannot list a service's process.
// /proc is the fixture tree: pid 200 is a redis with three accepted connections and one it
// opened (tests/fixtures/proc, see procfs_reader_test.cpp).
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <vector>

#include "metrics/service_use_collector.h"

namespace redeye {
namespace {

constexpr uint32_t kRedis = 200;

ServiceUseSnapshot collect_redis(
    std::function<std::optional<std::vector<host::HeldSocket>>(uint32_t)> held) {
  auto service = std::make_shared<ServiceInfo>();
  service->name = "redis";
  ServiceUseCollector::Sources sources;
  sources.members = [service] { return std::vector<ServiceMembers>{{service, {kRedis}}}; };
  sources.held_sockets = std::move(held);
  sources.proc_root = REDEYE_PROC_FIXTURES;
  sources.cgroup_root = "/nonexistent-cgroup-root";
  static const DiscoveryConfig config;
  ServiceUseCollector collector(config, std::move(sources));
  collector.collect(0);
  const auto snapshot = collector.snapshot();
  EXPECT_EQ(snapshot.size(), 1u);
  return snapshot.empty() ? ServiceUseSnapshot{} : snapshot.front();
}

TEST(ServiceUseConnections, FromProcWithoutTheIterator) {
  const ServiceUseSnapshot redis = collect_redis(nullptr);
  EXPECT_EQ(redis.server_connections, 3u);
  EXPECT_EQ(redis.client_connections, 1u);
}

TEST(ServiceUseConnections, FromTheIteratorWhenItIsThere) {
  // What the kernel lists differs from the fixture's /proc on purpose: the counts must be
  // the iterator's.
  const ServiceUseSnapshot redis = collect_redis([](uint32_t pid) {
    EXPECT_EQ(pid, kRedis);
    return std::optional<std::vector<host::HeldSocket>>(
        {{0x1, 6379, true}, {0xa, 6379, false}, {0xa, 6379, false}, {0xb, 40000, false}});
  });
  EXPECT_EQ(redis.server_connections, 1u);
  EXPECT_EQ(redis.client_connections, 1u);
}

TEST(ServiceUseConnections, FromProcWhenTheIteratorCannotListAProcess) {
  const ServiceUseSnapshot redis =
      collect_redis([](uint32_t) { return std::optional<std::vector<host::HeldSocket>>(); });
  EXPECT_EQ(redis.server_connections, 3u);
  EXPECT_EQ(redis.client_connections, 1u);
}

}  // namespace
}  // namespace redeye
