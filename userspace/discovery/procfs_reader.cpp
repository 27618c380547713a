#include "discovery/procfs_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <system_error>
#include <utility>

#include "discovery/cgroup_identity.h"
#include "discovery/service_naming.h"

namespace redeye::discovery {
namespace {

namespace fs = std::filesystem;

// POSIX reads: /proc files report size 0, and a read may fail after a successful open
// (the process exited, EACCES, EISDIR), which must not throw.
std::optional<std::string> read_text(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n > 0) {
      text.append(buffer, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      ::close(fd);
      return std::nullopt;
    }
  }
  ::close(fd);
  return text;
}

std::optional<std::string> read_link(const std::string& path) {
  std::error_code ec;
  fs::path target = fs::read_symlink(path, ec);
  if (ec) return std::nullopt;
  return target.string();
}

template <typename T>
bool parse_number(std::string_view text, T& value, int base = 10) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
  return ec == std::errc() && ptr == end;
}

// "<prefix>[N]" -> N ("socket:[12345]", "net:[4026531840]").
std::optional<uint64_t> bracketed_inode(std::string_view link, std::string_view prefix) {
  if (!link.starts_with(prefix) || !link.ends_with(']')) return std::nullopt;
  link.remove_prefix(prefix.size());
  if (!link.starts_with('[')) return std::nullopt;
  link = link.substr(1, link.size() - 2);
  uint64_t inode = 0;
  if (!parse_number(link, inode)) return std::nullopt;
  return inode;
}

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) fields.push_back(text.substr(start, i - start));
  }
  return fields;
}

// A /proc/net/tcp{,6} text up to its first socket that is not listening (the kernel lists
// listening sockets first): reading stops there, so the kernel never walks the rest.
std::optional<std::string> read_listening_section(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  size_t scanned = 0;  // start of the first line not yet looked at
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    for (size_t end; (end = text.find('\n', scanned)) != std::string::npos; scanned = end + 1) {
      const std::vector<std::string_view> f =
          split_fields(std::string_view(text).substr(scanned, end - scanned));
      if (f.size() > 3 && f[0].ends_with(':') && f[3] != "0A") {
        text.resize(scanned);
        ::close(fd);
        return text;
      }
    }
  }
  ::close(fd);
  return text;
}

std::string_view strip_newline(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.remove_suffix(1);
  return text;
}

// "0100007F:1F90" or "<32 hex>:1F90" -> 0x1F90.
bool parse_port(std::string_view address, uint16_t& port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return false;
  return parse_number(address.substr(colon + 1), port, 16);
}

std::string join_nul_separated(std::string_view raw) {
  while (!raw.empty() && raw.back() == '\0') raw.remove_suffix(1);
  std::string joined(raw);
  std::replace(joined.begin(), joined.end(), '\0', ' ');
  return joined;
}

std::vector<uint16_t> listening_ports_of(const TcpSocketTable& table,
                                         const std::vector<uint64_t>& inodes) {
  std::vector<uint16_t> ports;
  for (uint64_t inode : inodes) {
    const auto it = table.find(inode);
    if (it != table.end() && it->second.state == kTcpListen) ports.push_back(it->second.local_port);
  }
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  return ports;
}

}  // namespace

void parse_tcp_table(std::string_view text, TcpSocketTable& table) {
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    const std::vector<std::string_view> f = split_fields(line);
    if (f.size() < 10 || !f[0].ends_with(':')) continue;  // the header, or malformed
    TcpSocket socket;
    uint64_t inode = 0;
    if (!parse_port(f[1], socket.local_port) || !parse_port(f[2], socket.remote_port) ||
        !parse_number(f[3], socket.state, 16) || !parse_number(f[9], inode) || inode == 0) {
      continue;
    }
    table[inode] = socket;
  }
}

std::set<uint16_t> listening_ports(const TcpSocketTable& table) {
  std::set<uint16_t> ports;
  for (const auto& [inode, socket] : table) {
    if (socket.state == kTcpListen) ports.insert(socket.local_port);
  }
  return ports;
}

ConnectionCounts count_connections(const TcpSocketTable& table, const std::vector<uint64_t>& inodes,
                                   const std::set<uint16_t>& host_listening_ports) {
  std::vector<uint64_t> unique = inodes;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  ConnectionCounts counts;
  for (uint64_t inode : unique) {
    const auto it = table.find(inode);
    if (it == table.end() || it->second.state != kTcpEstablished) continue;
    if (host_listening_ports.contains(it->second.local_port)) {
      ++counts.server;
    } else {
      ++counts.client;
    }
  }
  return counts;
}

