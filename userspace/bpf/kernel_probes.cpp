#include "bpf/kernel_probes.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string_view>

#include "kernel_probes.skel.h"

namespace redeye {
namespace {

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

template <size_t N>
std::array<uint64_t, N> sum_percpu(int map_fd) {
  std::array<uint64_t, N> totals{};
  const int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0) return totals;
  std::vector<uint64_t> values(static_cast<size_t>(ncpus));
  for (uint32_t key = 0; key < N; key++) {
    if (bpf_map_lookup_elem(map_fd, &key, values.data()) != 0) continue;
    for (uint64_t v : values) totals[key] += v;
  }
  return totals;
}

int libbpf_to_spdlog(enum libbpf_print_level level, const char* format, va_list args) {
  // A verifier log can run to megabytes, and its reason is at the end: a long message keeps
  // its head and its tail.
  constexpr size_t kHead = 1024;
  constexpr size_t kTail = 4096;
  va_list again;
  va_copy(again, args);
  std::string line(kHead, '\0');
  int n = vsnprintf(line.data(), line.size(), format, args);
  if (n >= static_cast<int>(line.size())) {
    line.assign(static_cast<size_t>(n) + 1, '\0');
    vsnprintf(line.data(), line.size(), format, again);
  }
  va_end(again);
  line.resize(n > 0 ? static_cast<size_t>(n) : 0);
  if (line.size() > kHead + kTail) {
    line = line.substr(0, kHead) + "\n[...]\n" + line.substr(line.size() - kTail);
  }
  std::string_view text(line);
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (level == LIBBPF_WARN) {
    spdlog::warn("libbpf: {}", text);
  } else {
    spdlog::debug("libbpf: {}", text);
  }
  return n;
}

// The payload of socket-tracepoint hooks comes from the syscall's saved registers, whose
// layout bpf/syscall_regs.h knows for these architectures only.
#if defined(__x86_64__) || defined(__aarch64__)
constexpr bool kSyscallRegsKnown = true;
#else
constexpr bool kSyscallRegsKnown = false;
#endif

constexpr std::string_view kSocketSection = "tp_btf/sock_";
constexpr std::string_view kSyscallSection = "tracepoint/syscalls/";

}  // namespace

std::string socket_tracepoints_missing() {
  if (!kSyscallRegsKnown) return "this CPU architecture's syscall registers are not known";
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) return "the kernel has no BTF (/sys/kernel/btf/vmlinux)";
  std::string missing;
  for (const char* name : {"btf_trace_sock_send_length", "btf_trace_sock_recv_length"}) {
    if (btf__find_by_name_kind(vmlinux, name, BTF_KIND_TYPEDEF) < 0) {
      missing =
          "the kernel lacks the sock/sock_send_length and sock/sock_recv_length "
          "tracepoints (Linux 6.3 and later have them)";
    }
  }
  btf__free(vmlinux);
  return missing;
}

IoHooks choose_io_hooks(IoHooksSetting setting, const std::string& socket_missing) {
  if (setting == IoHooksSetting::kSyscalls) return IoHooks::kSyscalls;
  if (socket_missing.empty()) return IoHooks::kSocketTracepoints;
  if (setting == IoHooksSetting::kSocket) {
    throw ProbeError("io_hooks: socket cannot be used: " + socket_missing +
                     " (fix: io_hooks: auto or syscalls)");
  }
  return IoHooks::kSyscalls;
}

const char* io_hooks_name(IoHooks hooks) {
  return hooks == IoHooks::kSocketTracepoints
             ? "socket tracepoints (sock_recv_length, sock_send_length)"
             : "syscall tracepoints (read, write, recvfrom, sendto, ... of every process)";
}

void route_libbpf_logs_to_spdlog() { libbpf_set_print(libbpf_to_spdlog); }

KernelProbes::KernelProbes(const Config& config) {
  // REDEYE_BPF_VERIFIER_STATS=1 (with --log-level debug): the verifier's per-program statistics
  // (instructions processed), for keeping the programs well inside its budget.
  LIBBPF_OPTS(bpf_object_open_opts, open_opts);
  if (const char* stats = std::getenv("REDEYE_BPF_VERIFIER_STATS"); stats && *stats == '1') {
    open_opts.kernel_log_level = 4;
  }
  skel_ = kernel_probes__open_opts(&open_opts);
  if (!skel_) throw ProbeError("cannot open BPF object: " + errno_text(errno));
  skel_->rodata->capture_bytes = config.capture_bytes;
  skel_->rodata->empty_programs = config.empty_probes;
  skel_->rodata->follow_all = config.follow_all_processes;
  skel_->rodata->follow_listeners = config.discovery.listening_processes;
  // The reader is woken at a fixed backlog (fewer wakeups than that cost a context switch per
  // few events), or at a quarter of a small ring so it still has room while it runs.
  skel_->rodata->wakeup_bytes = std::min<uint32_t>(256 * 1024, config.ring_buffer_bytes / 4);
  filter_capacity_ = pid_capacity();
  bpf_map__set_max_entries(skel_->maps.pid_filter, filter_capacity_ / 8);
  bpf_map__set_max_entries(skel_->maps.conns, config.max_connections);
  bpf_map__set_max_entries(skel_->maps.sock_owner, config.max_connections);
  bpf_map__set_max_entries(skel_->maps.events, config.ring_buffer_bytes);
  io_hooks_ = choose_io_hooks(config.io_hooks, socket_tracepoints_missing());
  // PostgreSQL framing state: in each connection's own entry under the socket hooks, in this
  // map under the syscall hooks (bpf/pg_walk.h); a token size when it is not used.
  bpf_map__set_max_entries(skel_->maps.pg_framing,
                           io_hooks_ == IoHooks::kSocketTracepoints ? 64 : config.max_connections);
  // Only one set of I/O hooks is loaded: the other is never verified nor attached.
  const std::string_view unused =
      io_hooks_ == IoHooks::kSocketTracepoints ? kSyscallSection : kSocketSection;
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, skel_->obj) {
    if (std::string_view(bpf_program__section_name(prog)).starts_with(unused)) {
      bpf_program__set_autoload(prog, false);
    }
  }
}

