// Moved from tests/unit/discovery/procfs_reader_test.cpp with the code they test.
#include "host/tcp_connections.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace redeye::host {
namespace {

TEST(ParseTcpTable, SkipsHeaderMalformedLinesAndInodeZero) {
  TcpSocketTable table;
  parse_tcp_table(
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
      "timeout inode\n"
      "   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0  "
      "      0 20001 1 0000000000000000 100 0 0 10 0\n"
      "   1: 0A000005:C354 0A000009:18EB 06 00000000:00000000 03:00001770 00000000     0  "
      "      0 0 3 0000000000000000\n"
      "   2: garbage\n"
      "   3: 0100007F:ZZZZ 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 7 1\n"
      "   4: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:D431 01 "
      "00000000:00000000 00:00000000 00000000 0 0 20002 1",
      table);
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table.at(20001).state, kTcpListen);
  EXPECT_EQ(table.at(20001).local_port, 80);
  EXPECT_EQ(table.at(20002).state, kTcpEstablished);
  EXPECT_EQ(table.at(20002).local_port, 8080);
  EXPECT_EQ(table.at(20002).remote_port, 0xD431);
}

TEST(CountConnections, ServerWhenLocalPortListensElseClient) {
  TcpSocketTable table;
  table[1] = {kTcpListen, 5432, 0};
  table[2] = {kTcpEstablished, 5432, 40000};  // accepted: server
  table[3] = {kTcpEstablished, 5432, 40001};  // accepted, idle: server
  table[4] = {kTcpEstablished, 40002, 5432};  // opened: client
  table[5] = {0x08, 5432, 40003};             // CLOSE_WAIT: not counted
  table[6] = {kTcpEstablished, 40004, 443};   // someone else's
  const std::set<uint16_t> host_ports = listening_ports(table);
  EXPECT_EQ(host_ports, (std::set<uint16_t>{5432}));
  EXPECT_EQ(count_connections(table, {1, 2, 3, 4, 5, 3, 99}, host_ports), (ConnectionCounts{2, 1}));
  EXPECT_EQ(count_connections(table, {}, host_ports), (ConnectionCounts{}));
}

TEST(CountHeldConnections, EachSocketOnceServerWhenTheServiceListensOnItsPort) {
  // The postmaster's listener, a backend's accepted socket (also held by a second fd), an
  // idle accepted one, and a connection the service opened to another server.
  const std::vector<HeldSocket> sockets = {{0x1, 5432, true},
                                           {0xa, 5432, false},
                                           {0xb, 40002, false},
                                           {0xa, 5432, false},
                                           {0xc, 5432, false}};
  EXPECT_EQ(count_held_connections(sockets), (ConnectionCounts{2, 1}));
  EXPECT_EQ(count_held_connections({}), (ConnectionCounts{}));
}

TEST(CountHeldConnections, WithoutAListenerEverythingIsAClient) {
  EXPECT_EQ(count_held_connections({{0xa, 5432, false}, {0xb, 5433, false}}),
            (ConnectionCounts{0, 2}));
}

TEST(CountHeldConnections, TheSameListenerInSeveralProcessesCountsNoConnection) {
  // nginx: master and worker hold the same listener; the worker holds the accepted socket.
  EXPECT_EQ(count_held_connections({{0x1, 80, true}, {0x1, 80, true}, {0xa, 80, false}}),
            (ConnectionCounts{1, 0}));
}

TEST(ProcSockets, ReadsAWholeTableBiggerThanTheUsualFileCap) {
  // The host's table lists every socket of the namespace: more than 1 MiB on a busy host,
  // and a count read from a truncated table would come out short.
  namespace fs = std::filesystem;
  const fs::path root =
      fs::temp_directory_path() / ("redeye_proc_sockets_" + std::to_string(::getpid()));
  fs::create_directories(root / "net");
  constexpr int kSockets = 12000;  // ~150 bytes a line: ~1.8 MiB
  {
    std::ofstream tcp(root / "net" / "tcp", std::ios::binary);
    tcp << "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
           "timeout inode\n";
    for (int i = 0; i < kSockets; ++i) {
      char line[200];
      std::snprintf(line, sizeof(line),
                    "%5d: 0100007F:1F90 0100007F:%04X 01 00000000:00000000 00:00000000 00000000  "
                    "   0        0 %d 1 0000000000000000 20 4 30 10 -1                     \n",
                    i, 10000 + i % 50000, 100000 + i);
      tcp << line;
    }
  }
  ASSERT_GT(fs::file_size(root / "net" / "tcp"), size_t{1} << 20);
  const TcpSocketTable table = ProcSockets(root.string()).read_tcp_table();
  fs::remove_all(root);
  EXPECT_EQ(table.size(), static_cast<size_t>(kSockets));
}

}  // namespace
}  // namespace redeye::host
