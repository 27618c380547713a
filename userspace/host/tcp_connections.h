// A process's TCP connections as procfs shows them: the /proc/net/tcp{,6} tables of a network
// namespace, the socket inodes behind /proc/<pid>/fd, and the server/client counts of
// process_open_tcp_connections built from them (or from the sockets the kernel's iterator
// reports, userspace/bpf/process_sockets.h). Discovery reads the same tables for listening ports.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace redeye::host {

// TCP states as /proc/net/tcp prints them (include/net/tcp_states.h).
inline constexpr uint8_t kTcpEstablished = 0x01;
inline constexpr uint8_t kTcpListen = 0x0A;

struct TcpSocket {
  uint8_t state = 0;
  uint16_t local_port = 0;
  uint16_t remote_port = 0;
};

// Sockets of one network namespace (IPv4 and IPv6) by socket inode. Sockets with inode 0
// (TIME_WAIT, orphans) are left out: no process holds them.
using TcpSocketTable = std::unordered_map<uint64_t, TcpSocket>;

// Adds the sockets of one /proc/net/tcp or /proc/net/tcp6 text; malformed lines are skipped.
void parse_tcp_table(std::string_view text, TcpSocketTable& table);

// Local ports of every LISTEN socket in the table.
std::set<uint16_t> listening_ports(const TcpSocketTable& table);

struct ConnectionCounts {
  uint32_t server = 0;
  uint32_t client = 0;
  bool operator==(const ConnectionCounts&) const = default;
};

// ESTABLISHED sockets among `inodes` (duplicates counted once; inodes not in the table, e.g.
// UDP or Unix sockets, ignored): server when the local port is one of
// `host_listening_ports` (accepted connections), else client (connections it opened).
// `host_listening_ports` must come from the same network namespace as `table`.
ConnectionCounts count_connections(const TcpSocketTable& table, const std::vector<uint64_t>& inodes,
                                   const std::set<uint16_t>& host_listening_ports);

// A TCP socket a process holds, as the kernel's iterator reports it
// (userspace/bpf/process_sockets.h): `id` tells one socket from another.
struct HeldSocket {
  uint64_t id = 0;
  uint16_t local_port = 0;
  bool listening = false;  // LISTEN; otherwise ESTABLISHED
};

// count_connections for the sockets a service's processes hold, read from the kernel instead
// of /proc: each ESTABLISHED socket once (however many fds or processes hold it), server when
// its local port is one the service itself listens on (accepted connections), else client.
ConnectionCounts count_held_connections(std::vector<HeldSocket> sockets);

// The files above under one /proc tree. The root is a parameter so tests can point it at
// fixture trees.
class ProcSockets {
 public:
  explicit ProcSockets(std::string proc_root = "/proc");

  // <root>/net/tcp and <root>/net/tcp6 (the reader's own network namespace on a real /proc).
  // kListening reads only the LISTEN sockets: the kernel lists them first, so the read stops
  // at the first other socket, before the walk of the established-socket hash (the whole
  // host's table, 262,144 buckets here: ~2 ms per file whatever the namespace holds).
  // Discovery only needs listening ports; connection counts need kAll.
  enum class TcpScope { kAll, kListening };
  TcpSocketTable read_tcp_table(TcpScope scope = TcpScope::kAll) const;
  // <root>/<pid>/net/tcp and tcp6 (that process's network namespace, e.g. a pod's); falls
  // back to read_tcp_table() when <root>/<pid>/net/tcp is missing.
  TcpSocketTable read_tcp_table(uint32_t pid, TcpScope scope = TcpScope::kAll) const;

  // Inode of the network namespace (<root>/<pid>/ns/net -> "net:[N]"), nullopt if unreadable.
  std::optional<uint64_t> net_namespace(uint32_t pid) const;

  // Socket inodes from the <root>/<pid>/fd/* links "socket:[N]", ascending and unique.
  std::vector<uint64_t> socket_inodes(uint32_t pid) const;

 private:
  std::string pid_dir(uint32_t pid) const;

  std::string root_;
};

}  // namespace redeye::host
