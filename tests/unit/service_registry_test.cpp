#include "discovery/service_registry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace redeye {
namespace {

namespace fs = std::filesystem;

class ServiceRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("redeye-registry-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::copy(REDEYE_PROC_FIXTURES, root_,
             fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<ServiceRegistry> make(
      std::chrono::milliseconds listening_max_age = std::chrono::seconds(1)) {
    return std::make_unique<ServiceRegistry>(
        config_, discovery::ProcfsReader(root_.string()),
        ServiceRegistry::KernelFilter{[this](uint32_t pid) { return followed_.insert(pid), true; },
                                      [this](uint32_t pid) { followed_.erase(pid); }},
        /*self_pid=*/999999, "testhost", listening_max_age);
  }

  // nginx (PID 100) stops listening: its sockets leave the host's tcp tables.
  void nginx_stops_listening() {
    for (const char* name : {"tcp", "tcp6"}) {
      const fs::path path = root_ / "net" / name;
      std::ifstream in(path);
      std::string line, out;
      while (std::getline(in, line)) {
        if (line.find(" 20001 ") == std::string::npos &&
            line.find(" 20003 ") == std::string::npos) {
          out += line + "\n";
        }
      }
      in.close();
      std::ofstream(path) << out;
    }
  }

  // Rewrites field 22 (start time) of <pid>/stat, i.e. the PID now names another process.
  void set_start_time(uint32_t pid, uint64_t ticks) {
    const fs::path stat = root_ / std::to_string(pid) / "stat";
    std::ifstream in(stat);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    const auto close = text.rfind(')');
    std::istringstream fields(text.substr(close + 2));
    std::vector<std::string> f((std::istream_iterator<std::string>(fields)), {});
    f[19] = std::to_string(ticks);  // field 22 is the 20th after "pid (comm)"
    std::string out = text.substr(0, close + 2);
    for (size_t i = 0; i < f.size(); i++) out += (i ? " " : "") + f[i];
    std::ofstream(stat) << out << "\n";
  }

  Config config_;
  fs::path root_;
  std::set<uint32_t> followed_;
};

// Forking servers fork a process per connection: the namespace's listening sockets are read
// once for a burst of process events, and again after a listen event.
TEST_F(ServiceRegistryTest, ListeningSocketsAreCachedPerNamespaceUntilAListenEvent) {
  auto registry = make();
  registry->on_fork(100, 1);
  ASSERT_NE(registry->service_of(100), nullptr);  // nginx listens on :80 and :443
  nginx_stops_listening();
  registry->on_exit(100);
  registry->on_fork(100, 1);
  EXPECT_NE(registry->service_of(100), nullptr) << "the cached table still has its listeners";
  registry->on_exit(100);
  registry->on_listen(4242);  // some process listens: the cache goes
  registry->on_fork(100, 1);
  EXPECT_EQ(registry->service_of(100), nullptr) << "read afresh: nginx no longer listens";
}

TEST_F(ServiceRegistryTest, ExpiredListeningSocketsAreReadAgain) {
  auto registry = make(std::chrono::milliseconds(0));
  registry->on_fork(100, 1);
  ASSERT_NE(registry->service_of(100), nullptr);
  nginx_stops_listening();
  registry->on_exit(100);
  registry->on_fork(100, 1);
  EXPECT_EQ(registry->service_of(100), nullptr);
}

TEST_F(ServiceRegistryTest, ListeningProcessesAreServicesNamedByTheDefaultOrder) {
  auto registry = make();
  registry->scan();
  auto nginx = registry->service_of(100);
  ASSERT_NE(nginx, nullptr);
  EXPECT_EQ(nginx->name, "nginx");
  EXPECT_EQ(nginx->name_source, "systemd");
  EXPECT_EQ(nginx->instance_id, "testhost");
  EXPECT_TRUE(followed_.contains(100));
  // Every followed process is a service and vice versa.
  std::set<uint32_t> members;
  for (const auto& m : registry->members()) members.insert(m.pids.begin(), m.pids.end());
  EXPECT_EQ(members, followed_);
  EXPECT_EQ(registry->service_of(900), nullptr);  // gone
}

TEST_F(ServiceRegistryTest, RulesNameProcessesFirstMatchWinsAndExcludeWinsOverAll) {
  ServiceRule mes;
  mes.name = "mes-api";
  mes.service_namespace = "alexandrite";
  mes.match.exe = "/usr/sbin/nginx";
  ServiceRule later;
  later.name = "never";
  later.match.pid = 100;
  config_.services = {mes, later};
  auto registry = make();
  registry->scan();
  auto service = registry->service_of(100);
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->name, "mes-api");
  EXPECT_EQ(service->service_namespace, "alexandrite");
  EXPECT_EQ(service->name_source, "rule");

