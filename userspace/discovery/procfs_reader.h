// Reads what discovery needs about processes from a /proc tree. The root is a parameter so
// tests can point it at fixture trees.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "discovery/process_info.h"

namespace redeye::discovery {

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

// The fields of /proc/<pid>/stat discovery uses. comm may hold spaces and parentheses: it
// runs from the first '(' to the LAST ')'.
struct StatFields {
  std::string comm;
  char state = '?';
  uint32_t ppid = 0;
  uint64_t start_time_ticks = 0;  // field 22, clock ticks since boot
};
std::optional<StatFields> parse_stat(std::string_view stat);

// Fills cgroup_path, systemd_unit and container from a /proc/<pid>/cgroup text. cgroup_path
// is the first of the unified ("0::"), name=systemd and memory paths that shows a container
// or pod; else the first of them that is not the root "/"; else the first present. (On
// cgroup v1/hybrid hosts a docker container with the cgroupfs driver shows in the memory
// path while its unified path still names the shim's unit.) systemd_unit comes from the
// chosen path.
void apply_cgroup_file(std::string_view cgroup_file, ProcessInfo& process);

// Fills otel_service_name, otel_service_namespace and hostname_env from a NUL-separated
// environ text. Empty values count as unset. OTEL_SERVICE_NAME wins over service.name in
// OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAMESPACE over service.namespace, each separately.
void apply_environ(std::string_view environ, ProcessInfo& process);

class ProcfsReader {
 public:
  explicit ProcfsReader(std::string proc_root = "/proc");

  const std::string& root() const { return root_; }

  // Numeric entries of the root, ascending.
  std::vector<uint32_t> list_pids() const;

  // nullopt when <root>/<pid>/stat is missing or unparsable (the process is gone). Every
  // other file may be missing or unreadable (exited mid-read, no permission: exe, environ and
  // fd/ of other users' processes need root or CAP_SYS_PTRACE); its fields stay empty.
  // Listening ports come from the tcp table of the process's own network namespace
  // (read_tcp_table(pid)), read only when the process holds sockets. If the start time
  // changes while reading (the PID was reused), the read is retried once, then nullopt.
  std::optional<ProcessInfo> read(uint32_t pid) const;
  // The same, taking listening ports from `tcp` (for scans that read one table per network
  // namespace, keyed by net_namespace()).
  std::optional<ProcessInfo> read(uint32_t pid, const TcpSocketTable& tcp) const;
  // The same, asking `listening` for the table only if the process holds sockets.
  using ListeningSource = std::function<const TcpSocketTable&()>;
  std::optional<ProcessInfo> read(uint32_t pid, const ListeningSource& listening) const;

  // Field 22 of <root>/<pid>/stat; nullopt when the process is gone.
  std::optional<uint64_t> start_time(uint32_t pid) const;

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
  std::optional<ProcessInfo> read_once(uint32_t pid, const ListeningSource& listening) const;
  std::string pid_dir(uint32_t pid) const;

  std::string root_;
};

}  // namespace redeye::discovery
