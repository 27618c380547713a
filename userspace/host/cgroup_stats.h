// Container-level (cgroup) resource figures for a process: memory usage against its limit, CPU
// quota, OOM kills and pressure stall information. Works on cgroup v2 (unified), cgroup v1, and
// the hybrid layout (v1 controllers plus a controller-less v2 tree under <root>/unified).
// Every file format has a pure parser; CgroupReader only resolves directories and reads files.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace redeye::host {

// Cumulative stall time from a PSI file (cpu.pressure, memory.pressure, io.pressure).
struct PressureStats {
  double some_total_seconds = 0;  // time at least one task was stalled
  // Time all non-idle tasks were stalled; nullopt when the file has no "full" line (cpu.pressure
  // before Linux 5.13).
  std::optional<double> full_total_seconds;
};

struct CgroupStats {
  // v2 memory.current, v1 memory.usage_in_bytes (both include page cache). nullopt = unknown.
  std::optional<uint64_t> memory_usage_bytes;
  // Effective limit: the smallest limit of the cgroup and its ancestors. nullopt = no limit ("max",
  // v1's huge sentinel) or unknown (then memory_usage_bytes is nullopt as well).
  std::optional<uint64_t> memory_limit_bytes;
  // Smallest quota/period of the cgroup and its ancestors, in cores. nullopt = unlimited/unknown.
  std::optional<double> cpu_limit_cores;
  // nullopt = PSI not available (kernel without PSI, psi=0, or no v2 directory); a present value
  // of zero means no stall was observed.
  std::optional<PressureStats> cpu_pressure;
  std::optional<PressureStats> memory_pressure;
  std::optional<PressureStats> io_pressure;
  // v2 memory.events oom_kill, v1 memory.oom_control oom_kill (Linux 4.13+). nullopt = unknown.
  std::optional<uint64_t> oom_kills;

  // Directories the figures were read from; empty when not resolved. Processes that share a
  // directory share its figures: aggregate container-level values per distinct directory.
  std::string memory_dir;
  std::string cpu_dir;
  std::string unified_dir;  // v2 directory (PSI; also memory and cpu on a pure v2 system)
};

// Returned by the limit parsers for "no limit".
inline constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();

// One line of /proc/<pid>/cgroup: "hierarchy-ID:controller-list:cgroup-path".
struct ProcCgroupEntry {
  uint32_t hierarchy_id = 0;
  std::vector<std::string> controllers;  // empty for the v2 line "0::/path"
  std::string path;
};

// Malformed lines are skipped; nullopt when no line is well formed.
std::optional<std::vector<ProcCgroupEntry>> parse_proc_cgroup(std::string_view text);

// A file holding one unsigned integer (memory.current, memory.usage_in_bytes, cpu.cfs_period_us).
std::optional<uint64_t> parse_u64_value(std::string_view text);
// v2 memory.max: bytes, or kNoLimit for "max".
std::optional<uint64_t> parse_memory_max(std::string_view text);
// v1 memory.limit_in_bytes: bytes, or kNoLimit for the "unlimited" sentinel (LONG_MAX rounded
// down to a page; any value >= 2^62 is treated as unlimited).
std::optional<uint64_t> parse_v1_memory_limit(std::string_view text);

struct CpuQuota {
  std::optional<uint64_t> quota_us;  // nullopt = unlimited
  uint64_t period_us = 0;            // > 0
  std::optional<double> cores() const;
};
// v2 cpu.max: "max 100000" or "50000 100000".
std::optional<CpuQuota> parse_cpu_max(std::string_view text);
// v1 cpu.cfs_quota_us (-1 = unlimited) and cpu.cfs_period_us.
std::optional<CpuQuota> parse_v1_cpu_quota(std::string_view quota_text,
                                           std::string_view period_text);

// PSI file: "some avg10=0.00 avg60=0.00 avg300=0.00 total=12345" (+ optional "full ..." line);
// totals are microseconds. Requires a valid "some" line.
std::optional<PressureStats> parse_pressure(std::string_view text);

// Flat keyed file ("key value" per line: memory.events, memory.stat, memory.oom_control).
std::optional<uint64_t> parse_keyed_u64(std::string_view text, std::string_view key);

class CgroupReader {
 public:
  explicit CgroupReader(std::string cgroup_root = "/sys/fs/cgroup");

  // Given the text of /proc/<pid>/cgroup, reads the process's cgroup figures. nullopt when the
  // text cannot be parsed or none of its cgroup directories exists under the root. Unified
  // paths that escape the reader's cgroup namespace ("/../..") are resolved against
  // `namespace_root` when it is set (see cgroup_namespace.h), else not at all.
  std::optional<CgroupStats> read_for_process(std::string_view proc_cgroup_file_contents) const;

  // Where the reader's own cgroup namespace starts in the mounted v2 tree ("/" = host).
  void set_namespace_root(std::string path) { namespace_root_ = std::move(path); }

 private:
  std::string root_;
  std::string namespace_root_;
};

}  // namespace redeye::host
