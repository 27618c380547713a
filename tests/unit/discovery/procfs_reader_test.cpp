#include "discovery/procfs_reader.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "discovery/service_naming.h"

namespace redeye::discovery {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;
// Connection counting lives in host/ (tests/unit/host/tcp_connections_test.cpp); the fixture
// tests below count through ProcfsReader's socket tables.
using host::ConnectionCounts;
using host::count_connections;
using host::kTcpListen;
using host::listening_ports;

constexpr char kDockerId[] = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

ProcfsReader fixture_reader() { return ProcfsReader(REDEYE_PROC_FIXTURES); }

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

TEST(ProcfsReaderFixture, ListsNumericEntriesOnly) {
  EXPECT_EQ(fixture_reader().list_pids(), (std::vector<uint32_t>{100, 200, 201, 301, 400, 401, 500,
                                                                 501, 600, 700, 701, 800, 900}));
}

TEST(ProcfsReaderFixture, ReadsSystemdService) {
  const auto p = fixture_reader().read(100);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->pid, 100u);
  EXPECT_EQ(p->ppid, 1u);
  EXPECT_EQ(p->start_time_ticks, 1500u);
  EXPECT_EQ(p->key(), (ProcessKey{100, 1500}));
  EXPECT_EQ(p->exe, "/usr/sbin/nginx");
  EXPECT_EQ(p->comm, "nginx");
  EXPECT_EQ(p->cmdline, "nginx: master process /usr/sbin/nginx -g daemon on; master_process on;");
  EXPECT_EQ(p->cgroup_path, "/system.slice/nginx.service");
  EXPECT_EQ(p->systemd_unit, "nginx.service");
  EXPECT_TRUE(p->container.empty());
  EXPECT_EQ(p->otel_service_name, "");
  EXPECT_EQ(p->hostname_env, "");
  EXPECT_EQ(p->listening_ports, (std::vector<uint16_t>{80, 443}));  // IPv4 and IPv6
}

TEST(ProcfsReaderFixture, SocketInodesAndNetNamespace) {
  const ProcfsReader reader = fixture_reader();
  EXPECT_EQ(reader.socket_inodes(100), (std::vector<uint64_t>{20001, 20003, 20010}));
  EXPECT_EQ(reader.socket_inodes(200),
            (std::vector<uint64_t>{30001, 30002, 30003, 30004, 30006, 39999}));
  EXPECT_TRUE(reader.socket_inodes(201).empty());
  EXPECT_TRUE(reader.socket_inodes(4242).empty());
  EXPECT_EQ(reader.net_namespace(100), 4026531840u);
  EXPECT_EQ(reader.net_namespace(400), 4026532999u);
  EXPECT_EQ(reader.net_namespace(201), std::nullopt);
}

TEST(ProcfsReaderFixture, DockerOnCgroupV1PrefersTheContainerPath) {
  const auto p = fixture_reader().read(200);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->cgroup_path, std::string("/docker/") + kDockerId);
  EXPECT_EQ(p->systemd_unit, "");  // not the shim's containerd.service
  EXPECT_EQ(p->container, (ContainerIdentity{"docker", kDockerId, "", ""}));
  EXPECT_EQ(p->cmdline, "redis-server *:6379");
  EXPECT_EQ(p->listening_ports, (std::vector<uint16_t>{6379}));
}

TEST(ProcfsReaderFixture, DeletedExecutableSuffixIsStripped) {
  const auto p = fixture_reader().read(201);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->exe, "/app/server");
  EXPECT_TRUE(p->listening_ports.empty());
}

TEST(ProcfsReaderFixture, ListeningPortsComeFromTheProcessNetworkNamespace) {
  const ProcfsReader reader = fixture_reader();
  const auto pod = reader.read(400);
  ASSERT_TRUE(pod);
  EXPECT_EQ(pod->listening_ports, (std::vector<uint16_t>{8080}));
  // With the host table handed in, the pod's sockets are not there.
  const auto with_host_table = reader.read(400, reader.read_tcp_table());
  ASSERT_TRUE(with_host_table);
  EXPECT_TRUE(with_host_table->listening_ports.empty());
  // A table read for the pod's namespace serves every process in it.
  const auto with_pod_table = reader.read(400, reader.read_tcp_table(400));
  ASSERT_TRUE(with_pod_table);
  EXPECT_EQ(with_pod_table->listening_ports, (std::vector<uint16_t>{8080}));
  // No <pid>/net in the fixture: the root's table.
  EXPECT_EQ(reader.read_tcp_table(200).size(), reader.read_tcp_table().size());
}

