// metrics::SeriesExpiry: a service's series expire once it has been gone (no process, no
// connection) for the expiry and a scrape has started since it went; one that comes back
// before keeps them.
#include "metrics/series_expiry.h"

#include <gtest/gtest.h>

namespace redeye::metrics {
namespace {

using std::chrono::seconds;
using Clock = SeriesExpiry::Clock;

const ServiceIdentity kShop{"shop", "ns", "host-1"};
const ServiceIdentity kJob{"job", "", "host-1"};

class SeriesExpiryTest : public ::testing::Test {
 protected:
  std::vector<ServiceIdentity> at(int second, std::set<ServiceIdentity> live,
                                  std::set<ServiceIdentity> touched = {}) {
    return expiry_.update(live, touched, scrapes_, start_ + seconds(second));
  }

  SeriesExpiry expiry_{seconds(300)};
  Clock::time_point start_{seconds(1000)};
  uint64_t scrapes_ = 0;
};

TEST_F(SeriesExpiryTest, ExpiresAfterTheExpiryAndAScrape) {
  EXPECT_TRUE(at(0, {kShop, kJob}).empty());
  EXPECT_TRUE(at(10, {kShop}).empty());  // the job went at 10 s
  ++scrapes_;
  EXPECT_TRUE(at(309, {kShop}).empty());
  EXPECT_EQ(at(310, {kShop}), std::vector<ServiceIdentity>{kJob});
  EXPECT_EQ(expiry_.tracked(), 1u);
  EXPECT_TRUE(at(1000, {kShop}).empty());  // only once
}

TEST_F(SeriesExpiryTest, WaitsForAScrapeThatStartedAfterTheServiceWent) {
  at(0, {kJob});
  ++scrapes_;  // before it went: not enough
  at(1, {});
  EXPECT_TRUE(at(400, {}).empty());
  EXPECT_EQ(expiry_.gone(), 1u);
  ++scrapes_;
  EXPECT_EQ(at(401, {}), std::vector<ServiceIdentity>{kJob});
}

TEST_F(SeriesExpiryTest, AServiceThatComesBackKeepsItsSeriesAndStartsOver) {
  at(0, {kJob});
  at(1, {});
  ++scrapes_;
  at(200, {kJob});  // back before the expiry
  EXPECT_TRUE(at(302, {}).empty());
  ++scrapes_;
  EXPECT_TRUE(at(501, {}).empty());  // gone since 302 s
  EXPECT_EQ(at(602, {}), std::vector<ServiceIdentity>{kJob});
}

TEST_F(SeriesExpiryTest, TouchedServicesAreTrackedEvenIfGoneAlready) {
  // A job that lived between two looks.
  EXPECT_TRUE(at(0, {}, {kJob}).empty());
  EXPECT_EQ(expiry_.gone(), 1u);
  ++scrapes_;
  EXPECT_EQ(at(300, {}), std::vector<ServiceIdentity>{kJob});
  // Gone for long, then touched again: the clock restarts.
  at(400, {}, {kShop});
  ++scrapes_;
  at(500, {}, {kShop});
  ++scrapes_;
  EXPECT_TRUE(at(799, {}).empty());
  EXPECT_EQ(at(800, {}), std::vector<ServiceIdentity>{kShop});
}

TEST(SeriesExpiry, ZeroNeverExpires) {
  SeriesExpiry never{seconds(0)};
  const Clock::time_point t0{seconds(5)};
  never.update({kJob}, {}, 0, t0);
  EXPECT_TRUE(never.update({}, {}, 10, t0 + std::chrono::hours(1000)).empty());
  EXPECT_EQ(never.tracked(), 0u);
}

}  // namespace
}  // namespace redeye::metrics
