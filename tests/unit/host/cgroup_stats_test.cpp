#include "host/cgroup_stats.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace redeye::host {
namespace {

const std::string kCgroup = std::string(REDEYE_HOST_FIXTURES) + "/cgroup";

// ---- /proc/<pid>/cgroup ------------------------------------------------------------------------

TEST(ParseProcCgroup, HybridLines) {
  auto entries = parse_proc_cgroup(
      "9:name=systemd:/user.slice/session-1.scope\n"
      "4:cpu,cpuacct:/docker/abc\n"
      "3:memory:/process_api/92b3\n"
      "0::/user.slice/session-1.scope\n");
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 4u);
  EXPECT_EQ((*entries)[0].hierarchy_id, 9u);
  EXPECT_EQ((*entries)[0].controllers, std::vector<std::string>{"name=systemd"});
  EXPECT_EQ((*entries)[1].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ((*entries)[1].path, "/docker/abc");
  EXPECT_EQ((*entries)[3].hierarchy_id, 0u);
  EXPECT_TRUE((*entries)[3].controllers.empty());
  EXPECT_EQ((*entries)[3].path, "/user.slice/session-1.scope");
}

TEST(ParseProcCgroup, PathMayContainColons) {
  auto entries = parse_proc_cgroup("0::/kubepods/pod:a:b\n");
  ASSERT_TRUE(entries);
  EXPECT_EQ((*entries)[0].path, "/kubepods/pod:a:b");
}

TEST(ParseProcCgroup, SkipsMalformedLinesAndRejectsGarbage) {
  auto entries = parse_proc_cgroup("garbage\nx:memory:/a\n0::/ok\n4:memory:relative\n");
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].path, "/ok");
  EXPECT_FALSE(parse_proc_cgroup(""));
  EXPECT_FALSE(parse_proc_cgroup("\n\n"));
  EXPECT_FALSE(parse_proc_cgroup("hello world\n"));
  EXPECT_FALSE(parse_proc_cgroup("99999999999:memory:/a\n"));
}

// ---- single-value and limit files ---------------------------------------------------------------

TEST(ParseValues, U64) {
  EXPECT_EQ(parse_u64_value("104857600\n"), 104857600u);
  EXPECT_FALSE(parse_u64_value(""));
  EXPECT_FALSE(parse_u64_value("lots\n"));
  EXPECT_FALSE(parse_u64_value("-1\n"));
  EXPECT_FALSE(parse_u64_value("1 2\n"));
}

TEST(ParseValues, MemoryMaxV2) {
  EXPECT_EQ(parse_memory_max("536870912\n"), 536870912u);
  EXPECT_EQ(parse_memory_max("max\n"), kNoLimit);
  EXPECT_FALSE(parse_memory_max("-5\n"));
  EXPECT_FALSE(parse_memory_max("maximum\n"));
  EXPECT_FALSE(parse_memory_max(""));
}

TEST(ParseValues, MemoryLimitV1Sentinel) {
  EXPECT_EQ(parse_v1_memory_limit("268435456\n"), 268435456u);
  EXPECT_EQ(parse_v1_memory_limit("9223372036854771712\n"), kNoLimit);  // 4 KiB pages
  EXPECT_EQ(parse_v1_memory_limit("9223372036854710272\n"), kNoLimit);  // 64 KiB pages
  EXPECT_FALSE(parse_v1_memory_limit("-1\n"));
  EXPECT_FALSE(parse_v1_memory_limit("unlimited\n"));
}

TEST(ParseValues, CpuMaxV2) {
  auto q = parse_cpu_max("150000 100000\n");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->quota_us, 150000u);
  EXPECT_EQ(q->period_us, 100000u);
  EXPECT_DOUBLE_EQ(*q->cores(), 1.5);
  auto unlimited = parse_cpu_max("max 100000\n");
  ASSERT_TRUE(unlimited);
  EXPECT_FALSE(unlimited->quota_us);
  EXPECT_FALSE(unlimited->cores());
  EXPECT_FALSE(parse_cpu_max(""));
  EXPECT_FALSE(parse_cpu_max("fast\n"));
  EXPECT_FALSE(parse_cpu_max("100 0\n"));
  EXPECT_FALSE(parse_cpu_max("100 200 300\n"));
  EXPECT_FALSE(parse_cpu_max("-1 100000\n"));
}