TEST(ProcfsReaderFixture, CountsServerAndClientConnections) {
  const ProcfsReader reader = fixture_reader();
  const TcpSocketTable table = reader.read_tcp_table();
  const std::set<uint16_t> host_ports = listening_ports(table);
  EXPECT_EQ(host_ports, (std::set<uint16_t>{80, 443, 6379}));
  // redis: two IPv4 and one IPv4-mapped IPv6 accepted connection, one it opened to :5432;
  // its unix socket (39999) and the fd duplicated onto 30006 do not count.
  EXPECT_EQ(count_connections(table, reader.socket_inodes(200), host_ports),
            (ConnectionCounts{3, 1}));
  // nginx: listening sockets and a CLOSE_WAIT one.
  EXPECT_EQ(count_connections(table, reader.socket_inodes(100), host_ports),
            (ConnectionCounts{0, 0}));
  const TcpSocketTable pod_table = reader.read_tcp_table(400);
  EXPECT_EQ(count_connections(pod_table, reader.socket_inodes(400), listening_ports(pod_table)),
            (ConnectionCounts{1, 0}));
}

TEST(ProcfsReaderFixture, ProcessThatExitedMidReadGivesWhatWasLeft) {
  // Only stat, cmdline and cgroup remain: no comm, exe, environ or fd.
  const auto p = fixture_reader().read(800);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->comm, "my (weird) proc");  // from stat
  EXPECT_EQ(p->exe, "");
  EXPECT_EQ(p->cmdline, "./worker --queue a b");
  EXPECT_EQ(p->systemd_unit, "foo.service");
  EXPECT_EQ(p->otel_service_name, "");
  EXPECT_TRUE(p->listening_ports.empty());
  EXPECT_EQ(default_service_name(*p), (ServiceName{"foo", "", "systemd"}));
}

TEST(ProcfsReaderFixture, GoneProcessIsNullopt) {
  const ProcfsReader reader = fixture_reader();
  EXPECT_EQ(reader.read(900), std::nullopt);  // directory without stat
  EXPECT_EQ(reader.start_time(900), std::nullopt);
  EXPECT_EQ(reader.read(4242), std::nullopt);  // no directory at all
  EXPECT_EQ(reader.start_time(4242), std::nullopt);
  EXPECT_EQ(reader.start_time(100), 1500u);
  EXPECT_EQ(ProcfsReader("/nonexistent-proc-root").list_pids(), std::vector<uint32_t>{});
  EXPECT_TRUE(ProcfsReader("/nonexistent-proc-root").read_tcp_table().empty());
}

// A copy of the fixture tree the test may change.
class MutableProcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("redeye-discovery-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::copy(REDEYE_PROC_FIXTURES, root_,
             fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  }
  void TearDown() override { fs::remove_all(root_); }

  // PID 100 exits and the kernel hands its PID to an unrelated process.
  void reuse_pid_100() {
    const fs::path dir = root_ / "100";
    write_file(dir / "stat",
               "100 (python3) S 2000 100 100 0 -1 4194560 1 0 0 0 1 1 0 0 20 0 1 0 88000 "
               "1 1 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n");
    write_file(dir / "comm", "python3\n");
    write_file(dir / "cmdline", "python3\0batch.py\0"s);
    write_file(dir / "cgroup", "0::/user.slice/user-1000.slice/session-9.scope\n");
    write_file(dir / "environ", "HOME=/home/u\0"s);
    fs::remove(dir / "exe");
    fs::create_symlink("/usr/bin/python3.11", dir / "exe");
    fs::remove_all(dir / "fd");
    fs::create_directory(dir / "fd");
  }

  fs::path root_;
};

// One /proc/net/tcp line: slot, local port, state, inode.
std::string tcp_line(int slot, uint16_t port, const char* state, uint64_t inode) {
  char line[200];
  std::snprintf(line, sizeof(line),
                "%4d: 0100007F:%04X 00000000:0000 %s 00000000:00000000 00:00000000 00000000"
                "     0        0 %llu 1 0000000000000000 100 0 0 10 0\n",
                slot, port, state, static_cast<unsigned long long>(inode));
  return line;
}

