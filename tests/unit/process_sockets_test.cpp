// The socket iterator: decoding its records, and (as root, on a kernel with per-process BPF
// iterators) what it reports for this test process's own TCP sockets.
#include "bpf/process_sockets.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "bpf/kernel_probes.h"
#include "redeye/abi.h"

namespace redeye {
namespace {

TEST(ProcessSocketsDecode, WholeRecordsOnly) {
  const redeye_held_socket records[2] = {{0x1234, 80, 10, {}}, {0x5678, 40000, 1, {}}};
  std::vector<uint8_t> bytes(sizeof records + 5, 0xff);  // 5 stray bytes after them
  std::memcpy(bytes.data(), records, sizeof records);
  const auto sockets = decode_held_sockets(bytes);
  ASSERT_EQ(sockets.size(), 2u);
  EXPECT_EQ(sockets[0].id, 0x1234u);
  EXPECT_EQ(sockets[0].local_port, 80);
  EXPECT_TRUE(sockets[0].listening);
  EXPECT_EQ(sockets[1].id, 0x5678u);
  EXPECT_EQ(sockets[1].local_port, 40000);
  EXPECT_FALSE(sockets[1].listening);
  EXPECT_TRUE(decode_held_sockets({}).empty());
}

// A loopback listener, a client connected to it and the accepted end.
struct LoopbackPair {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  int server = -1;
  uint16_t port = 0;
  uint16_t client_port = 0;

  LoopbackPair() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(listener, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(listener, 4) != 0 ||
        getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        connect(client, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
      return;
    }
    port = ntohs(addr.sin_port);
    server = accept(listener, nullptr, nullptr);
    sockaddr_in local{};
    len = sizeof local;
    getsockname(client, reinterpret_cast<sockaddr*>(&local), &len);
    client_port = ntohs(local.sin_port);
  }
  ~LoopbackPair() {
    for (int fd : {listener, client, server}) {
      if (fd >= 0) close(fd);
    }
  }
};

// "L<port>" for a listener, "E<port>" for an established socket, sorted.
std::vector<std::string> described(const std::vector<host::HeldSocket>& sockets) {
  std::vector<std::string> out;
  for (const auto& s : sockets)
    out.push_back((s.listening ? "L" : "E") + std::to_string(s.local_port));
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<ProcessSocketReader> open_reader(std::string& why) {
  if (geteuid() != 0) {
    why = "needs root (CAP_BPF, CAP_PERFMON)";
    return std::nullopt;
  }
  try {
    return std::optional<ProcessSocketReader>(std::in_place);
  } catch (const ProbeError& e) {
    why = e.what();
    return std::nullopt;
  }
}

TEST(ProcessSocketsLive, ReportsThisProcessesListenersAndEstablishedSockets) {
  std::string why;
  auto reader = open_reader(why);
  if (!reader) GTEST_SKIP() << "SKIPPED LOUDLY: " << why;
  const auto before = reader->of_process(static_cast<uint32_t>(getpid()));
  ASSERT_TRUE(before.has_value());
  {
    LoopbackPair pair;
    ASSERT_GE(pair.server, 0);
    const int dup_fd = dup(pair.server);  // one socket behind two fds: reported per fd
    const auto during = reader->of_process(static_cast<uint32_t>(getpid()));
    close(dup_fd);
    ASSERT_TRUE(during.has_value());
    const std::string port = std::to_string(pair.port);
    std::vector<std::string> want = described(*before);
    for (const std::string& s :
         {"L" + port, "E" + port, "E" + port, "E" + std::to_string(pair.client_port)}) {
      want.push_back(s);
    }
    std::sort(want.begin(), want.end());
    EXPECT_EQ(described(*during), want);
    const auto counts = host::count_held_connections(*during);
    const auto base = host::count_held_connections(*before);
    EXPECT_EQ(counts.server, base.server + 1);  // the accepted end, once
    EXPECT_EQ(counts.client, base.client + 1);  // the connecting end
  }
  const auto after = reader->of_process(static_cast<uint32_t>(getpid()));
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(described(*after), described(*before));
}

TEST(ProcessSocketsLive, AProcessThatIsGoneHoldsNoSockets) {
  std::string why;
  auto reader = open_reader(why);
  if (!reader) GTEST_SKIP() << "SKIPPED LOUDLY: " << why;
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  int status = 0;
  waitpid(child, &status, 0);
  const auto gone = reader->of_process(static_cast<uint32_t>(child));
  ASSERT_TRUE(gone.has_value());
  EXPECT_TRUE(gone->empty());
}

}  // namespace
}  // namespace redeye

namespace redeye {
namespace {

TEST(OpenSocketReader, ProcNeedsNoKernelAndSaysSo) {
  std::string why;
  EXPECT_EQ(open_socket_reader(ConnectionCountsSetting::kProc, why), nullptr);
  EXPECT_EQ(why, "discovery.connection_counts: proc");
}

TEST(OpenSocketReader, AutoAndIteratorGiveAReaderWhereTheKernelHasOne) {
  std::string why;
  if (!open_reader(why)) GTEST_SKIP() << "SKIPPED LOUDLY: " << why;
  for (const ConnectionCountsSetting setting :
       {ConnectionCountsSetting::kAuto, ConnectionCountsSetting::kIterator}) {
    std::string why_proc;
    EXPECT_NE(open_socket_reader(setting, why_proc), nullptr) << to_string(setting);
    EXPECT_TRUE(why_proc.empty()) << to_string(setting);
  }
}

}  // namespace
}  // namespace redeye
