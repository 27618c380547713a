// The USE collector keeps a service whose processes are gone (its counters never go back)
// until its series expire: forget_service drops it from the snapshot at once and from the
// round state, unless the next round finds it running again. /proc is the fixture tree
// (pid 200 is a redis, tests/fixtures/proc).
#include <gtest/gtest.h>
#include <prometheus/metric_family.h>

#include <memory>
#include <vector>

#include "metrics/service_use_collector.h"

namespace redeye {
namespace {

class ServiceUseExpiryTest : public ::testing::Test {
 protected:
  ServiceUseExpiryTest() {
    redis_->name = "redis";
    redis_->instance_id = "host-1";
    ServiceUseCollector::Sources sources;
    sources.members = [this] {
      return running_ ? std::vector<ServiceMembers>{{redis_, {200}}}
                      : std::vector<ServiceMembers>{};
    };
    sources.proc_root = REDEYE_PROC_FIXTURES;
    sources.cgroup_root = "/nonexistent-cgroup-root";
    collector_ = std::make_unique<ServiceUseCollector>(config_, std::move(sources));
  }

  DiscoveryConfig config_;
  std::shared_ptr<ServiceInfo> redis_ = std::make_shared<ServiceInfo>();
  bool running_ = true;
  std::unique_ptr<ServiceUseCollector> collector_;
};

TEST_F(ServiceUseExpiryTest, AGoneServiceStaysUntilForgotten) {
  collector_->collect(0);
  running_ = false;
  collector_->collect(5);
  ASSERT_EQ(collector_->snapshot().size(), 1u);  // gone, kept
  collector_->forget_service(identity_of(*redis_));
  EXPECT_TRUE(collector_->snapshot().empty());
  EXPECT_TRUE(collector_->Collect().empty());
  collector_->collect(10);
  EXPECT_TRUE(collector_->snapshot().empty());  // not brought back by known_services_
}

TEST_F(ServiceUseExpiryTest, AServiceRunningAgainIsKept) {
  collector_->collect(0);
  collector_->forget_service(identity_of(*redis_));
  collector_->collect(5);  // still running: the round shows it
  EXPECT_EQ(collector_->snapshot().size(), 1u);
}

}  // namespace
}  // namespace redeye
