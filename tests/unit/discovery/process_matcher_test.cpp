#include "discovery/process_matcher.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "discovery/procfs_reader.h"

namespace redeye::discovery {
namespace {

constexpr char kId[] = "4f9c2b1a7e3d5c6b8a9f0e1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3";

ProcessInfo sample() {
  ProcessInfo p;
  p.pid = 4321;
  p.exe = "/opt/shop/bin/shop-api";
  p.comm = "shop-api";
  p.cmdline = "/opt/shop/bin/shop-api --config /etc/shop/api.yaml --port 8080";
  p.cgroup_path = "/kubepods.slice/kubepods-burstable.slice/x.slice/cri-containerd-abc.scope";
  p.container = {"containerd", kId, "", ""};
  p.listening_ports = {8080, 9090};
  return p;
}

ServiceRule rule(std::string name, ProcessSelector selector) {
  ServiceRule r;
  r.name = std::move(name);
  r.match = std::move(selector);
  return r;
}

ProcessSelector exe(std::string glob) {
  ProcessSelector s;
  s.exe = std::move(glob);
  return s;
}
ProcessSelector cmdline(std::string regex) {
  ProcessSelector s;
  s.cmdline = std::move(regex);
  return s;
}
ProcessSelector ports(std::vector<PortRange> ranges) {
  ProcessSelector s;
  s.ports = std::move(ranges);
  return s;
}
ProcessSelector pid(uint32_t value) {
  ProcessSelector s;
  s.pid = value;
  return s;
}
ProcessSelector cgroup(std::string glob) {
  ProcessSelector s;
  s.cgroup = std::move(glob);
  return s;
}
ProcessSelector container(std::string id) {
  ProcessSelector s;
  s.container_id = std::move(id);
  return s;
}

bool matches(const ProcessSelector& selector, const ProcessInfo& process) {
  const ProcessMatcher matcher({rule("x", selector)}, {});
  return matcher.match(process) != nullptr;
}

TEST(ProcessMatcher, ExeGlobSpansSlashes) {
  const ProcessInfo p = sample();
  EXPECT_TRUE(matches(exe("/opt/shop/bin/shop-api"), p));
  EXPECT_TRUE(matches(exe("*/shop-api"), p));
  EXPECT_TRUE(matches(exe("/opt/*"), p));
  EXPECT_TRUE(matches(exe("/opt/shop/bin/shop-[a-z]??"), p));
  EXPECT_FALSE(matches(exe("shop-api"), p));  // whole path, not the basename
  EXPECT_FALSE(matches(exe("/usr/*"), p));
  ProcessInfo unknown_exe = p;
  unknown_exe.exe.clear();
  EXPECT_FALSE(matches(exe("*"), unknown_exe));
}

TEST(ProcessMatcher, CmdlineRegexIsASearch) {
  const ProcessInfo p = sample();
  EXPECT_TRUE(matches(cmdline("--port 8080"), p));
  EXPECT_TRUE(matches(cmdline(R"(--config\s+/etc/shop/\w+\.yaml)"), p));
  EXPECT_TRUE(matches(cmdline("^/opt/shop"), p));
  EXPECT_FALSE(matches(cmdline("^--port"), p));
  EXPECT_FALSE(matches(cmdline("postgres"), p));
}

TEST(ProcessMatcher, PortsAnyListeningPortInAnyRange) {
  const ProcessInfo p = sample();
  EXPECT_TRUE(matches(ports({{8080, 8080}}), p));
  EXPECT_TRUE(matches(ports({{1, 100}, {9000, 9100}}), p));
  EXPECT_TRUE(matches(ports({{9090, 9090}}), p));
  EXPECT_FALSE(matches(ports({{8081, 9089}}), p));
  ProcessInfo no_ports = p;
  no_ports.listening_ports.clear();
  EXPECT_FALSE(matches(ports({{1, 65535}}), no_ports));
}

TEST(ProcessMatcher, PidExact) {
  const ProcessInfo p = sample();
  EXPECT_TRUE(matches(pid(4321), p));
  EXPECT_FALSE(matches(pid(432), p));
}

TEST(ProcessMatcher, CgroupGlob) {
  const ProcessInfo p = sample();
  EXPECT_TRUE(matches(cgroup("/kubepods.slice/*"), p));
  EXPECT_TRUE(matches(cgroup("*cri-containerd-*.scope"), p));
  EXPECT_FALSE(matches(cgroup("/system.slice/*"), p));
  ProcessInfo no_cgroup = p;
  no_cgroup.cgroup_path.clear();
  EXPECT_FALSE(matches(cgroup("*"), no_cgroup));
}

TEST(ProcessMatcher, ContainerIdPrefixOfAtLeast12) {
  const ProcessInfo p = sample();
  EXPECT_TRUE(matches(container(kId), p));
  EXPECT_TRUE(matches(container("4f9c2b1a7e3d"), p));
  EXPECT_TRUE(matches(container("4F9C2B1A7E3D5C"), p));  // case-insensitive
  EXPECT_FALSE(matches(container("4f9c2b1a7e3"), p));    // 11 characters: too short
  EXPECT_FALSE(matches(container("5f9c2b1a7e3d"), p));
  ProcessInfo host = p;
  host.container = {};
  EXPECT_FALSE(matches(container("4f9c2b1a7e3d"), host));
}

TEST(ProcessMatcher, EmptySelectorMatchesNothing) {
  EXPECT_FALSE(matches(ProcessSelector{}, sample()));
  const ProcessMatcher matcher({}, {ProcessSelector{}});
  EXPECT_FALSE(matcher.excluded(sample()));
}

TEST(ProcessMatcher, EverySetFieldMustMatch) {
  const ProcessInfo p = sample();
  ProcessSelector s = exe("*/shop-api");
  s.ports = {{8080, 8080}};
  s.cmdline = "--config";
  s.pid = 4321;
  s.cgroup = "/kubepods.slice/*";
  s.container_id = "4f9c2b1a7e3d";
  EXPECT_TRUE(matches(s, p));
  for (int field = 0; field < 6; ++field) {
    ProcessSelector broken = s;
    switch (field) {
      case 0:
        broken.exe = "/usr/*";
        break;
      case 1:
        broken.ports = {{1, 2}};
        break;
      case 2:
        broken.cmdline = "nope";
        break;
      case 3:
        broken.pid = 1;
        break;
      case 4:
        broken.cgroup = "/system.slice/*";
        break;
      case 5:
        broken.container_id = "000000000000";
        break;
    }
    EXPECT_FALSE(matches(broken, p)) << "field " << field;
  }
}

TEST(ProcessMatcher, FirstMatchWins) {
  const std::vector<ServiceRule> rules{
      rule("Admin", cmdline("--admin")),
      rule("Shop API", ports({{8080, 8080}})),
      rule("Anything in /opt", exe("/opt/*")),
  };
  const ProcessMatcher matcher(rules, {});
  const ServiceRule* hit = matcher.match(sample());
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->name, "Shop API");
  ProcessInfo other = sample();
  other.listening_ports.clear();
  ASSERT_NE(matcher.match(other), nullptr);
  EXPECT_EQ(matcher.match(other)->name, "Anything in /opt");
  other.exe = "/usr/bin/true";
  EXPECT_EQ(matcher.match(other), nullptr);
}

TEST(ProcessMatcher, RulesAreCopied) {
  std::vector<ServiceRule> rules{rule("Shop API", pid(4321))};
  rules.back().service_namespace = "shop";
  const ProcessMatcher matcher(rules, {});
  rules.clear();
  const ServiceRule* hit = matcher.match(sample());
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->name, "Shop API");
  EXPECT_EQ(hit->service_namespace, "shop");
}