TEST(ParseValues, CpuQuotaV1) {
  auto q = parse_v1_cpu_quota("200000\n", "100000\n");
  ASSERT_TRUE(q);
  EXPECT_DOUBLE_EQ(*q->cores(), 2.0);
  auto unlimited = parse_v1_cpu_quota("-1\n", "100000\n");
  ASSERT_TRUE(unlimited);
  EXPECT_FALSE(unlimited->cores());
  EXPECT_FALSE(parse_v1_cpu_quota("-2\n", "100000\n"));
  EXPECT_FALSE(parse_v1_cpu_quota("100\n", "0\n"));
  EXPECT_FALSE(parse_v1_cpu_quota("x\n", "100000\n"));
  EXPECT_FALSE(parse_v1_cpu_quota("100\n", ""));
}

// ---- PSI and keyed files ------------------------------------------------------------------------

TEST(ParsePressure, SomeAndFull) {
  auto p = parse_pressure(
      "some avg10=1.25 avg60=0.00 avg300=0.00 total=1500000\n"
      "full avg10=0.00 avg60=0.00 avg300=0.00 total=250000\n");
  ASSERT_TRUE(p);
  EXPECT_DOUBLE_EQ(p->some_total_seconds, 1.5);
  ASSERT_TRUE(p->full_total_seconds);
  EXPECT_DOUBLE_EQ(*p->full_total_seconds, 0.25);
}