ConnectionCounts count_held_connections(std::vector<HeldSocket> sockets) {
  std::set<uint16_t> listening;
  for (const HeldSocket& s : sockets) {
    if (s.listening) listening.insert(s.local_port);
  }
  std::sort(sockets.begin(), sockets.end(),
            [](const HeldSocket& a, const HeldSocket& b) { return a.id < b.id; });
  ConnectionCounts counts;
  for (size_t i = 0; i < sockets.size(); ++i) {
    const HeldSocket& s = sockets[i];
    if (s.listening || (i > 0 && s.id == sockets[i - 1].id)) continue;
    if (listening.contains(s.local_port)) {
      ++counts.server;
    } else {
      ++counts.client;
    }
  }
  return counts;
}

std::optional<StatFields> parse_stat(std::string_view stat) {
  const size_t open = stat.find('(');
  const size_t close = stat.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  StatFields fields;
  fields.comm = std::string(stat.substr(open + 1, close - open - 1));
  // Fields from 3 (state) on; field N is rest[N - 3].
  const std::vector<std::string_view> rest = split_fields(strip_newline(stat.substr(close + 1)));
  if (rest.size() < 20 || rest[0].size() != 1) return std::nullopt;
  fields.state = rest[0][0];
  if (!parse_number(rest[1], fields.ppid) || !parse_number(rest[19], fields.start_time_ticks)) {
    return std::nullopt;
  }
  return fields;
}

