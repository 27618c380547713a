// SeriesReaper on the agent's parts: the series of a service with no process and no open
// connection are dropped from the registry and the handlers' caches once the expiry has
// passed and a scrape has started since; an open connection keeps them; a service seen again
// afterwards starts fresh series (no stale cached pointer).
#include "agent/series_reaper.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "protocols/http/http_protocol.h"

namespace redeye {
namespace {

using std::chrono::seconds;

redeye_conn_open_event open_event(uint64_t id, uint32_t tgid, uint64_t sock, const char* comm) {
  redeye_conn_open_event ev{};
  ev.hdr.type = REDEYE_EV_CONN_OPEN;
  ev.hdr.conn_id = id;
  ev.hdr.tgid = tgid;
  ev.sock = sock;
  ev.local_port = 8080;
  std::strncpy(ev.comm, comm, sizeof(ev.comm) - 1);
  return ev;
}

double value(const std::vector<prometheus::MetricFamily>& families, const std::string& name) {
  for (const auto& family : families) {
    if (family.name == name && !family.metric.empty()) {
      const auto& metric = family.metric.front();
      return family.type == prometheus::MetricType::Counter ? metric.counter.value
                                                            : metric.gauge.value;
    }
  }
  return -1;
}

class SeriesReaperTest : public ::testing::Test {
 protected:
  // No /proc: every process is an ad-hoc service named by its comm (follow-all mode).
  SeriesReaperTest()
      : services_(config_, discovery::ProcfsReader("/nonexistent-proc"),
                  {[](uint32_t) { return true; }, [](uint32_t) {}}, 1, "testhost"),
        http_(http::make_http_handler({registry_, self_, config_})),
        table_(16, services_, {{REDEYE_PROTO_HTTP1, http_.get()}}, self_, /*follow_all=*/true),
        reaper_({services_, table_, {http_.get()}, registry_, nullptr, self_}, seconds(3),
                [this] { return now_; }) {}

  void exchange(uint64_t id, uint32_t tgid, const char* comm) {
    table_.on_open(open_event(id, tgid, id, comm));
    redeye_data_event ev{};
    ev.hdr.type = REDEYE_EV_DATA;
    ev.hdr.conn_id = id;
    ev.protocol = REDEYE_PROTO_HTTP1;
    ev.role = REDEYE_ROLE_SERVER;
    for (auto [direction, text] :
         {std::pair{REDEYE_DIR_INBOUND, "GET / HTTP/1.1\r\n\r\n"},
          std::pair{REDEYE_DIR_OUTBOUND, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"}}) {
      ev.direction = direction;
      ev.total_len = ev.captured_len = static_cast<uint32_t>(std::strlen(text));
      ev.hdr.ts_ns += 1000;
      table_.on_data(ev, {reinterpret_cast<const uint8_t*>(text), ev.total_len});
    }
  }
  void tick_at(int second) {
    now_ = std::chrono::steady_clock::time_point(seconds(100 + second));
    reaper_.tick();
  }
  // Histogram count of the job's duration series; -1 when it has none.
  double job_requests() {
    for (const auto& family : registry_.Collect()) {
      if (family.name != "http_server_request_duration_seconds") continue;
      for (const auto& metric : family.metric) {
        for (const auto& label : metric.label) {
          if (label.name == "service_name" && label.value == "job") {
            return static_cast<double>(metric.histogram.sample_count);
          }
        }
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
  std::chrono::steady_clock::time_point now_;
  SeriesReaper reaper_;
};

TEST_F(SeriesReaperTest, SeriesOfAGoneServiceExpireAfterAScrape) {
  exchange(1, 10, "job");
  exchange(2, 20, "shop");
  tick_at(0);
  table_.on_process_exit(10, 5);
  services_.on_exit(10);
  tick_at(1);  // gone from here
  tick_at(10);
  EXPECT_EQ(job_requests(), 1);  // no scrape since it went: kept (this is the scrape)
  EXPECT_EQ(value(self_.Collect(), "redeye_metric_series"), 8);  // 2 services x (3 + 1 gauge)
  tick_at(11);
  EXPECT_EQ(job_requests(), -1);
  const auto self = self_.Collect();
  EXPECT_EQ(value(self, "redeye_services_expired_total"), 1);
  EXPECT_EQ(value(self, "redeye_metric_series"), 4);
  EXPECT_EQ(registry_.series_count(), 4u);  // shop's
}

TEST_F(SeriesReaperTest, AnOpenConnectionKeepsTheService) {
  exchange(1, 10, "job");
  tick_at(0);
  services_.on_exit(10);  // the process is gone, its connection is not (yet)
  for (int s = 1; s < 20; ++s) {
    registry_.Collect();
    tick_at(s);
  }
  EXPECT_EQ(job_requests(), 1);
  table_.on_process_exit(10, 5);
  tick_at(20);
  registry_.Collect();
  tick_at(23);
  EXPECT_EQ(job_requests(), -1);
}

TEST_F(SeriesReaperTest, AServiceSeenAgainAfterExpiryStartsFreshSeries) {
  exchange(1, 10, "job");
  tick_at(0);
  table_.on_process_exit(10, 5);
  services_.on_exit(10);
  tick_at(1);
  registry_.Collect();
  tick_at(4);
  ASSERT_EQ(job_requests(), -1);
  // A new process of the same name; its ServiceInfo may well sit at the old one's address.
  exchange(3, 30, "job");
  EXPECT_EQ(job_requests(), 1);
  exchange(4, 30, "job");
  EXPECT_EQ(job_requests(), 2);
}

TEST_F(SeriesReaperTest, AServiceLivingBetweenTwoLooksStillExpires) {
  tick_at(0);
  exchange(1, 10, "job");
  table_.on_process_exit(10, 5);
  services_.on_exit(10);
  tick_at(1);  // never seen live: known from the registry's touched set
  registry_.Collect();
  tick_at(4);
  EXPECT_EQ(job_requests(), -1);
}

}  // namespace
}  // namespace redeye
