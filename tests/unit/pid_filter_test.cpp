// The process filter's userspace side: byte writes that leave the kernel's neighbouring bytes
// alone, and its size from kernel.pid_max.
#include "bpf/pid_filter.h"

#include <gtest/gtest.h>

#include <vector>

#include "redeye/abi.h"

namespace redeye {
namespace {

TEST(PidFilterTest, SetWritesOnlyThatPidsByte) {
  std::vector<uint8_t> bytes(16, 0);
  bytes[4] = REDEYE_FILTER_FOLLOW;  // written by the kernel (a forked child)
  bytes[6] = REDEYE_FILTER_FOLLOW;
  PidFilter filter(bytes);
  ASSERT_TRUE(filter.set(5, REDEYE_FILTER_IGNORE));
  EXPECT_EQ(bytes, (std::vector<uint8_t>{0, 0, 0, 0, REDEYE_FILTER_FOLLOW, REDEYE_FILTER_IGNORE,
                                         REDEYE_FILTER_FOLLOW, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(PidFilterTest, PidsBeyondTheFilterAreRefused) {
  std::vector<uint8_t> bytes(8, 0);
  PidFilter filter(bytes);
  EXPECT_EQ(filter.capacity(), 8u);
  EXPECT_TRUE(filter.set(7, REDEYE_FILTER_FOLLOW));
  EXPECT_FALSE(filter.set(8, REDEYE_FILTER_FOLLOW));
  EXPECT_EQ(bytes, (std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0, REDEYE_FILTER_FOLLOW}));
  EXPECT_FALSE(filter.clear_if(8, REDEYE_FILTER_FOLLOW));
  EXPECT_FALSE(PidFilter().set(0, REDEYE_FILTER_FOLLOW));
}

TEST(PidFilterTest, ClearIfLeavesADifferentDecisionInPlace) {
  std::vector<uint8_t> bytes(8, 0);
  PidFilter filter(bytes);
  filter.set(3, REDEYE_FILTER_IGNORE);
  EXPECT_FALSE(filter.clear_if(3, REDEYE_FILTER_FOLLOW));  // unfollow must not un-ignore
  EXPECT_EQ(bytes[3], REDEYE_FILTER_IGNORE);
  filter.set(2, REDEYE_FILTER_FOLLOW);
  EXPECT_TRUE(filter.clear_if(2, REDEYE_FILTER_FOLLOW));
  EXPECT_EQ(bytes[2], 0);
}

TEST(PidFilterTest, CapacityComesFromPidMaxInWholeElements) {
  EXPECT_EQ(pid_filter_capacity("32768\n"), 32768u);
  EXPECT_EQ(pid_filter_capacity("4194304"), 4194304u);
  EXPECT_EQ(pid_filter_capacity("301\n"), 304u);  // rounded up to 8 pids per element
  EXPECT_EQ(pid_filter_capacity("99999999"), REDEYE_PID_FILTER_MAX_PIDS);
}

TEST(PidFilterTest, UnreadablePidMaxIsRefused) {
  EXPECT_EQ(pid_filter_capacity(""), std::nullopt);
  EXPECT_EQ(pid_filter_capacity("0"), std::nullopt);
  EXPECT_EQ(pid_filter_capacity("12ab"), std::nullopt);
  EXPECT_EQ(pid_filter_capacity("-5"), std::nullopt);
}

}  // namespace
}  // namespace redeye
