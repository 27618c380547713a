// RAII owner of the kernel side (the kernel_probes skeleton linked from bpf/*.bpf.c): open ->
// configure -> load -> attach, and everything userspace reads or writes in its maps.
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "bpf/pid_filter.h"
#include "config/config.h"
#include "redeye/abi.h"

struct kernel_probes;  // generated skeleton

namespace redeye {

class ProbeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Which hooks see socket reads and writes (config key io_hooks).
enum class IoHooks {
  kSocketTracepoints,  // sock/sock_{recv,send}_length: socket I/O only (bpf/io_sock_tracepoints)
  kSyscalls,           // syscall tracepoints: any kernel, every process's syscalls pay
};

// Empty when this kernel and build can use the socket tracepoints, else why not.
std::string socket_tracepoints_missing();
// The hooks for config value `setting` (auto, socket, syscalls) given what
// socket_tracepoints_missing() said. Throws ProbeError when socket cannot be had.
IoHooks choose_io_hooks(IoHooksSetting setting, const std::string& socket_missing);
const char* io_hooks_name(IoHooks hooks);

using DropCounts = std::array<uint64_t, REDEYE_DROP_MAX>;
using StatCounts = std::array<uint64_t, REDEYE_STAT_MAX>;

class KernelProbes {
 public:
  // Opens the skeleton and applies `config` (nothing is loaded yet).
  explicit KernelProbes(const Config& config);
  ~KernelProbes();
  KernelProbes(const KernelProbes&) = delete;
  KernelProbes& operator=(const KernelProbes&) = delete;

  // Sections of the programs that will be loaded, e.g. "tp_btf/sock_recv_length".
  std::vector<std::string> tracepoints() const;
  IoHooks io_hooks() const { return io_hooks_; }
  // Verifies and loads the programs into the kernel. Throws ProbeError with the reason.
  void load();
  // Attaches every program. Throws ProbeError naming the program that failed.
  void attach();

  int events_fd() const;
  // Marks a process as never followed (e.g. the agent itself).
  void ignore_process(uint32_t tgid);
  // Starts/stops following a process (used when follow_all is off: discovery decides).
  // Returns false when the pid is beyond the filter (kernel.pid_max raised after load).
  bool follow_process(uint32_t tgid);
  void unfollow_process(uint32_t tgid);
  // Unfollows a process the kernel followed when it listened (REDEYE_FILTER_LISTENER).
  void unfollow_listener(uint32_t tgid);
  // Per-process TCP counters (bytes, retransmits, resets, failed connects), by tgid.
  std::unordered_map<uint32_t, redeye_proc_tcp> process_tcp_counters() const;
  void forget_process_counters(uint32_t tgid);
  DropCounts drop_counts() const;
  StatCounts stat_counts() const;
  // Kernel memory charged for the maps (sum of their memlock), for self-metrics.
  uint64_t map_memory_bytes() const;

 private:
  static uint32_t pid_capacity();
  void map_pid_filter();

  kernel_probes* skel_ = nullptr;
  uint32_t filter_capacity_ = 0;  // pids the process filter holds
  void* filter_mapping_ = nullptr;
  size_t filter_mapping_size_ = 0;
  PidFilter filter_;  // over filter_mapping_ once loaded
  IoHooks io_hooks_ = IoHooks::kSyscalls;
  bool loaded_ = false;
};

// Routes libbpf's messages to spdlog (warnings as warnings, the rest at debug).
void route_libbpf_logs_to_spdlog();

}  // namespace redeye
