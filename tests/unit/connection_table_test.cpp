#include "conn/connection_table.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "adhoc_agent_test_support.h"
#include "metrics/single_writer.h"
#include "protocols/http/http_protocol.h"

namespace redeye {
namespace {

using prometheus::MetricFamily;

using ConnectionTableTest = test::AdhocAgentTest;
using test::bytes;
using test::data_header;
using test::open_event;

TEST_F(ConnectionTableTest, RequestAndResponseBecomeOneLabelledObservation) {
  table_.on_open(open_event(1, 10, 5, 8080, "shop-api"));
  send(1, REDEYE_DIR_INBOUND, "GET /orders/42?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", 1'000'000);
  auto mid = registry_.Collect();
  EXPECT_EQ(find(mid, "http_server_active_requests", {{"service_name", "shop-api"}}), 1);
  send(1, REDEYE_DIR_OUTBOUND, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 3'000'000);

  auto families = registry_.Collect();
  const std::vector<std::pair<std::string, std::string>> labels = {
      {"service_name", "shop-api"},         {"service_instance_id", "testhost"},
      {"http_request_method", "GET"},       {"http_route", "/orders/{id}"},
      {"http_response_status_code", "200"}, {"server_port", "8080"}};
  EXPECT_EQ(find(families, "http_server_request_duration_seconds", labels), 1);
  EXPECT_DOUBLE_EQ(find(families, "http_server_request_duration_seconds", labels, true), 0.002);
  EXPECT_EQ(find(families, "http_server_response_body_size_bytes", labels, true), 5);
  EXPECT_EQ(find(families, "http_server_request_body_size_bytes", labels, true), 0);
  EXPECT_EQ(find(families, "http_server_active_requests", {{"service_name", "shop-api"}}), 0);
  EXPECT_EQ(find(self_.Collect(), "redeye_connections_classified_total", {{"protocol", "http"}}),
            1);
}

TEST_F(ConnectionTableTest, DataForUnknownConnectionIsCountedAsDropped) {
  send(99, REDEYE_DIR_INBOUND, "GET / HTTP/1.1\r\n\r\n", 1);
  auto self = self_.Collect();
  EXPECT_EQ(find(self, "redeye_events_dropped_total", {{"reason", "unknown_connection"}}), 1);
}

// The kernel re-announces a sock it lost track of (LRU eviction) under a new id.
TEST_F(ConnectionTableTest, ReannouncedSockRetiresTheOldConnectionAndAbandonsItsRequest) {
  table_.on_open(open_event(1, 10, 5, 8080, "api"));
  send(1, REDEYE_DIR_INBOUND, "POST /a HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 1);
  table_.on_open(open_event(2, 10, 5, 8080, "api"));
  EXPECT_EQ(table_.size(), 1u);
  auto families = registry_.Collect();
  EXPECT_EQ(find(families, "http_server_active_requests", {{"http_request_method", "POST"}}), 0);
}

TEST(ConnectionTableDiscoveryTest, ProcessesThatAreNotServicesAreIgnoredNotCountedAsDrops) {
  Config config;
  metrics::Registry registry;
  SelfMetrics self;
  ServiceRegistry services(config, discovery::ProcfsReader("/nonexistent-proc"),
                           {[](uint32_t) { return true; }, [](uint32_t) {}}, 1, "testhost");
  auto http = http::make_http_handler({registry, self, config});
  ConnectionTable table(4, services, {{REDEYE_PROTO_HTTP1, http.get()}}, self, false);
  table.on_open(open_event(1, 10, 5, 8080, "ab"));
  EXPECT_EQ(table.size(), 0u);
  auto ev = data_header(1, REDEYE_DIR_OUTBOUND, 4, 1);
  ev.hdr.tgid = 10;
  table.on_data(ev, bytes("GET "));
  for (const auto& family : self.Collect()) {
    if (family.name != "redeye_events_dropped_total") continue;
    for (const auto& m : family.metric) EXPECT_EQ(m.counter.value, 0) << m.label[0].value;
  }
}

TEST_F(ConnectionTableTest, TableIsBoundedAndCountsWhatItRefuses) {
  for (uint32_t i = 0; i < 6; i++) table_.on_open(open_event(100 + i, 10, i, 80, "api"));
  EXPECT_EQ(table_.size(), 4u);
  auto self = self_.Collect();
  EXPECT_EQ(find(self, "redeye_events_dropped_total", {{"reason", "connection_table_full"}}), 2);
}

TEST_F(ConnectionTableTest, ProcessExitForgetsItsConnections) {
  table_.on_open(open_event(1, 10, 5, 80, "api"));
  table_.on_open(open_event(2, 10, 6, 80, "api"));
  table_.on_open(open_event(3, 11, 7, 80, "db"));
  table_.on_process_exit(10, 5);
  EXPECT_EQ(table_.size(), 1u);
  redeye_conn_close_event close{};
  close.hdr.conn_id = 3;
  table_.on_close(close);
  EXPECT_EQ(table_.size(), 0u);
}

TEST_F(ConnectionTableTest, NonHttpDataIsIgnored) {
  table_.on_open(open_event(1, 10, 5, 5432, "postgres"));
  auto ev = data_header(1, REDEYE_DIR_INBOUND, 4, 1);
  ev.protocol = REDEYE_PROTO_OTHER;
  table_.on_data(ev, bytes("abcd"));
  auto families = registry_.Collect();
  EXPECT_EQ(find(families, "http_server_request_duration_seconds", {}), -1);
}

}  // namespace
}  // namespace redeye
