#include "host/proc_stats.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "host/text_file.h"

namespace redeye::host {
namespace {

bool is_all_digits(const char* s) {
  if (*s == '\0') return false;
  for (; *s != '\0'; ++s) {
    if (*s < '0' || *s > '9') return false;
  }
  return true;
}

// Number of entries of a directory other than "." and ".."; 0 when it cannot be opened.
uint64_t count_entries(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return 0;
  uint64_t n = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    ++n;
  }
  ::closedir(dir);
  return n;
}

// Run-queue wait summed over the threads listed in task/; nullopt if task/ cannot be read.
std::optional<uint64_t> sum_thread_wait(const std::string& task_dir) {
  DIR* dir = ::opendir(task_dir.c_str());
  if (dir == nullptr) return std::nullopt;
  uint64_t sum = 0;
  bool any = false;
  while (const dirent* e = ::readdir(dir)) {
    if (!is_all_digits(e->d_name)) continue;
    auto text = read_text_file(task_dir + "/" + e->d_name + "/schedstat");
    if (!text) continue;  // the thread exited meanwhile
    if (auto s = parse_schedstat(*text)) {
      sum += s->wait_ns;
      any = true;
    }
  }
  ::closedir(dir);
  if (!any) return std::nullopt;
  return sum;
}

uint64_t sysconf_or(int name, uint64_t fallback) {
  long v = ::sysconf(name);
  return v > 0 ? static_cast<uint64_t>(v) : fallback;
}

}  // namespace

std::optional<ProcStat> parse_stat(std::string_view text) {
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  if (!to_u64(trim(text.substr(0, open)))) return std::nullopt;  // the pid
  ProcStat st;
  st.comm = std::string(text.substr(open + 1, close - open - 1));

  // Field numbers below follow proc(5): field 3 (state) is fields[0].
  auto fields = split_whitespace(text.substr(close + 1));
  if (fields.size() < 22) return std::nullopt;
  if (fields[0].size() != 1) return std::nullopt;
  st.state = fields[0][0];
  auto ppid = to_u64(fields[1]);
  auto utime = to_u64(fields[11]);
  auto stime = to_u64(fields[12]);
  auto threads = to_u64(fields[17]);
  auto start = to_u64(fields[19]);
  auto vsize = to_u64(fields[20]);
  auto rss = to_u64(fields[21]);
  if (!ppid || !utime || !stime || !threads || !start || !vsize || !rss) return std::nullopt;
  if (*ppid > std::numeric_limits<uint32_t>::max()) return std::nullopt;
  if (*threads > std::numeric_limits<uint32_t>::max()) return std::nullopt;
  st.ppid = static_cast<uint32_t>(*ppid);
  st.utime_ticks = *utime;
  st.stime_ticks = *stime;
  st.num_threads = static_cast<uint32_t>(*threads);
  st.start_time_ticks = *start;
  st.vsize_bytes = *vsize;
  st.rss_pages = *rss;
  return st;
}

std::optional<ProcIo> parse_io(std::string_view text) {
  ProcIo io;
  bool have_read = false;
  bool have_write = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    line = trim(line);
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view key = trim(line.substr(0, colon));
    auto value = to_u64(trim(line.substr(colon + 1)));
    if (!value) return std::nullopt;
    if (key == "rchar") {
      io.rchar = *value;
    } else if (key == "wchar") {
      io.wchar = *value;
    } else if (key == "read_bytes") {
      io.read_bytes = *value;
      have_read = true;
    } else if (key == "write_bytes") {
      io.write_bytes = *value;
      have_write = true;
    } else if (key == "cancelled_write_bytes") {
      io.cancelled_write_bytes = *value;
    }
  }
  if (!have_read || !have_write) return std::nullopt;
  return io;
}

std::optional<uint64_t> parse_limits_max_open_files(std::string_view text) {
  constexpr std::string_view kKey = "Max open files";
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.substr(0, kKey.size()) != kKey) continue;
    auto fields = split_whitespace(line.substr(kKey.size()));
    if (fields.empty()) return std::nullopt;
    if (fields[0] == "unlimited") return std::numeric_limits<uint64_t>::max();
    return to_u64(fields[0]);
  }
  return std::nullopt;
}

std::optional<SchedStat> parse_schedstat(std::string_view text) {
  auto fields = split_whitespace(text);
  if (fields.size() != 3) return std::nullopt;
  auto cpu = to_u64(fields[0]);
  auto wait = to_u64(fields[1]);
  auto slices = to_u64(fields[2]);
  if (!cpu || !wait || !slices) return std::nullopt;
  return SchedStat{*cpu, *wait, *slices};
}

ProcReader::ProcReader(std::string proc_root)
    : ProcReader(std::move(proc_root), sysconf_or(_SC_CLK_TCK, 100),
                 sysconf_or(_SC_PAGESIZE, 4096)) {}

ProcReader::ProcReader(std::string proc_root, uint64_t clock_ticks_per_second, uint64_t page_size)
    : root_(std::move(proc_root)),
      ticks_per_second_(clock_ticks_per_second > 0 ? clock_ticks_per_second : 100),
      page_size_(page_size > 0 ? page_size : 4096) {}

std::optional<ProcessStats> ProcReader::read(uint32_t pid) const {
  const std::string base = root_ + "/" + std::to_string(pid);
  auto stat_text = read_text_file(base + "/stat");
  if (!stat_text) return std::nullopt;
  auto st = parse_stat(*stat_text);
  if (!st) return std::nullopt;

  ProcessStats out;
  const double hz = static_cast<double>(ticks_per_second_);
  out.cpu_user_seconds = static_cast<double>(st->utime_ticks) / hz;
  out.cpu_system_seconds = static_cast<double>(st->stime_ticks) / hz;
  out.rss_bytes = st->rss_pages * page_size_;
  out.virtual_bytes = st->vsize_bytes;
  out.threads = st->num_threads;
  out.start_time_ticks = st->start_time_ticks;

  if (auto text = read_text_file(base + "/io")) {
    if (auto io = parse_io(*text)) {
      out.disk_read_bytes = io->read_bytes;
      out.disk_write_bytes = io->write_bytes;
    }
  }
  if (auto text = read_text_file(base + "/limits")) {
    out.fd_limit = parse_limits_max_open_files(*text).value_or(0);
  }
  out.open_fds = count_entries(base + "/fd");

  if (auto wait = sum_thread_wait(base + "/task")) {
    out.run_queue_wait_ns = *wait;
  } else if (auto text = read_text_file(base + "/schedstat")) {
    // Without task/ only the main thread's figure is available.
    if (auto s = parse_schedstat(*text)) out.run_queue_wait_ns = s->wait_ns;
  }
  return out;
}

}  // namespace redeye::host
