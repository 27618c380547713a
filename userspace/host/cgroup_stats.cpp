#include "host/cgroup_namespace.h"
#include "host/text_file.h"
#include "host/cgroup_stats.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <utility>

namespace redeye::host {
namespace {


// The v1 "unlimited" memory limit is LONG_MAX rounded down to the page size; anything this large
// cannot be a real limit.
constexpr uint64_t kV1UnlimitedThreshold = uint64_t{1} << 62;

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// Calls fn(line) for each line, without the trailing newline.
template <typename Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    fn(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

// A cgroup path from /proc/<pid>/cgroup we are willing to append to a mount point: absolute and
// without "." or ".." components (a process outside our cgroup namespace shows up as "/../x").
bool is_safe_cgroup_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  size_t i = 0;
  while (i < path.size()) {
    size_t next = path.find('/', i + 1);
    std::string_view part =
        path.substr(i + 1, next == std::string_view::npos ? next : next - i - 1);
    if (part == "." || part == "..") return false;
    if (next == std::string_view::npos) break;
    i = next;
  }
  return true;
}

std::string join_path(const std::string& mount, const std::string& cgroup_path) {
  std::string out = mount;
  if (cgroup_path != "/") out += cgroup_path;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

// The chain of directories from `dir` up to and including `mount`, innermost first.
std::vector<std::string> self_and_ancestors(const std::string& mount, const std::string& dir) {
  std::vector<std::string> out;
  std::string cur = dir;
  while (true) {
    out.push_back(cur);
    if (cur.size() <= mount.size()) break;
    size_t slash = cur.rfind('/');
    if (slash == std::string::npos || slash < mount.size()) break;
    cur.resize(slash);
  }
  return out;
}

std::optional<double> min_cores(std::optional<double> a, std::optional<double> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

std::optional<PressureStats> read_pressure(const std::string& dir, const char* file) {
  auto text = read_text_file(dir + "/" + file);
  if (!text) return std::nullopt;
  return parse_pressure(*text);
}

// The directory of a v1 controller for this process, or "" when not mounted or not present.
std::string v1_controller_dir(const std::string& root, const std::vector<ProcCgroupEntry>& entries,
                              const std::string& controller, std::string* mount_out) {
  for (const auto& e : entries) {
    if (e.controllers.empty()) continue;
    if (std::find(e.controllers.begin(), e.controllers.end(), controller) == e.controllers.end()) {
      continue;
    }
    if (!is_safe_cgroup_path(e.path)) return "";
    std::string joined;
    for (const auto& c : e.controllers) {
      if (!joined.empty()) joined += ",";
      joined += c;
    }
    // Co-mounted controllers live under their joined name ("cpu,cpuacct"), usually with a
    // symlink per controller; try both, plus the common cpu/cpuacct pairing in either order.
    std::vector<std::string> mounts = {root + "/" + joined, root + "/" + controller};
    if (controller == "cpu") {
      mounts.push_back(root + "/cpu,cpuacct");
      mounts.push_back(root + "/cpuacct,cpu");
    }
    for (const auto& mount : mounts) {
      if (!is_dir(mount)) continue;
      std::string dir = join_path(mount, e.path);
      if (!is_dir(dir)) continue;
      *mount_out = mount;
      return dir;
    }
    return "";
  }
  return "";
}

void read_v1_memory(const std::string& dir, CgroupStats& out) {
  if (auto t = read_text_file(dir + "/memory.usage_in_bytes"))
    out.memory_usage_bytes = parse_u64_value(*t);
  std::optional<uint64_t> limit;
  if (auto t = read_text_file(dir + "/memory.limit_in_bytes")) limit = parse_v1_memory_limit(*t);
  // With use_hierarchy, an ancestor's smaller limit applies; the kernel reports the effective one.
  if (auto t = read_text_file(dir + "/memory.stat")) {
    if (auto h = parse_keyed_u64(*t, "hierarchical_memory_limit")) {
      uint64_t hl = *h >= kV1UnlimitedThreshold ? kNoLimit : *h;
      limit = limit ? std::min(*limit, hl) : hl;
    }
  }
  if (limit && *limit != kNoLimit) out.memory_limit_bytes = *limit;
  if (auto t = read_text_file(dir + "/memory.oom_control"))
    out.oom_kills = parse_keyed_u64(*t, "oom_kill");
}

void read_v1_cpu(const std::string& mount, const std::string& dir, CgroupStats& out) {
  std::optional<double> cores;
  for (const auto& d : self_and_ancestors(mount, dir)) {
    auto quota = read_text_file(d + "/cpu.cfs_quota_us");
    auto period = read_text_file(d + "/cpu.cfs_period_us");
    if (!quota || !period) continue;
    if (auto q = parse_v1_cpu_quota(*quota, *period)) cores = min_cores(cores, q->cores());
  }
  out.cpu_limit_cores = cores;
}

// Returns whether the v2 directory has the memory controller's files.
bool read_v2_memory(const std::string& base, const std::string& dir, CgroupStats& out) {
  auto current = read_text_file(dir + "/memory.current");
  if (!current) return false;
  out.memory_usage_bytes = parse_u64_value(*current);
  uint64_t limit = kNoLimit;
  for (const auto& d : self_and_ancestors(base, dir)) {
    if (auto t = read_text_file(d + "/memory.max")) {
      if (auto m = parse_memory_max(*t)) limit = std::min(limit, *m);
    }
  }
  if (limit != kNoLimit) out.memory_limit_bytes = limit;
  if (auto t = read_text_file(dir + "/memory.events")) out.oom_kills = parse_keyed_u64(*t, "oom_kill");
  return true;
}

bool read_v2_cpu(const std::string& base, const std::string& dir, CgroupStats& out) {
  bool found = false;
  std::optional<double> cores;
  for (const auto& d : self_and_ancestors(base, dir)) {
    auto t = read_text_file(d + "/cpu.max");
    if (!t) continue;
    found = true;
    if (auto q = parse_cpu_max(*t)) cores = min_cores(cores, q->cores());
  }
  out.cpu_limit_cores = cores;
  return found;
}

}  // namespace

std::optional<std::vector<ProcCgroupEntry>> parse_proc_cgroup(std::string_view text) {
  std::vector<ProcCgroupEntry> out;
  for_each_line(text, [&](std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t c1 = line.find(':');
    if (c1 == std::string_view::npos) return;
    size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) return;
    auto id = to_u64(line.substr(0, c1));
    if (!id || *id > UINT32_MAX) return;
    std::string_view path = line.substr(c2 + 1);  // may itself contain ':'
    if (path.empty() || path.front() != '/') return;
    ProcCgroupEntry e;
    e.hierarchy_id = static_cast<uint32_t>(*id);
    std::string_view list = line.substr(c1 + 1, c2 - c1 - 1);
    while (!list.empty()) {
      size_t comma = list.find(',');
      std::string_view name = list.substr(0, comma);
      if (!name.empty()) e.controllers.emplace_back(name);
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
    e.path = std::string(path);
    out.push_back(std::move(e));
  });
  if (out.empty()) return std::nullopt;
  return out;
}

std::optional<uint64_t> parse_u64_value(std::string_view text) { return to_u64(trim(text)); }

std::optional<uint64_t> parse_memory_max(std::string_view text) {
  text = trim(text);
  if (text == "max") return kNoLimit;
  return to_u64(text);
}

std::optional<uint64_t> parse_v1_memory_limit(std::string_view text) {
  auto v = to_u64(trim(text));
  if (!v) return std::nullopt;
  if (*v >= kV1UnlimitedThreshold) return kNoLimit;
  return v;
}

std::optional<double> CpuQuota::cores() const {
  if (!quota_us || period_us == 0) return std::nullopt;
  return static_cast<double>(*quota_us) / static_cast<double>(period_us);
}

std::optional<CpuQuota> parse_cpu_max(std::string_view text) {
  auto fields = split_whitespace(text);
  if (fields.empty() || fields.size() > 2) return std::nullopt;
  CpuQuota q;
  if (fields[0] != "max") {
    q.quota_us = to_u64(fields[0]);
    if (!q.quota_us) return std::nullopt;
  }
  if (fields.size() == 2) {
    auto period = to_u64(fields[1]);
    if (!period || *period == 0) return std::nullopt;
    q.period_us = *period;
  } else {
    q.period_us = 100000;  // the kernel default, should a writer-style line be passed in
  }
  return q;
}

std::optional<CpuQuota> parse_v1_cpu_quota(std::string_view quota_text,
                                           std::string_view period_text) {
  auto quota = to_i64(trim(quota_text));
  auto period = to_u64(trim(period_text));
  if (!quota || !period || *period == 0) return std::nullopt;
  CpuQuota q;
  q.period_us = *period;
  if (*quota == -1) return q;
  if (*quota < 0) return std::nullopt;
  q.quota_us = static_cast<uint64_t>(*quota);
  return q;
}

std::optional<PressureStats> parse_pressure(std::string_view text) {
  std::optional<double> some;
  std::optional<double> full;
  bool bad = false;
  for_each_line(text, [&](std::string_view line) {
    auto fields = split_whitespace(line);
    if (fields.empty()) return;
    if (fields[0] != "some" && fields[0] != "full") return;
    std::optional<uint64_t> total;
    for (size_t i = 1; i < fields.size(); ++i) {
      if (fields[i].substr(0, 6) == "total=") total = to_u64(fields[i].substr(6));
    }
    if (!total) {
      bad = true;
      return;
    }
    double seconds = static_cast<double>(*total) / 1e6;
    (fields[0] == "some" ? some : full) = seconds;
  });
  if (bad || !some) return std::nullopt;
  return PressureStats{*some, full};
}

std::optional<uint64_t> parse_keyed_u64(std::string_view text, std::string_view key) {
  std::optional<uint64_t> out;
  bool found = false;
  for_each_line(text, [&](std::string_view line) {
    if (found) return;
    auto fields = split_whitespace(line);
    if (fields.size() != 2 || fields[0] != key) return;
    found = true;
    out = to_u64(fields[1]);
  });
  return out;
}

CgroupReader::CgroupReader(std::string cgroup_root) : root_(std::move(cgroup_root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::optional<CgroupStats> CgroupReader::read_for_process(
    std::string_view proc_cgroup_file_contents) const {
  auto entries = parse_proc_cgroup(proc_cgroup_file_contents);
  if (!entries) return std::nullopt;
  if (!namespace_root_.empty()) {
    for (auto& e : *entries) {
      if (e.hierarchy_id != 0 || !e.controllers.empty()) continue;
      if (auto resolved = resolve_cgroup_path(namespace_root_, e.path)) e.path = *resolved;
    }
  }

  // The v2 tree: the root itself on a unified system, <root>/unified on a hybrid one.
  std::string v2_base;
  bool pure_v2 = false;
  if (exists(root_ + "/cgroup.controllers")) {
    v2_base = root_;
    pure_v2 = true;
  } else if (exists(root_ + "/unified/cgroup.controllers")) {
    v2_base = root_ + "/unified";
  }

  CgroupStats out;
  if (!v2_base.empty()) {
    for (const auto& e : *entries) {
      if (e.hierarchy_id != 0 || !e.controllers.empty()) continue;
      if (!is_safe_cgroup_path(e.path)) break;
      std::string dir = join_path(v2_base, e.path);
      if (is_dir(dir)) out.unified_dir = std::move(dir);
      break;
    }
  }

  // On a pure v2 system the v1 lookups find nothing (no controller directories under the root);
  // on a hybrid one a controller not bound to v1 may be enabled in the unified tree.
  std::string mount;
  if (!pure_v2) out.memory_dir = v1_controller_dir(root_, *entries, "memory", &mount);
  if (!out.memory_dir.empty()) {
    read_v1_memory(out.memory_dir, out);
  } else if (!out.unified_dir.empty() && read_v2_memory(v2_base, out.unified_dir, out)) {
    out.memory_dir = out.unified_dir;
  }

  if (!pure_v2) out.cpu_dir = v1_controller_dir(root_, *entries, "cpu", &mount);
  if (!out.cpu_dir.empty()) {
    read_v1_cpu(mount, out.cpu_dir, out);
  } else if (!out.unified_dir.empty() && read_v2_cpu(v2_base, out.unified_dir, out)) {
    out.cpu_dir = out.unified_dir;
  }

  if (!out.unified_dir.empty()) {
    out.cpu_pressure = read_pressure(out.unified_dir, "cpu.pressure");
    out.memory_pressure = read_pressure(out.unified_dir, "memory.pressure");
    out.io_pressure = read_pressure(out.unified_dir, "io.pressure");
  }

  if (out.unified_dir.empty() && out.memory_dir.empty() && out.cpu_dir.empty()) return std::nullopt;
  return out;
}

}  // namespace redeye::host
