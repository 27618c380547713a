// SeriesReaper on the agent's parts: the series of a service with no process and no open
// connection are dropped from the registry and the handlers' caches once the expiry has
// passed and a scrape has started since; an open connection keeps them; a service seen again
// afterwards starts fresh series (no stale cached pointer).
#include "agent/series_reaper.h"

#include <gtest/gtest.h>

#include <string>

#include "adhoc_agent_test_support.h"

namespace redeye {
namespace {

using std::chrono::seconds;

class SeriesReaperTest : public test::AdhocAgentTest {
 protected:
  SeriesReaperTest()
      : reaper_({services_, table_, {http_.get()}, registry_, nullptr, self_}, seconds(3),
                [this] { return now_; }) {}

  void exchange(uint64_t id, uint32_t tgid, const char* comm) {
    table_.on_open(test::open_event(id, tgid, id, 8080, comm));
    send(id, REDEYE_DIR_INBOUND, "GET / HTTP/1.1\r\n\r\n", 1000);
    send(id, REDEYE_DIR_OUTBOUND, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 2000);
  }
  void tick_at(int second) {
    now_ = std::chrono::steady_clock::time_point(seconds(100 + second));
    reaper_.tick();
  }
  // Requests in the job's duration series; -1 when it has none (a scrape).
  double job_requests() {
    return find(registry_.Collect(), "http_server_request_duration_seconds",
                {{"service_name", "job"}});
  }
  double self_value(const std::string& name) { return find(self_.Collect(), name, {}); }

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
  EXPECT_EQ(self_value("redeye_metric_series"), 8);  // 2 services x (3 + 1 gauge)
  tick_at(11);
  EXPECT_EQ(job_requests(), -1);
  EXPECT_EQ(self_value("redeye_services_expired_total"), 1);
  EXPECT_EQ(self_value("redeye_metric_series"), 4);
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
  EXPECT_EQ(job_requests(), 1);  // its series exist until the expiry
  EXPECT_EQ(self_value("redeye_services_expired_total"), 0);
  tick_at(4);
  EXPECT_EQ(job_requests(), -1);
  EXPECT_EQ(self_value("redeye_services_expired_total"), 1);
}

}  // namespace
}  // namespace redeye
