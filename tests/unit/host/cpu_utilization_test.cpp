#include "host/cpu_utilization.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace redeye::host {
namespace {

TEST(CpuUtilization, FirstSampleIsZero) {
  CpuUtilization u;
  EXPECT_EQ(u.update(1, 100.0, 1000.0, 4), 0.0);
  EXPECT_EQ(u.size(), 1u);
}

TEST(CpuUtilization, DeltaCpuOverDeltaWallTimesCores) {
  CpuUtilization u;
  u.update(1, 10.0, 100.0, 4);
  // 2 CPU seconds over 10 wall seconds on 4 cores = 5%.
  EXPECT_DOUBLE_EQ(u.update(1, 12.0, 110.0, 4), 0.05);
  // One full core out of 2 for 5 s.
  EXPECT_DOUBLE_EQ(u.update(1, 17.0, 115.0, 2), 0.5);
  // Idle interval.
  EXPECT_DOUBLE_EQ(u.update(1, 17.0, 125.0, 2), 0.0);
}

TEST(CpuUtilization, KeysAreIndependent) {
  CpuUtilization u;
  u.update(1, 0.0, 0.0, 1);
  u.update(2, 50.0, 0.0, 1);
  EXPECT_DOUBLE_EQ(u.update(1, 0.25, 1.0, 1), 0.25);
  EXPECT_DOUBLE_EQ(u.update(2, 50.75, 1.0, 1), 0.75);
  u.forget(1);
  EXPECT_EQ(u.size(), 1u);
  EXPECT_EQ(u.update(1, 5.0, 2.0, 1), 0.0);  // first sample again
}

TEST(CpuUtilization, CounterResetStartsOver) {
  CpuUtilization u;
  u.update(7, 500.0, 100.0, 1);
  EXPECT_EQ(u.update(7, 1.0, 110.0, 1), 0.0);  // new incarnation (pid reuse / service restart)
  EXPECT_DOUBLE_EQ(u.update(7, 3.0, 120.0, 1), 0.2);  // measured from the new baseline
}

TEST(CpuUtilization, ClampsAndGuards) {
  CpuUtilization u;
  u.update(1, 0.0, 0.0, 1);
  EXPECT_EQ(u.update(1, 5.0, 1.0, 1), 1.0);         // sampling jitter above 100% is clamped
  EXPECT_EQ(u.update(1, 6.0, 1.0, 1), 0.0);         // no wall time elapsed: baseline kept
  EXPECT_DOUBLE_EQ(u.update(1, 6.0, 2.0, 1), 1.0);  // (6-5)/(2-1)
  EXPECT_EQ(u.update(1, 7.0, 1.5, 1), 0.0);         // clock went backwards
  EXPECT_EQ(u.update(1, 8.0, 3.0, 0), 0.0);         // no cores
  EXPECT_DOUBLE_EQ(u.update(1, 8.5, 4.0, 1), 0.5);
}

TEST(OnlineCpus, AtLeastOne) {
  EXPECT_GE(online_cpus(), 1.0);
  EXPECT_EQ(online_cpus(), static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN)));
}

}  // namespace
}  // namespace redeye::host