TEST_F(MutableProcTest, ListeningReadStopsAtTheFirstSocketThatIsNotListening) {
  // More listeners than one 4 KiB read holds (lines cut across reads), then an established
  // socket, then a listener the kernel would never list there: the read must stop before it.
  std::string text =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
      "timeout inode\n";
  for (int i = 0; i < 90; ++i)
    text += tcp_line(i, static_cast<uint16_t>(10000 + i), "0A", 50000 + i);
  text += tcp_line(90, 20000, "01", 60000);
  text += tcp_line(91, 30000, "0A", 70000);
  ASSERT_GT(text.size(), 2 * 4096u);
  write_file(root_ / "net" / "tcp", text);
  write_file(root_ / "net" / "tcp6",
             tcp_line(0, 40000, "0A", 80000) + tcp_line(1, 40001, "01", 80001));

  const ProcfsReader reader(root_.string());
  const TcpSocketTable listening = reader.read_tcp_table(ProcfsReader::TcpScope::kListening);
  EXPECT_EQ(listening.size(), 91u);  // 90 IPv4 listeners + 1 IPv6
  const std::set<uint16_t> ports = listening_ports(listening);
  EXPECT_TRUE(ports.contains(10000) && ports.contains(10089) && ports.contains(40000));
  EXPECT_FALSE(ports.contains(30000));
  EXPECT_FALSE(listening.contains(60000));
  EXPECT_FALSE(listening.contains(80001));
  // The whole read still has everything.
  const TcpSocketTable all = reader.read_tcp_table();
  EXPECT_EQ(all.size(), 94u);  // 92 IPv4 + 2 IPv6
  EXPECT_TRUE(listening_ports(all).contains(30000));
}

TEST_F(MutableProcTest, ReusedPidReportsTheNewStartTime) {
  const ProcfsReader reader(root_.string());
  const auto before = reader.read(100);
  ASSERT_TRUE(before);
  EXPECT_EQ(default_service_name(*before).name, "nginx");

  reuse_pid_100();

  const auto after = reader.read(100);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->pid, before->pid);
  EXPECT_EQ(after->start_time_ticks, 88000u);
  EXPECT_NE(after->key(), before->key());
  EXPECT_EQ(after->systemd_unit, "");
  EXPECT_TRUE(after->listening_ports.empty());
  EXPECT_EQ(default_service_name(*after), (ServiceName{"python3.11", "", "exe"}));
}

TEST_F(MutableProcTest, CallerCacheDetectsReuseByStartTime) {
  // How a caller keeps names per PID without handing the old service to a new process.
  const ProcfsReader reader(root_.string());
  struct Cached {
    uint64_t start_time_ticks;
    ServiceName name;
  };
  std::map<uint32_t, Cached> cache;
  int resolutions = 0;
  const auto name_of = [&](uint32_t pid) -> std::optional<ServiceName> {
    const std::optional<uint64_t> start = reader.start_time(pid);
    if (!start) {
      cache.erase(pid);
      return std::nullopt;
    }
    const auto it = cache.find(pid);
    if (it != cache.end() && it->second.start_time_ticks == *start) return it->second.name;
    const std::optional<ProcessInfo> info = reader.read(pid);
    if (!info) return std::nullopt;
    ++resolutions;
    cache[pid] = {info->start_time_ticks, default_service_name(*info)};
    return cache[pid].name;
  };

  EXPECT_EQ(name_of(100)->name, "nginx");
  EXPECT_EQ(name_of(100)->name, "nginx");
  EXPECT_EQ(resolutions, 1);
  reuse_pid_100();
  EXPECT_EQ(name_of(100)->name, "python3.11");
  EXPECT_EQ(resolutions, 2);
  fs::remove_all(root_ / "100");
  EXPECT_EQ(name_of(100), std::nullopt);
  EXPECT_FALSE(cache.contains(100));
}

TEST_F(MutableProcTest, UnreadableFilesAreTolerated) {
  // Permission-like failures: a directory where a file should be, a link that is a file.
  const fs::path dir = root_ / "200";
  fs::remove(dir / "environ");
  fs::create_directory(dir / "environ");
  fs::remove(dir / "exe");
  write_file(dir / "exe", "not a link");
  fs::remove(dir / "cgroup");
  const auto p = ProcfsReader(root_.string()).read(200);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->exe, "");
  EXPECT_EQ(p->hostname_env, "");
  EXPECT_EQ(p->cgroup_path, "");
  EXPECT_TRUE(p->container.empty());
  EXPECT_EQ(p->comm, "redis-server");
  EXPECT_EQ(p->listening_ports, (std::vector<uint16_t>{6379}));
}

