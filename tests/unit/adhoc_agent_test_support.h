// The agent's event-side parts for unit tests, without /proc: every process is an ad-hoc
// service named by the comm the kernel reported (follow-all mode), HTTP is parsed, at most 4
// connections. Kernel events are built by hand.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "conn/connection_table.h"
#include "metrics/single_writer.h"
#include "protocols/http/http_protocol.h"

namespace redeye::test {

using prometheus::MetricFamily;

// `sock` stands for the kernel's struct sock address, the connection's identity.
inline redeye_conn_open_event open_event(uint64_t id, uint32_t tgid, uint64_t sock, uint16_t port,
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

inline redeye_data_event data_header(uint64_t id, uint8_t direction, uint32_t len, uint64_t ts) {
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

inline std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Value of a histogram's count (sum: its sum), a gauge or a counter of `name` whose labels
// include all of `want`; -1 when there is none.
inline double value_of(const std::vector<MetricFamily>& families, const std::string& name,
                       const std::vector<std::pair<std::string, std::string>>& want,
                       bool sum = false) {
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

class AdhocAgentTest : public ::testing::Test {
 protected:
  // No /proc: every process is an ad-hoc service named by the comm the kernel reported.
  AdhocAgentTest()
      : services_(config_, discovery::ProcfsReader("/nonexistent-proc"),
                  {[](uint32_t) { return true; }, [](uint32_t) {}}, 1, "testhost"),
        http_(http::make_http_handler({registry_, self_, config_})),
        table_(4, services_, {{REDEYE_PROTO_HTTP1, http_.get()}}, self_, /*follow_all=*/true) {}

  void send(uint64_t id, uint8_t direction, const std::string& payload, uint64_t ts) {
    auto ev = data_header(id, direction, static_cast<uint32_t>(payload.size()), ts);
    table_.on_data(ev, bytes(payload));
  }

  double find(const std::vector<MetricFamily>& families, const std::string& name,
              const std::vector<std::pair<std::string, std::string>>& want, bool sum = false) {
    return value_of(families, name, want, sum);
  }

  Config config_;
  metrics::Registry registry_;
  SelfMetrics self_;
  ServiceRegistry services_;
  std::unique_ptr<protocols::ProtocolHandler> http_;
  ConnectionTable table_;
};

}  // namespace redeye::test
