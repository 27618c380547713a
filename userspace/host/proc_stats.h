// Per-process resource counters read from procfs: CPU time, memory, file descriptors, disk I/O
// and run-queue wait. The parsers are pure (text in, optional struct out) so they can be tested
// against fixtures; ProcReader only opens files and combines the parsed pieces.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace redeye::host {

struct ProcessStats {
  double cpu_user_seconds = 0;    // utime / clock ticks per second
  double cpu_system_seconds = 0;  // stime / clock ticks per second
  uint64_t rss_bytes = 0;         // resident pages * page size
  uint64_t virtual_bytes = 0;     // vsize
  uint64_t open_fds = 0;          // entries of /proc/<pid>/fd; 0 when unreadable (permissions)
  uint64_t fd_limit = 0;          // soft "Max open files"; 0 = unknown, UINT64_MAX = unlimited
  std::optional<uint64_t> disk_read_bytes;   // /proc/<pid>/io read_bytes; nullopt if unreadable
  std::optional<uint64_t> disk_write_bytes;  // /proc/<pid>/io write_bytes; nullopt if unreadable
  uint64_t run_queue_wait_ns = 0;  // sum over live threads of schedstat field 2 (run_delay)
  uint32_t threads = 0;
  uint64_t start_time_ticks = 0;  // since boot; (pid, start_time_ticks) identifies an incarnation
};

// The fields of /proc/<pid>/stat that host/ and discovery/ use, in the kernel's units.
struct ProcStat {
  std::string comm;
  char state = '?';
  uint32_t ppid = 0;
  uint64_t utime_ticks = 0;
  uint64_t stime_ticks = 0;
  uint32_t num_threads = 0;
  uint64_t start_time_ticks = 0;
  uint64_t vsize_bytes = 0;
  uint64_t rss_pages = 0;
};

// /proc/<pid>/io, in bytes.
struct ProcIo {
  uint64_t rchar = 0;
  uint64_t wchar = 0;
  uint64_t read_bytes = 0;   // bytes fetched from the storage layer
  uint64_t write_bytes = 0;  // bytes sent to the storage layer
  uint64_t cancelled_write_bytes = 0;
};

// /proc/<pid>/schedstat or /proc/<pid>/task/<tid>/schedstat.
struct SchedStat {
  uint64_t cpu_time_ns = 0;  // time spent on a CPU
  uint64_t wait_ns = 0;      // time spent runnable, waiting on a run queue
  uint64_t timeslices = 0;
};

// The one /proc/<pid>/stat parser. The comm may contain spaces and parentheses: it runs from
// the first '(' to the LAST ')', and the fields start after that ')'.
std::optional<ProcStat> parse_stat(std::string_view text);
// Requires read_bytes and write_bytes; the other keys default to 0 when absent.
std::optional<ProcIo> parse_io(std::string_view text);
// Soft limit of the "Max open files" line; UINT64_MAX for "unlimited".
std::optional<uint64_t> parse_limits_max_open_files(std::string_view text);
std::optional<SchedStat> parse_schedstat(std::string_view text);

class ProcReader {
 public:
  // Clock ticks and page size come from sysconf().
  explicit ProcReader(std::string proc_root = "/proc");
  // For tests: fixed clock ticks per second and page size (both must be > 0).
  ProcReader(std::string proc_root, uint64_t clock_ticks_per_second, uint64_t page_size);

  // nullopt when the process is gone or its stat file cannot be parsed. Any other file vanishing
  // or being unreadable leaves the corresponding field at its default.
  std::optional<ProcessStats> read(uint32_t pid) const;

 private:
  std::string root_;
  uint64_t ticks_per_second_;
  uint64_t page_size_;
};

}  // namespace redeye::host
