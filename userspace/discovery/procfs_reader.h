// Reads what discovery needs about processes from a /proc tree. The root is a parameter so
// tests can point it at fixture trees. /proc/<pid>/stat is parsed by host::parse_stat and
// files are read by host::read_text_file; the TCP tables behind listening ports come from
// host::ProcSockets (which also serves the USE collector's connection counts).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/process_info.h"
#include "host/tcp_connections.h"

namespace redeye::discovery {

// The tables discovery reads listening ports from (host/tcp_connections.h).
using TcpSocketTable = host::TcpSocketTable;

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

  // The sockets of <root> (host::ProcSockets): discovery takes listening ports from them.
  using TcpScope = host::ProcSockets::TcpScope;
  TcpSocketTable read_tcp_table(TcpScope scope = TcpScope::kAll) const {
    return sockets_.read_tcp_table(scope);
  }
  TcpSocketTable read_tcp_table(uint32_t pid, TcpScope scope = TcpScope::kAll) const {
    return sockets_.read_tcp_table(pid, scope);
  }
  std::optional<uint64_t> net_namespace(uint32_t pid) const { return sockets_.net_namespace(pid); }
  std::vector<uint64_t> socket_inodes(uint32_t pid) const { return sockets_.socket_inodes(pid); }

 private:
  std::optional<ProcessInfo> read_once(uint32_t pid, const ListeningSource& listening) const;
  std::string pid_dir(uint32_t pid) const;

  std::string root_;
  host::ProcSockets sockets_;
};

}  // namespace redeye::discovery