void apply_cgroup_file(std::string_view cgroup_file, ProcessInfo& process) {
  // Candidates in order of preference: unified, name=systemd, memory.
  std::optional<std::string_view> candidates[3];
  while (!cgroup_file.empty()) {
    const size_t newline = cgroup_file.find('\n');
    const std::string_view line = cgroup_file.substr(0, newline);
    cgroup_file.remove_prefix(newline == std::string_view::npos ? cgroup_file.size() : newline + 1);
    // hierarchy-ID:controller-list:cgroup-path (the path may itself hold ':').
    const size_t first = line.find(':');
    if (first == std::string_view::npos) continue;
    const size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const std::string_view hierarchy = line.substr(0, first);
    const std::string_view controllers = line.substr(first + 1, second - first - 1);
    const std::string_view path = line.substr(second + 1);
    if (hierarchy == "0" && controllers.empty()) {
      if (!candidates[0]) candidates[0] = path;
    } else if (controllers == "name=systemd") {
      if (!candidates[1]) candidates[1] = path;
    } else {
      // "memory" alone or in a comma-separated list of co-mounted controllers.
      std::string_view rest = controllers;
      while (!rest.empty()) {
        const size_t comma = rest.find(',');
        if (rest.substr(0, comma) == "memory" && !candidates[2]) candidates[2] = path;
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
  }
  std::optional<std::string_view> chosen;
  for (const auto& candidate : candidates) {
    if (candidate && !parse_container_identity(*candidate).empty()) {
      chosen = candidate;
      break;
    }
  }
  for (const auto& candidate : candidates) {
    if (!chosen && candidate && *candidate != "/") chosen = candidate;
  }
  for (const auto& candidate : candidates) {
    if (!chosen && candidate) chosen = candidate;
  }
  if (!chosen) return;
  process.cgroup_path = std::string(*chosen);
  process.container = parse_container_identity(*chosen);
  process.systemd_unit = systemd_unit_from_cgroup(*chosen);
}

void apply_environ(std::string_view environ, ProcessInfo& process) {
  std::string_view service_name;
  std::string_view service_namespace;
  std::string_view resource_attributes;
  std::string_view hostname;
  while (!environ.empty()) {
    const size_t nul = environ.find('\0');
    const std::string_view entry = environ.substr(0, nul);
    environ.remove_prefix(nul == std::string_view::npos ? environ.size() : nul + 1);
    const size_t equals = entry.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view key = entry.substr(0, equals);
    const std::string_view value = entry.substr(equals + 1);
    if (key == "OTEL_SERVICE_NAME") {
      service_name = value;
    } else if (key == "OTEL_SERVICE_NAMESPACE") {
      service_namespace = value;
    } else if (key == "OTEL_RESOURCE_ATTRIBUTES") {
      resource_attributes = value;
    } else if (key == "HOSTNAME") {
      hostname = value;
    }
  }
  process.otel_service_name = std::string(service_name);
  if (process.otel_service_name.empty()) {
    process.otel_service_name =
        resource_attribute(resource_attributes, "service.name").value_or("");
  }
  process.otel_service_namespace = std::string(service_namespace);
  if (process.otel_service_namespace.empty()) {
    process.otel_service_namespace =
        resource_attribute(resource_attributes, "service.namespace").value_or("");
  }
  process.hostname_env = std::string(hostname);
}

ProcfsReader::ProcfsReader(std::string proc_root) : root_(std::move(proc_root)) {}

std::string ProcfsReader::pid_dir(uint32_t pid) const { return root_ + "/" + std::to_string(pid); }

std::vector<uint32_t> ProcfsReader::list_pids() const {
  std::vector<uint32_t> pids;
  std::error_code ec;
  for (fs::directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
    uint32_t pid = 0;
    if (parse_number(it->path().filename().string(), pid)) pids.push_back(pid);
  }
  std::sort(pids.begin(), pids.end());
  return pids;
}

std::optional<uint64_t> ProcfsReader::start_time(uint32_t pid) const {
  const std::optional<std::string> stat = read_text(pid_dir(pid) + "/stat");
  if (!stat) return std::nullopt;
  const std::optional<StatFields> fields = parse_stat(*stat);
  if (!fields) return std::nullopt;
  return fields->start_time_ticks;
}

std::optional<ProcessInfo> ProcfsReader::read(uint32_t pid) const {
  TcpSocketTable own;
  return read(pid, [&]() -> const TcpSocketTable& {
    own = read_tcp_table(pid, TcpScope::kListening);
    return own;
  });
}

std::optional<ProcessInfo> ProcfsReader::read(uint32_t pid, const TcpSocketTable& tcp) const {
  return read(pid, [&]() -> const TcpSocketTable& { return tcp; });
}

std::optional<ProcessInfo> ProcfsReader::read(uint32_t pid,
                                              const ListeningSource& listening) const {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::optional<ProcessInfo> info = read_once(pid, listening);
    if (!info) return std::nullopt;
    const std::optional<uint64_t> after = start_time(pid);
    // Gone after the read: what was read belongs to the process that was.
    if (!after || *after == info->start_time_ticks) return info;
  }
  return std::nullopt;
}

std::optional<ProcessInfo> ProcfsReader::read_once(uint32_t pid,
                                                   const ListeningSource& listening) const {
  const std::string dir = pid_dir(pid);
  const std::optional<std::string> stat = read_text(dir + "/stat");
  if (!stat) return std::nullopt;
  std::optional<StatFields> fields = parse_stat(*stat);
  if (!fields) return std::nullopt;

  ProcessInfo info;
  info.pid = pid;
  info.ppid = fields->ppid;
  info.start_time_ticks = fields->start_time_ticks;
  info.comm = std::move(fields->comm);
  if (const auto comm = read_text(dir + "/comm"); comm && !strip_newline(*comm).empty()) {
    info.comm = std::string(strip_newline(*comm));
  }
  if (std::optional<std::string> exe = read_link(dir + "/exe")) {
    constexpr std::string_view kDeleted = " (deleted)";
    if (exe->ends_with(kDeleted)) exe->resize(exe->size() - kDeleted.size());
    info.exe = std::move(*exe);
  }
  if (const auto cmdline = read_text(dir + "/cmdline")) info.cmdline = join_nul_separated(*cmdline);
  if (const auto cgroup = read_text(dir + "/cgroup")) apply_cgroup_file(*cgroup, info);
  if (const auto environ = read_text(dir + "/environ")) apply_environ(*environ, info);

  const std::vector<uint64_t> inodes = socket_inodes(pid);
  if (!inodes.empty()) info.listening_ports = listening_ports_of(listening(), inodes);
  return info;
}

namespace {
std::optional<std::string> read_tcp_text(const std::string& path, ProcfsReader::TcpScope scope) {
  return scope == ProcfsReader::TcpScope::kListening ? read_listening_section(path)
                                                     : read_text(path);
}
}  // namespace

TcpSocketTable ProcfsReader::read_tcp_table(TcpScope scope) const {
  TcpSocketTable table;
  for (const char* name : {"/net/tcp", "/net/tcp6"}) {
    if (const auto text = read_tcp_text(root_ + name, scope)) parse_tcp_table(*text, table);
  }
  return table;
}

TcpSocketTable ProcfsReader::read_tcp_table(uint32_t pid, TcpScope scope) const {
  const std::string dir = pid_dir(pid);
  const std::optional<std::string> tcp = read_tcp_text(dir + "/net/tcp", scope);
  if (!tcp) return read_tcp_table(scope);
  TcpSocketTable table;
  parse_tcp_table(*tcp, table);
  if (const auto tcp6 = read_tcp_text(dir + "/net/tcp6", scope)) parse_tcp_table(*tcp6, table);
  return table;
}

std::optional<uint64_t> ProcfsReader::net_namespace(uint32_t pid) const {
  const std::optional<std::string> link = read_link(pid_dir(pid) + "/ns/net");
  if (!link) return std::nullopt;
  return bracketed_inode(*link, "net:");
}

std::vector<uint64_t> ProcfsReader::socket_inodes(uint32_t pid) const {
  std::vector<uint64_t> inodes;
  std::error_code ec;
  for (fs::directory_iterator it(pid_dir(pid) + "/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::optional<std::string> link = read_link(it->path().string());
    if (!link) continue;  // the fd was closed meanwhile
    if (const auto inode = bracketed_inode(*link, "socket:")) inodes.push_back(*inode);
  }
  std::sort(inodes.begin(), inodes.end());
  inodes.erase(std::unique(inodes.begin(), inodes.end()), inodes.end());
  return inodes;
}

}  // namespace redeye::discovery