TEST(ProcessMatcher, Exclude) {
  const ProcessMatcher matcher({rule("Shop API", exe("/opt/*"))},
                               {cmdline("^/usr/bin/sshd"), container("4f9c2b1a7e3d")});
  EXPECT_TRUE(matcher.excluded(sample()));
  ProcessInfo sshd;
  sshd.exe = "/usr/sbin/sshd";
  sshd.cmdline = "/usr/bin/sshd -D";
  EXPECT_TRUE(matcher.excluded(sshd));
  sshd.cmdline = "sshd: user@pts/0";
  EXPECT_FALSE(matcher.excluded(sshd));
  // Exclusion is the caller's first check; match() does not apply it.
  EXPECT_NE(matcher.match(sample()), nullptr);
}

TEST(ProcessMatcher, InvalidRegexMatchesNothingAndIsReported) {
  ProcessSelector bad = cmdline("(unclosed");
  const ProcessMatcher matcher({rule("Bad", bad), rule("Good", pid(4321))}, {cmdline("[z-a]")});
  ASSERT_EQ(matcher.errors().size(), 2u);
  EXPECT_EQ(matcher.errors()[0].rfind("services[0]: ", 0), 0u) << matcher.errors()[0];
  EXPECT_EQ(matcher.errors()[1].rfind("exclude[0]: ", 0), 0u) << matcher.errors()[1];
  ASSERT_NE(matcher.match(sample()), nullptr);
  EXPECT_EQ(matcher.match(sample())->name, "Good");
  EXPECT_FALSE(matcher.excluded(sample()));
}

TEST(ProcessMatcher, MovedMatcherKeepsWorking) {
  ProcessMatcher original({rule("Shop API", cmdline("shop-api"))}, {});
  const ProcessMatcher moved = std::move(original);
  ASSERT_NE(moved.match(sample()), nullptr);
  EXPECT_EQ(moved.match(sample())->name, "Shop API");
}

TEST(ProcessMatcher, AgainstFixtureProcesses) {
  const ProcfsReader reader(REDEYE_PROC_FIXTURES);
  ProcessSelector postgres_container = container("e5f6a7b8c9d0");
  const ProcessMatcher matcher(
      {
          rule("MES DB", postgres_container),
          rule("Cache", ports({{6379, 6379}})),
          rule("Web", cgroup("/system.slice/nginx.service")),
          rule("Shop API", cmdline("--listen=:8080")),
      },
      {exe("/usr/bin/conmon")});
  const auto name_of = [&](uint32_t pid) -> std::string {
    const auto p = reader.read(pid);
    if (!p) return "gone";
    if (matcher.excluded(*p)) return "excluded";
    const ServiceRule* r = matcher.match(*p);
    return r ? r->name : "none";
  };
  EXPECT_EQ(name_of(401), "MES DB");
  EXPECT_EQ(name_of(200), "Cache");
  EXPECT_EQ(name_of(100), "Web");
  EXPECT_EQ(name_of(400), "Shop API");
  EXPECT_EQ(name_of(501), "excluded");
  EXPECT_EQ(name_of(700), "none");
  EXPECT_EQ(name_of(900), "gone");
}

}  // namespace
}  // namespace redeye::discovery