  ProcessSelector no_nginx;
  no_nginx.exe = "*/nginx";
  config_.exclude = {no_nginx};
  followed_.clear();
  auto excluding = make();
  excluding->scan();
  EXPECT_EQ(excluding->service_of(100), nullptr);
  EXPECT_FALSE(followed_.contains(100));
}

TEST_F(ServiceRegistryTest, RuleNamedServiceAbsorbsADefaultNamedOneWithTheSameLabels) {
  // pid 100 (systemd nginx.service) is named "nginx" by default; a rule names pid 701 (a node
  // process in a login session, on the host too) "nginx", with routes. Same labels: one
  // service, carrying the rule, whichever process the scan meets first.
  ServiceRule rule;
  rule.name = "nginx";
  rule.match.pid = 701;
  rule.routes = {"/orders/{id}"};
  config_.services = {rule};
  auto registry = make();
  registry->scan();
  auto by_default = registry->service_of(100);
  auto by_rule = registry->service_of(701);
  ASSERT_NE(by_default, nullptr);
  ASSERT_NE(by_rule, nullptr);
  ASSERT_EQ(by_rule->instance_id, by_default->instance_id);
  EXPECT_EQ(by_default, by_rule);
  // The rule's settings (its routes) are the protocols' to look up, by this index.
  EXPECT_EQ(by_default->rule, std::optional<uint32_t>(0));
  size_t groups = 0;
  for (const auto& m : registry->members()) groups += m.service->name == "nginx";
  EXPECT_EQ(groups, 1u);
}

TEST_F(ServiceRegistryTest, WithoutListeningDefaultOnlyRulesMakeServices) {
  config_.discovery.listening_processes = false;
  auto registry = make();
  EXPECT_EQ(registry->scan(), 0u);
  EXPECT_TRUE(followed_.empty());
}

TEST_F(ServiceRegistryTest, ReusedPidDoesNotKeepAnInheritedService) {
  auto registry = make();
  registry->scan();
  ASSERT_NE(registry->service_of(100), nullptr);
  // Same PID and executable, but a new start time and no listening socket: another process
  // (e.g. `nginx -t` run later) that must not inherit the old one's service.
  fs::remove_all(root_ / "100" / "fd");
  fs::create_directory(root_ / "100" / "fd");
  registry->scan();
  ASSERT_NE(registry->service_of(100), nullptr) << "same incarnation keeps its service";
  set_start_time(100, 999999);
  registry->scan();
  EXPECT_EQ(registry->service_of(100), nullptr);
  EXPECT_FALSE(followed_.contains(100));
}

TEST_F(ServiceRegistryTest, ForkedChildRunningTheSameExecutableJoinsItsParentsService) {
  auto registry = make();
  registry->scan();
  // pid 101: a worker forked by nginx (same exe, no listening socket of its own).
  fs::copy(root_ / "100", root_ / "101",
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  fs::remove_all(root_ / "101" / "fd");
  fs::create_directory(root_ / "101" / "fd");
  std::ofstream(root_ / "101" / "stat")
      << "101 (nginx) S 100 100 100 0 -1 4194560 0 0 0 0 1 1 0 0 20 0 1 0 1600 11931648 1496 0\n";
  registry->on_fork(101, 100);
  auto child = registry->service_of(101);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child, registry->service_of(100));  // the very same service instance
  EXPECT_TRUE(followed_.contains(101));

  // After exec into another program it is re-evaluated: no rule, no listener, not a service.
  fs::remove(root_ / "101" / "exe");
  fs::create_symlink("/bin/sh", root_ / "101" / "exe");
  registry->on_exec(101);
  EXPECT_EQ(registry->service_of(101), nullptr);
  EXPECT_FALSE(followed_.contains(101));

  registry->on_exit(100);
  EXPECT_EQ(registry->service_of(100), nullptr);
  EXPECT_FALSE(followed_.contains(100));
}