KernelProbes::~KernelProbes() {
  if (filter_mapping_) munmap(filter_mapping_, filter_mapping_size_);
  kernel_probes__destroy(skel_);
}

uint32_t KernelProbes::pid_capacity() {
  std::ifstream in("/proc/sys/kernel/pid_max");
  std::string text;
  std::getline(in, text);
  if (const std::optional<uint32_t> capacity = pid_filter_capacity(text)) return *capacity;
  spdlog::warn("cannot read /proc/sys/kernel/pid_max; the process filter is sized for {} pids",
               REDEYE_PID_FILTER_MAX_PIDS);
  return REDEYE_PID_FILTER_MAX_PIDS;
}

void KernelProbes::map_pid_filter() {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  filter_mapping_size_ = (filter_capacity_ + page - 1) / page * page;
  void* mapping = mmap(nullptr, filter_mapping_size_, PROT_READ | PROT_WRITE, MAP_SHARED,
                       bpf_map__fd(skel_->maps.pid_filter), 0);
  if (mapping == MAP_FAILED) {
    throw ProbeError("cannot map the process filter (pid_filter): " + errno_text(errno));
  }
  filter_mapping_ = mapping;
  filter_ = PidFilter({static_cast<uint8_t*>(mapping), filter_capacity_});
}

std::vector<std::string> KernelProbes::tracepoints() const {
  std::vector<std::string> names;
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, skel_->obj) {
    if (!bpf_program__autoload(prog)) continue;
    std::string_view section = bpf_program__section_name(prog);
    names.emplace_back(section);
  }
  return names;
}

void KernelProbes::load() {
  int err = kernel_probes__load(skel_);
  if (err == 0) {
    loaded_ = true;
    map_pid_filter();
    return;
  }
  if (err == -EPERM) {
    throw ProbeError("loading BPF programs was refused (" + errno_text(err) +
                     "): needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)");
  }
  if (err == -EACCES) {
    throw ProbeError(
        "the kernel's verifier rejected the BPF programs; the log above names the "
        "program and instruction (please report it with `uname -r`)");
  }
  throw ProbeError("loading BPF programs failed: " + errno_text(err));
}

void KernelProbes::attach() {
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, skel_->obj) {
    if (!bpf_program__autoload(prog)) continue;
    bpf_link* link = bpf_program__attach(prog);
    if (!link) {
      int err = errno;
      throw ProbeError(std::string("attaching ") + bpf_program__section_name(prog) +
                       " failed: " + errno_text(err));
    }
    // The skeleton destroys links it knows of; keep ours in its slot for the same program.
    for (int i = 0; i < skel_->skeleton->prog_cnt; i++) {
      if (*skel_->skeleton->progs[i].prog == prog) *skel_->skeleton->progs[i].link = link;
    }
  }
}

int KernelProbes::events_fd() const { return bpf_map__fd(skel_->maps.events); }

void KernelProbes::ignore_process(uint32_t tgid) {
  if (!filter_.set(tgid, REDEYE_FILTER_IGNORE)) {
    throw ProbeError("cannot write the process filter: pid " + std::to_string(tgid) +
                     " is beyond its " + std::to_string(filter_.capacity()) + " pids");
  }
}

bool KernelProbes::follow_process(uint32_t tgid) { return filter_.set(tgid, REDEYE_FILTER_FOLLOW); }

void KernelProbes::unfollow_process(uint32_t tgid) { filter_.clear_if(tgid, REDEYE_FILTER_FOLLOW); }

void KernelProbes::unfollow_listener(uint32_t tgid) {
  filter_.clear_if(tgid, REDEYE_FILTER_LISTENER);
}

std::unordered_map<uint32_t, redeye_proc_tcp> KernelProbes::process_tcp_counters() const {
  std::unordered_map<uint32_t, redeye_proc_tcp> out;
  const int fd = bpf_map__fd(skel_->maps.proc_tcp);
  uint32_t key = 0;
  uint32_t next = 0;
  const uint32_t* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    redeye_proc_tcp value{};
    if (bpf_map_lookup_elem(fd, &next, &value) == 0) out[next] = value;
    key = next;
    prev = &key;
  }
  return out;
}

void KernelProbes::forget_process_counters(uint32_t tgid) {
  bpf_map__delete_elem(skel_->maps.proc_tcp, &tgid, sizeof(tgid), 0);
}

DropCounts KernelProbes::drop_counts() const {
  return sum_percpu<REDEYE_DROP_MAX>(bpf_map__fd(skel_->maps.drops));
}

StatCounts KernelProbes::stat_counts() const {
  return sum_percpu<REDEYE_STAT_MAX>(bpf_map__fd(skel_->maps.stats));
}

uint64_t KernelProbes::map_memory_bytes() const {
  uint64_t total = 0;
  bpf_map* map = nullptr;
  bpf_object__for_each_map(map, skel_->obj) {
    std::ifstream fdinfo("/proc/self/fdinfo/" + std::to_string(bpf_map__fd(map)));
    std::string key;
    uint64_t value = 0;
    while (fdinfo >> key) {
      if (key == "memlock:" && fdinfo >> value) total += value;
    }
  }
  return total;
}

}  // namespace redeye
