#include "discovery/procfs_reader.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <system_error>
#include <utility>

#include "discovery/cgroup_identity.h"
#include "discovery/service_naming.h"
#include "host/proc_stats.h"
#include "host/text_file.h"

namespace redeye::discovery {
namespace {

namespace fs = std::filesystem;

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

std::string_view strip_newline(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.remove_suffix(1);
  return text;
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
    if (it != table.end() && it->second.state == host::kTcpListen)
      ports.push_back(it->second.local_port);
  }
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  return ports;
}

}  // namespace

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

ProcfsReader::ProcfsReader(std::string proc_root) : root_(std::move(proc_root)), sockets_(root_) {}

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
  const std::optional<std::string> stat = host::read_text_file(pid_dir(pid) + "/stat");
  if (!stat) return std::nullopt;
  const std::optional<host::ProcStat> fields = host::parse_stat(*stat);
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
  const std::optional<std::string> stat = host::read_text_file(dir + "/stat");
  if (!stat) return std::nullopt;
  std::optional<host::ProcStat> fields = host::parse_stat(*stat);
  if (!fields) return std::nullopt;

  ProcessInfo info;
  info.pid = pid;
  info.ppid = fields->ppid;
  info.start_time_ticks = fields->start_time_ticks;
  info.comm = std::move(fields->comm);
  if (const auto comm = host::read_text_file(dir + "/comm");
      comm && !strip_newline(*comm).empty()) {
    info.comm = std::string(strip_newline(*comm));
  }
  if (std::optional<std::string> exe = read_link(dir + "/exe")) {
    constexpr std::string_view kDeleted = " (deleted)";
    if (exe->ends_with(kDeleted)) exe->resize(exe->size() - kDeleted.size());
    info.exe = std::move(*exe);
  }
  if (const auto cmdline = host::read_text_file(dir + "/cmdline", host::kNoSizeCap))
    info.cmdline = join_nul_separated(*cmdline);
  if (const auto cgroup = host::read_text_file(dir + "/cgroup")) apply_cgroup_file(*cgroup, info);
  if (const auto environ = host::read_text_file(dir + "/environ", host::kNoSizeCap))
    apply_environ(*environ, info);

  const std::vector<uint64_t> inodes = socket_inodes(pid);
  if (!inodes.empty()) info.listening_ports = listening_ports_of(listening(), inodes);
  return info;
}

}  // namespace redeye::discovery
