#include "conn/connection_table.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "metrics/single_writer.h"
#include "protocols/http/http_protocol.h"

namespace redeye {
namespace {

using prometheus::MetricFamily;

// `sock` stands for the kernel's struct sock address, the connection's identity.
redeye_conn_open_event open_event(uint64_t id, uint32_t tgid, uint64_t sock, uint16_t port,
                                  const char* comm) {
  redeye_conn_open_event ev{};
  ev.hdr.type = REDEYE_EV_CONN_OPEN;
  ev.hdr.conn_id = id;
  ev.hdr.tgid = tgid;
  ev.hdr.fd = 3;
  ev.sock = sock;
  ev.local_port = port;
  std::strncpy(ev.comm, comm, sizeof(ev.comm) - 1);
  return ev;
}

redeye_data_event data_header(uint64_t id, uint8_t direction, uint32_t len, uint64_t ts) {
  redeye_data_event ev{};
  ev.hdr.type = REDEYE_EV_DATA;
  ev.hdr.conn_id = id;
  ev.hdr.ts_ns = ts;
  ev.total_len = len;
  ev.captured_len = len;
  ev.direction = direction;
  ev.protocol = REDEYE_PROTO_HTTP1;
  ev.role = REDEYE_ROLE_SERVER;
  return ev;
}

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class ConnectionTableTest : public ::testing::Test {
 protected:
  // No /proc: every process is an ad-hoc service named by the comm the kernel reported.
  ConnectionTableTest()
      : services_(config_, discovery::ProcfsReader("/nonexistent-proc"),
                  {[](uint32_t) { return true; }, [](uint32_t) {}}, 1, "testhost"),
        http_(http::make_http_handler({registry_, self_, config_})),
        table_(4, services_, {{REDEYE_PROTO_HTTP1, http_.get()}}, self_, /*follow_all=*/true) {}

  void send(uint64_t id, uint8_t direction, const std::string& payload, uint64_t ts) {
    auto ev = data_header(id, direction, static_cast<uint32_t>(payload.size()), ts);
    table_.on_data(ev, bytes(payload));
  }

  // Value of a histogram's count (or a gauge) whose labels include all of `want`.
  double find(const std::vector<MetricFamily>& families, const std::string& name,
              const std::vector<std::pair<std::string, std::string>>& want, bool sum = false) {
    for (const auto& family : families) {
      if (family.name != name) continue;
      for (const auto& metric : family.metric) {
        bool match = true;
        for (const auto& [k, v] : want) {
          bool found = false;
          for (const auto& label : metric.label) found |= label.name == k && label.value == v;
          match &= found;
        }
        if (!match) continue;
        if (family.type == prometheus::MetricType::Histogram) {
          return sum ? metric.histogram.sample_sum
                     : static_cast<double>(metric.histogram.sample_count);
        }
        return family.type == prometheus::MetricType::Gauge ? metric.gauge.value
                                                            : metric.counter.value;
      }
    }
    return -1;
  }

  Config config_;
  metrics::Registry registry_;
  SelfMetrics self_;
  ServiceRegistry services_;
  std::unique_ptr<protocols::ProtocolHandler> http_;
  ConnectionTable table_;
};

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