TEST(ApplyCgroupFile, PreferenceOrder) {
  ProcessInfo p;
  apply_cgroup_file("12:memory:/mem\n1:name=systemd:/sys/x.service\n0::/unified.service\n", p);
  EXPECT_EQ(p.cgroup_path, "/unified.service");
  p = {};
  apply_cgroup_file("4:cpu,cpuacct:/cpu\n3:memory:/mem\n1:name=systemd:/sys/x.service\n", p);
  EXPECT_EQ(p.cgroup_path, "/sys/x.service");
  EXPECT_EQ(p.systemd_unit, "x.service");
  p = {};
  apply_cgroup_file("4:cpu,cpuacct:/cpu\n3:blkio,memory:/mem\n", p);
  EXPECT_EQ(p.cgroup_path, "/mem");
  p = {};
  apply_cgroup_file("3:memory:/mem\n0::/\n", p);  // a root unified path is skipped
  EXPECT_EQ(p.cgroup_path, "/mem");
  p = {};
  apply_cgroup_file("0::/\n", p);
  EXPECT_EQ(p.cgroup_path, "/");
  p = {};
  apply_cgroup_file("garbage\n\n0::/a:b\n", p);  // ':' inside the path is kept
  EXPECT_EQ(p.cgroup_path, "/a:b");
  p = {};
  apply_cgroup_file("", p);
  EXPECT_EQ(p.cgroup_path, "");
}

TEST(ApplyEnviron, OtelPrecedenceAndHostname) {
  ProcessInfo p;
  apply_environ(
      "OTEL_SERVICE_NAME=\0OTEL_RESOURCE_ATTRIBUTES=service.name=a,"
      "service.namespace=ns\0OTEL_SERVICE_NAMESPACE=explicit\0"
      "HOSTNAME=web-0\0NOEQUALS\0"s,
      p);
  EXPECT_EQ(p.otel_service_name, "a");  // empty OTEL_SERVICE_NAME counts as unset
  EXPECT_EQ(p.otel_service_namespace, "explicit");
  EXPECT_EQ(p.hostname_env, "web-0");
  p = {};
  apply_environ("OTEL_SERVICE_NAME=direct", p);  // no trailing NUL
  EXPECT_EQ(p.otel_service_name, "direct");
  EXPECT_EQ(p.otel_service_namespace, "");
}

// The real /proc: this test process, with a listening socket and a connection to it.
TEST(ProcfsReaderRealProc, ReadsItselfWithAListeningPort) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const uint16_t port = ntohs(address.sin_port);

  const int client = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(client, 0);
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  const int accepted = ::accept(listener, nullptr, nullptr);
  ASSERT_GE(accepted, 0);

  const ProcfsReader reader;
  const uint32_t self = static_cast<uint32_t>(::getpid());
  const auto p = reader.read(self);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->pid, self);
  EXPECT_EQ(p->ppid, static_cast<uint32_t>(::getppid()));
  EXPECT_EQ(p->exe, fs::read_symlink("/proc/self/exe").string());
  EXPECT_NE(p->cmdline.find("discovery_unit_tests"), std::string::npos) << p->cmdline;
  EXPECT_FALSE(p->cgroup_path.empty());
  EXPECT_GT(p->start_time_ticks, 0u);
  EXPECT_EQ(reader.start_time(self), p->start_time_ticks);
  EXPECT_NE(std::find(p->listening_ports.begin(), p->listening_ports.end(), port),
            p->listening_ports.end());
  const auto pids = reader.list_pids();
  EXPECT_TRUE(std::binary_search(pids.begin(), pids.end(), self));
  EXPECT_TRUE(reader.net_namespace(self).has_value());

  const TcpSocketTable table = reader.read_tcp_table(self);
  const auto counts = count_connections(table, reader.socket_inodes(self), listening_ports(table));
  EXPECT_EQ(counts, (ConnectionCounts{1, 1}));

  // The listening-only read of the real file: our listener, none of our two connections.
  const TcpSocketTable listening = reader.read_tcp_table(self, ProcfsReader::TcpScope::kListening);
  EXPECT_TRUE(listening_ports(listening).contains(port));
  for (const auto& [inode, socket] : listening) EXPECT_EQ(socket.state, kTcpListen) << inode;
  EXPECT_LT(listening.size(), table.size());

  ::close(accepted);
  ::close(client);
  ::close(listener);
}

}  // namespace
}  // namespace redeye::discovery