TEST(ParsePressure, SomeOnlyAndZero) {
  auto p = parse_pressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=777\n");
  ASSERT_TRUE(p);
  EXPECT_DOUBLE_EQ(p->some_total_seconds, 0.000777);
  EXPECT_FALSE(p->full_total_seconds);
  auto zero = parse_pressure(
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
      "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
  ASSERT_TRUE(zero);  // present and zero is not "unavailable"
  EXPECT_EQ(zero->some_total_seconds, 0.0);
  EXPECT_EQ(zero->full_total_seconds, 0.0);
}

TEST(ParsePressure, RejectsGarbage) {
  EXPECT_FALSE(parse_pressure(""));
  EXPECT_FALSE(parse_pressure("full avg10=0.00 avg60=0.00 avg300=0.00 total=5\n"));  // no some
  EXPECT_FALSE(parse_pressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=\n"));
  EXPECT_FALSE(parse_pressure("some avg10=0.00 avg60=0.00 avg300=0.00\n"));
  EXPECT_FALSE(parse_pressure("some total=12x\n"));
  EXPECT_FALSE(parse_pressure(
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=5\nfull avg10=0.00 total=oops\n"));
  EXPECT_FALSE(parse_pressure("0\n"));
}

TEST(ParseKeyed, MemoryEventsAndOomControl) {
  const char* events = "low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n";
  EXPECT_EQ(parse_keyed_u64(events, "oom_kill"), 2u);
  EXPECT_EQ(parse_keyed_u64(events, "oom"), 3u);
  EXPECT_EQ(parse_keyed_u64("oom_kill_disable 0\nunder_oom 0\noom_kill 7\n", "oom_kill"), 7u);
  EXPECT_FALSE(parse_keyed_u64("oom_kill_disable 0\nunder_oom 0\n", "oom_kill"));  // < 4.13
  EXPECT_FALSE(parse_keyed_u64("oom_kill many\n", "oom_kill"));
  EXPECT_FALSE(parse_keyed_u64("", "oom_kill"));
  EXPECT_FALSE(parse_keyed_u64("oom_kill\n", "oom_kill"));
}

// ---- CgroupReader: cgroup v2
// ----------------------------------------------------------------------

TEST(CgroupReaderV2, ServiceWithAncestorMemoryLimitAndPsi) {
  CgroupReader reader(kCgroup + "/v2");
  auto s = reader.read_for_process("0::/system.slice/shop.service\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->unified_dir, kCgroup + "/v2/system.slice/shop.service");
  EXPECT_EQ(s->memory_dir, s->unified_dir);
  EXPECT_EQ(s->cpu_dir, s->unified_dir);
  EXPECT_EQ(s->memory_usage_bytes, 104857600u);
  EXPECT_EQ(s->memory_limit_bytes, 2147483648u);  // own memory.max is "max"; the slice's applies
  ASSERT_TRUE(s->cpu_limit_cores);
  EXPECT_DOUBLE_EQ(*s->cpu_limit_cores, 1.5);
  EXPECT_EQ(s->oom_kills, 2u);
  ASSERT_TRUE(s->cpu_pressure);
  EXPECT_DOUBLE_EQ(s->cpu_pressure->some_total_seconds, 1.5);
  EXPECT_EQ(s->cpu_pressure->full_total_seconds, 0.25);
  ASSERT_TRUE(s->memory_pressure);
  EXPECT_DOUBLE_EQ(s->memory_pressure->some_total_seconds, 0.003);
  ASSERT_TRUE(s->io_pressure);
  EXPECT_DOUBLE_EQ(s->io_pressure->some_total_seconds, 12.345678);
  EXPECT_DOUBLE_EQ(*s->io_pressure->full_total_seconds, 2.345678);
}

TEST(CgroupReaderV2, ContainerLimitsTighterThanPod) {
  CgroupReader reader(kCgroup + "/v2/");  // trailing slash tolerated
  auto s = reader.read_for_process("0::/kubepods.slice/pod-1/ctr-a\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->memory_usage_bytes, 314572800u);
  EXPECT_EQ(s->memory_limit_bytes, 536870912u);
  EXPECT_DOUBLE_EQ(*s->cpu_limit_cores, 0.5);
  EXPECT_EQ(s->oom_kills, 0u);
  ASSERT_TRUE(s->cpu_pressure);  // PSI present, all zero
  EXPECT_EQ(s->cpu_pressure->some_total_seconds, 0.0);
  ASSERT_TRUE(s->io_pressure);
}

TEST(CgroupReaderV2, PodLimitAppliesToUnlimitedChildCpu) {
  CgroupReader reader(kCgroup + "/v2");
  auto s = reader.read_for_process("0::/kubepods.slice/pod-1\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->memory_limit_bytes, 1073741824u);
  EXPECT_DOUBLE_EQ(*s->cpu_limit_cores, 2.0);
  EXPECT_FALSE(s->oom_kills);     // no memory.events in the fixture
  EXPECT_FALSE(s->cpu_pressure);  // no pressure files
}

TEST(CgroupReaderV2, UnlimitedAndOldPsiFormat) {
  CgroupReader reader(kCgroup + "/v2");
  auto s = reader.read_for_process("0::/init.scope\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->memory_usage_bytes, 20971520u);
  EXPECT_FALSE(s->memory_limit_bytes);
  EXPECT_FALSE(s->cpu_limit_cores);
  EXPECT_FALSE(s->cpu_dir.empty());
  ASSERT_TRUE(s->cpu_pressure);
  EXPECT_FALSE(s->cpu_pressure->full_total_seconds);
}

TEST(CgroupReaderV2, PsiAbsentIsNotZero) {
  CgroupReader reader(kCgroup + "/v2");
  auto s = reader.read_for_process("0::/nopsi.slice\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->memory_usage_bytes, 4096u);
  EXPECT_FALSE(s->cpu_pressure);
  EXPECT_FALSE(s->memory_pressure);
  EXPECT_FALSE(s->io_pressure);
}

TEST(CgroupReaderV2, CorruptFilesGiveNullopt) {
  CgroupReader reader(kCgroup + "/v2");
  auto s = reader.read_for_process("0::/broken.slice\n");
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->memory_usage_bytes);
  EXPECT_FALSE(s->memory_limit_bytes);
  EXPECT_FALSE(s->cpu_limit_cores);
  EXPECT_FALSE(s->cpu_pressure);
  EXPECT_FALSE(s->oom_kills);
}

TEST(CgroupReaderV2, RootCgroupHasNoControllerFiles) {
  CgroupReader reader(kCgroup + "/v2");
  auto s = reader.read_for_process("0::/\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->unified_dir, kCgroup + "/v2");
  EXPECT_FALSE(s->memory_usage_bytes);
  EXPECT_FALSE(s->memory_limit_bytes);
  EXPECT_TRUE(s->memory_dir.empty());
}

TEST(CgroupReaderV2, UnresolvableProcesses) {
  CgroupReader reader(kCgroup + "/v2");
  EXPECT_FALSE(reader.read_for_process("0::/no/such/cgroup\n"));
  EXPECT_FALSE(reader.read_for_process("0::/../../system.slice/shop.service\n"));  // other ns
  EXPECT_FALSE(reader.read_for_process("0::/system.slice/../system.slice\n"));
  EXPECT_FALSE(reader.read_for_process("garbage"));
  EXPECT_FALSE(reader.read_for_process(""));
  // v1 lines are ignored on a pure v2 system even if the path would exist.
  EXPECT_FALSE(reader.read_for_process("4:memory:/system.slice\n"));
}

// ---- CgroupReader: cgroup v1
// ----------------------------------------------------------------------

TEST(CgroupReaderV1, DockerContainer) {
  CgroupReader reader(kCgroup + "/v1");
  auto s = reader.read_for_process(
      "12:memory:/docker/abc123\n"
      "11:pids:/docker/abc123\n"
      "4:cpu,cpuacct:/docker/abc123\n"
      "1:name=systemd:/docker/abc123\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->memory_dir, kCgroup + "/v1/memory/docker/abc123");
  EXPECT_EQ(s->cpu_dir, kCgroup + "/v1/cpu,cpuacct/docker/abc123");
  EXPECT_TRUE(s->unified_dir.empty());
  EXPECT_EQ(s->memory_usage_bytes, 52428800u);
  EXPECT_EQ(s->memory_limit_bytes, 268435456u);
  EXPECT_DOUBLE_EQ(*s->cpu_limit_cores, 2.0);
  EXPECT_EQ(s->oom_kills, 1u);
  EXPECT_FALSE(s->cpu_pressure);  // PSI lives only in a v2 tree
  EXPECT_FALSE(s->memory_pressure);
  EXPECT_FALSE(s->io_pressure);
}

TEST(CgroupReaderV1, UnlimitedSentinels) {
  CgroupReader reader(kCgroup + "/v1");
  auto s = reader.read_for_process("12:memory:/docker/nolimit\n4:cpu,cpuacct:/docker/nolimit\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->memory_usage_bytes, 1000000u);
  EXPECT_FALSE(s->memory_limit_bytes);
  EXPECT_FALSE(s->cpu_limit_cores);
  EXPECT_EQ(s->oom_kills, 0u);
}

TEST(CgroupReaderV1, AncestorLimitsApply) {
  CgroupReader reader(kCgroup + "/v1");
  auto s = reader.read_for_process("12:memory:/capped/child\n4:cpu,cpuacct:/capped/child\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->memory_limit_bytes, 1073741824u);  // memory.stat hierarchical_memory_limit
  EXPECT_DOUBLE_EQ(*s->cpu_limit_cores, 4.0);     // parent's cfs quota
}

TEST(CgroupReaderV1, ControllerOrderInMountName) {
  // The mount is named "cpu,cpuacct"; a line listing "cpuacct,cpu" still resolves.
  CgroupReader reader(kCgroup + "/v1");
  auto s = reader.read_for_process("4:cpuacct,cpu:/docker/abc123\n");
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(*s->cpu_limit_cores, 2.0);
  EXPECT_TRUE(s->memory_dir.empty());
  EXPECT_FALSE(s->memory_usage_bytes);
}

TEST(CgroupReaderV1, MissingDirectories) {
  CgroupReader reader(kCgroup + "/v1");
  EXPECT_FALSE(reader.read_for_process("12:memory:/docker/gone\n4:cpu,cpuacct:/docker/gone\n"));
  EXPECT_FALSE(reader.read_for_process("0::/docker/abc123\n"));  // no v2 tree here
  auto partial = reader.read_for_process("12:memory:/docker/gone\n4:cpu,cpuacct:/docker/abc123\n");
  ASSERT_TRUE(partial);
  EXPECT_FALSE(partial->memory_usage_bytes);
  EXPECT_DOUBLE_EQ(*partial->cpu_limit_cores, 2.0);
}

// ---- CgroupReader: hybrid
// -------------------------------------------------------------------------

TEST(CgroupReaderHybrid, V1ControllersWithV2Psi) {
  CgroupReader reader(kCgroup + "/hybrid");
  auto s = reader.read_for_process(
      "9:name=systemd:/user.slice/session-1.scope\n"
      "4:memory:/process_api/92b38b88\n"
      "1:cpu:/process_api\n"
      "0::/user.slice/session-1.scope\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->memory_dir, kCgroup + "/hybrid/memory/process_api/92b38b88");
  EXPECT_EQ(s->cpu_dir, kCgroup + "/hybrid/cpu/process_api");
  EXPECT_EQ(s->unified_dir, kCgroup + "/hybrid/unified/user.slice/session-1.scope");
  EXPECT_EQ(s->memory_usage_bytes, 73400320u);
  EXPECT_EQ(s->memory_limit_bytes, 2147483648u);
  EXPECT_DOUBLE_EQ(*s->cpu_limit_cores, 2.0);  // 100000 / 50000
  ASSERT_TRUE(s->cpu_pressure);
  EXPECT_DOUBLE_EQ(s->cpu_pressure->some_total_seconds, 5.756013);
  ASSERT_TRUE(s->memory_pressure);
  EXPECT_DOUBLE_EQ(*s->memory_pressure->full_total_seconds, 0.000007);
  ASSERT_TRUE(s->io_pressure);
}

TEST(CgroupReaderHybrid, NoPsiInUnifiedTree) {
  CgroupReader reader(kCgroup + "/hybrid");
  auto s = reader.read_for_process("4:memory:/\n1:cpu:/\n0::/system.slice\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->unified_dir, kCgroup + "/hybrid/unified/system.slice");
  EXPECT_EQ(s->memory_dir, kCgroup + "/hybrid/memory");
  EXPECT_EQ(s->memory_usage_bytes, 8000000000u);
  EXPECT_FALSE(s->memory_limit_bytes);
  EXPECT_FALSE(s->cpu_limit_cores);
  EXPECT_FALSE(s->cpu_pressure);
  EXPECT_FALSE(s->memory_pressure);
  EXPECT_FALSE(s->io_pressure);
}

TEST(CgroupReaderHybrid, OnlyUnifiedLineResolves) {
  CgroupReader reader(kCgroup + "/hybrid");
  auto s = reader.read_for_process("0::/user.slice/session-1.scope\n");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->memory_dir.empty());  // the controller-less v2 tree has no memory.current
  EXPECT_TRUE(s->cpu_dir.empty());
  EXPECT_FALSE(s->memory_usage_bytes);
  EXPECT_TRUE(s->cpu_pressure);
}

TEST(CgroupReaderReal, ProcSelfDoesNotCrash) {
  std::ifstream in("/proc/self/cgroup");
  std::stringstream text;
  text << in.rdbuf();
  CgroupReader reader;
  auto s = reader.read_for_process(text.str());
  if (s) {
    EXPECT_FALSE(s->memory_dir.empty() && s->cpu_dir.empty() && s->unified_dir.empty());
  }
}

}  // namespace
}  // namespace redeye::host