// A service's forked child is decided from its parent, not from /proc (only its start time is
// read): here nothing but its stat exists, which a /proc read could not have named.
TEST_F(ServiceRegistryTest, ForkedChildOfAServiceJoinsItWithoutReadingProc) {
  auto registry = make();
  registry->scan();
  ASSERT_NE(registry->service_of(100), nullptr);
  fs::create_directory(root_ / "102");
  std::ofstream(root_ / "102" / "stat")
      << "102 (nginx) S 100 100 100 0 -1 4194560 0 0 0 0 1 1 0 0 20 0 1 0 1700 11931648 1496 0\n";
  registry->on_fork(102, 100);
  EXPECT_EQ(registry->service_of(102), registry->service_of(100));
  EXPECT_TRUE(followed_.contains(102));
  // Its own exec decides it afresh from /proc (here: unreadable, so not a service).
  registry->on_exec(102);
  EXPECT_EQ(registry->service_of(102), nullptr);
}

// A child that served its connection and exited before its fork event was read (no /proc
// entry at all) still joins: its connections' events are queued behind the fork, and were
// lost before (a PostgreSQL backend of a fresh connection, under load). Its exit removes it.
TEST_F(ServiceRegistryTest, ForkedChildAlreadyGoneJoinsUntilItsExitEvent) {
  auto registry = make();
  registry->scan();
  ASSERT_NE(registry->service_of(100), nullptr);
  ASSERT_FALSE(fs::exists(root_ / "103"));
  registry->on_fork(103, 100);
  EXPECT_EQ(registry->service_of(103), registry->service_of(100));
  EXPECT_TRUE(followed_.contains(103));
  registry->on_exit(103);
  EXPECT_EQ(registry->service_of(103), nullptr);
  EXPECT_FALSE(followed_.contains(103));
  // A rescan forgets such a child if its exit event was lost.
  registry->on_fork(104, 100);
  ASSERT_NE(registry->service_of(104), nullptr);
  registry->scan();
  EXPECT_EQ(registry->service_of(104), nullptr);
}

// The kernel reports LISTEN just before it hashes the socket into the table /proc/net/tcp
// lists: the event's port makes the process a listener even when the table does not show it.
TEST_F(ServiceRegistryTest, ListenEventPortCountsBeforeProcNetTcpListsIt) {
  std::set<uint32_t> listener_unfollowed;
  auto registry = std::make_unique<ServiceRegistry>(
      config_, discovery::ProcfsReader(root_.string()),
      ServiceRegistry::KernelFilter{
          [this](uint32_t pid) { return followed_.insert(pid), true; },
          [this](uint32_t pid) { followed_.erase(pid); },
          [&listener_unfollowed](uint32_t pid) { listener_unfollowed.insert(pid); }},
      /*self_pid=*/999999, "testhost");
  registry->on_exec(700);
  ASSERT_EQ(registry->service_of(700), nullptr);
  registry->on_listen(700, 8443);
  ASSERT_NE(registry->service_of(700), nullptr);
  EXPECT_EQ(registry->service_of(700)->name, "checkout");
  EXPECT_TRUE(listener_unfollowed.empty());
  // Excluded processes the kernel followed at listen() are unfollowed at the event.
  config_.exclude.push_back(ProcessSelector{.exe = "*/node"});
  auto excluding = std::make_unique<ServiceRegistry>(
      config_, discovery::ProcfsReader(root_.string()),
      ServiceRegistry::KernelFilter{
          [this](uint32_t pid) { return followed_.insert(pid), true; },
          [this](uint32_t pid) { followed_.erase(pid); },
          [&listener_unfollowed](uint32_t pid) { listener_unfollowed.insert(pid); }},
      /*self_pid=*/999999, "testhost");
  excluding->on_listen(701, 3000);
  EXPECT_EQ(excluding->service_of(701), nullptr);
  EXPECT_TRUE(listener_unfollowed.contains(701));
}

