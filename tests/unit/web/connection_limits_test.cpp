// The endpoint's connection caps and deadlines, without sockets: who is closed to make room,
// which deadline comes next, how peers are grouped by address.
#include "web/connection_limits.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <chrono>

namespace redeye::web {
namespace {

using std::chrono::seconds;

ConnectionPolicy small(size_t total, size_t per_client) {
  ConnectionPolicy policy;
  policy.max_connections = total;
  policy.max_per_client = per_client;
  policy.header_timeout = seconds(10);
  policy.write_timeout = seconds(30);
  return policy;
}

const Clock::time_point t0{};

TEST(ConnectionLimitsTest, PerClientCapClosesThatClientsOldestIncompleteConnection) {
  ConnectionLimits table(small(100, 3));
  EXPECT_TRUE(table.admit(1, "10.0.0.1", t0).admitted());
  EXPECT_TRUE(table.admit(2, "10.0.0.1", t0).admitted());
  EXPECT_TRUE(table.admit(3, "10.0.0.2", t0).admitted());  // another client: not in the way
  EXPECT_TRUE(table.admit(4, "10.0.0.1", t0).admitted());
  table.head_complete(1, t0);  // its answer is being written: not evictable
  const auto admission = table.admit(5, "10.0.0.1", t0);
  ASSERT_TRUE(admission.admitted());
  ASSERT_EQ(admission.to_close.size(), 1u);
  EXPECT_EQ(admission.to_close[0].first, 2u);
  EXPECT_EQ(admission.to_close[0].second, CloseReason::kPerClientLimit);
  EXPECT_EQ(table.from("10.0.0.1"), 3u);
  EXPECT_EQ(table.from("10.0.0.2"), 1u);
  EXPECT_EQ(table.size(), 4u);
}

TEST(ConnectionLimitsTest, NewcomerRefusedOnlyWhenEveryConnectionInTheWayHasItsRequest) {
  ConnectionLimits table(small(100, 2));
  table.admit(1, "a", t0);
  table.admit(2, "a", t0);
  table.head_complete(1, t0);
  table.head_complete(2, t0);
  const auto admission = table.admit(3, "a", t0);
  EXPECT_FALSE(admission.admitted());
  EXPECT_EQ(admission.refused_reason, CloseReason::kPerClientLimit);
  EXPECT_TRUE(admission.to_close.empty());
  EXPECT_EQ(table.size(), 2u);
  table.remove(1);
  EXPECT_TRUE(table.admit(4, "a", t0).admitted());
}

TEST(ConnectionLimitsTest, TotalCapClosesTheOldestIncompleteConnectionOfAnyClient) {
  ConnectionLimits table(small(3, 10));
  table.admit(1, "a", t0);
  table.admit(2, "b", t0);
  table.admit(3, "c", t0);
  table.head_complete(1, t0);
  const auto admission = table.admit(4, "d", t0);
  ASSERT_TRUE(admission.admitted());
  ASSERT_EQ(admission.to_close.size(), 1u);
  EXPECT_EQ(admission.to_close[0].first, 2u);
  EXPECT_EQ(admission.to_close[0].second, CloseReason::kTotalLimit);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.from("b"), 0u);
}

TEST(ConnectionLimitsTest, DeadlinesInOrderHeaderThenWrite) {
  ConnectionLimits table(small(10, 10));
  EXPECT_FALSE(table.next_deadline());
  table.admit(1, "a", t0);
  table.admit(2, "a", t0 + seconds(1));
  table.admit(3, "b", t0 + seconds(2));
  EXPECT_EQ(table.next_deadline(), t0 + seconds(10));
  table.head_complete(1, t0 + seconds(5));  // write deadline: 5 + 30
  EXPECT_EQ(table.next_deadline(), t0 + seconds(11));
  EXPECT_TRUE(table.expired(t0 + seconds(10)).empty());
  auto expired = table.expired(t0 + seconds(12));
  ASSERT_EQ(expired.size(), 2u);
  EXPECT_EQ(expired[0], std::make_pair(ConnectionLimits::Id{2}, CloseReason::kHeaderTimeout));
  EXPECT_EQ(expired[1], std::make_pair(ConnectionLimits::Id{3}, CloseReason::kHeaderTimeout));
  table.remove(2);
  table.remove(3);
  expired = table.expired(t0 + seconds(40));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0], std::make_pair(ConnectionLimits::Id{1}, CloseReason::kWriteTimeout));
  table.remove(1);
  EXPECT_FALSE(table.next_deadline());
  EXPECT_EQ(table.size(), 0u);
}

sockaddr_storage peer(int family, const char* text) {
  sockaddr_storage storage{};
  storage.ss_family = static_cast<sa_family_t>(family);
  void* where = family == AF_INET
                    ? static_cast<void*>(&reinterpret_cast<sockaddr_in&>(storage).sin_addr)
                    : static_cast<void*>(&reinterpret_cast<sockaddr_in6&>(storage).sin6_addr);
  EXPECT_EQ(inet_pton(family, text, where), 1) << text;
  return storage;
}

TEST(ClientKeyTest, Ipv4AndMappedAreOneClientIpv6GroupsBySlash64) {
  EXPECT_EQ(client_key(peer(AF_INET, "127.0.0.2")), "127.0.0.2");
  EXPECT_EQ(client_key(peer(AF_INET6, "::ffff:127.0.0.2")), "127.0.0.2");
  EXPECT_EQ(client_key(peer(AF_INET6, "2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
  EXPECT_EQ(client_key(peer(AF_INET6, "2001:db8:1:2:bbbb::9")), "2001:db8:1:2::/64");
  EXPECT_NE(client_key(peer(AF_INET6, "2001:db8:1:3::1")), "2001:db8:1:2::/64");
}

TEST(ConnectionStatsTest, EveryReasonShownFromTheStart) {
  ConnectionStats stats;
  stats.closed(CloseReason::kHeaderTimeout);
  const auto families = stats.Collect();
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[0].name, "redeye_metrics_endpoint_connections");
  EXPECT_EQ(families[1].name, "redeye_metrics_endpoint_connections_closed_total");
  ASSERT_EQ(families[1].metric.size(), kCloseReasons);
  for (const auto& metric : families[1].metric) {
    const bool timeout = metric.label.at(0).value == "header_timeout";
    EXPECT_EQ(metric.counter.value, timeout ? 1.0 : 0.0) << metric.label.at(0).value;
  }
}

}  // namespace
}  // namespace redeye::web