// A server that listens, answers and exits before its listen event is read is named from what
// /proc said of it at exec (here OTEL_SERVICE_NAME), with the port from the event.
TEST_F(ServiceRegistryTest, ListenerGoneBeforeItsListenEventIsNamedFromItsExec) {
  auto registry = make();
  registry->on_exec(700);
  ASSERT_EQ(registry->service_of(700), nullptr) << "not listening at exec";
  fs::remove_all(root_ / "700");
  registry->on_listen(700, 8443);
  auto service = registry->service_of(700);
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->name, "checkout");
  EXPECT_EQ(service->service_namespace, "shop");
  EXPECT_TRUE(followed_.contains(700));
  registry->on_exit(700);
  EXPECT_EQ(registry->service_of(700), nullptr);
  // Nothing is remembered past the exit: a reused PID is read afresh.
  registry->on_listen(700, 8443);
  EXPECT_EQ(registry->service_of(700), nullptr);
}

TEST_F(ServiceRegistryTest, ProcessGoneBeforeProcCouldBeReadIsNamedFromItsExec) {
  ServiceRule client;
  client.name = "shop-client";
  client.match.exe = "*/curl";
  ServiceRule by_args;
  by_args.name = "reporter";
  by_args.match.cmdline = "--report daily";
  config_.services = {client, by_args};
  auto registry = make();
  registry->on_exec(5555, {"/usr/bin/curl", std::string("curl\0-s\0http://x/\0", 18)});
  ASSERT_NE(registry->service_of(5555), nullptr);
  EXPECT_EQ(registry->service_of(5555)->name, "shop-client");
  EXPECT_TRUE(followed_.contains(5555));
  registry->on_exec(5556,
                    {"/usr/bin/python3", std::string("python3\0job.py\0--report\0daily\0", 31)});
  ASSERT_NE(registry->service_of(5556), nullptr);
  EXPECT_EQ(registry->service_of(5556)->name, "reporter");
  registry->on_exec(5557, {"/usr/bin/true", std::string("true\0", 5)});
  EXPECT_EQ(registry->service_of(5557), nullptr);
  EXPECT_FALSE(followed_.contains(5557));
}

// What series expiry looks at: the services with processes now, and those given a process
// since the last look even when it has exited again (a job shorter than the look's interval).
TEST_F(ServiceRegistryTest, ActivityNamesLiveServicesAndThoseTouchedSinceTheLastLook) {
  ServiceRule client;
  client.name = "shop-client";
  client.match.exe = "*/curl";
  config_.services = {client};
  auto registry = make();
  registry->scan();
  const ServiceIdentity nginx{"nginx", "", "testhost"};
  const ServiceIdentity job{"shop-client", "", "testhost"};
  ServiceActivity first = registry->take_activity();
  EXPECT_TRUE(first.live.contains(nginx));
  EXPECT_TRUE(first.touched.contains(nginx));
  registry->on_exec(5555, {"/usr/bin/curl", std::string("curl\0", 5)});
  registry->on_exit(5555);
  ServiceActivity second = registry->take_activity();
  EXPECT_TRUE(second.live.contains(nginx));
  EXPECT_FALSE(second.live.contains(job));
  EXPECT_EQ(second.touched, std::set<ServiceIdentity>{job});
  EXPECT_TRUE(registry->take_activity().touched.empty());
}

TEST_F(ServiceRegistryTest, AdhocIdentityForFollowedProcessesOutsideDiscovery) {
  auto registry = make();
  auto adhoc = registry->service_or_adhoc(4242, "worker");
  EXPECT_EQ(adhoc->name, "worker");
  EXPECT_EQ(adhoc, registry->service_or_adhoc(4242, "worker"));
  registry->on_exit(4242);
  EXPECT_NE(adhoc, registry->service_or_adhoc(4242, "worker"));
}

}  // namespace
}  // namespace redeye
