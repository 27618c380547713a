// Which processes are services, and which service each belongs to. Kept current by the
// kernel's process events (exec, fork, exit, listen) plus a /proc scan at start and whenever
// events may have been lost; drives the kernel's process filter.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "discovery/process_info.h"
#include "discovery/process_matcher.h"
#include "discovery/procfs_reader.h"
#include "discovery/service_info.h"

namespace redeye {

// Which services have processes: `live` now, `touched` given a process (or an ad-hoc identity)
// since the previous ServiceRegistry::take_activity(), some of which may be gone again.
struct ServiceActivity {
  std::set<ServiceIdentity> live;
  std::set<ServiceIdentity> touched;
};

// What the kernel saw at exec: enough to name a process by exe or cmdline rules when it has
// exited before /proc/<pid> could be read (a short-lived client such as curl).
struct ExecFacts {
  std::string filename;  // the path given to execve
  std::string args;      // argv, NUL-separated, possibly truncated
};

// A service and its current processes, for the USE collector.
struct ServiceMembers {
  std::shared_ptr<const ServiceInfo> service;
  std::vector<uint32_t> pids;
};

class ServiceRegistry {
 public:
  struct KernelFilter {
    std::function<bool(uint32_t)> follow;  // false: the filter is full
    std::function<void(uint32_t)> unfollow;
    // Unfollows a process the kernel followed at listen() (empty: nothing to do).
    std::function<void(uint32_t)> unfollow_listener = {};
  };

  // `config` must outlive the registry. A network namespace's listening sockets are read at
  // most once per `listening_max_age` for process events (and again after any listen event).
  ServiceRegistry(const Config& config, discovery::ProcfsReader reader, KernelFilter filter,
                  uint32_t self_pid, std::string host_name,
                  std::chrono::milliseconds listening_max_age = std::chrono::seconds(1));

  // Reads every process in /proc. Returns how many processes are services afterwards.
  size_t scan();

  void on_exec(uint32_t tgid, const ExecFacts& facts = {});
  void on_fork(uint32_t child, uint32_t parent);  // parent: the forking process's tgid
  // `port`: the port it put into LISTEN (0: unknown).
  void on_listen(uint32_t tgid, uint16_t port = 0);
  void on_exit(uint32_t tgid);

  // The service of a process, or nullptr when it is not one.
  std::shared_ptr<const ServiceInfo> service_of(uint32_t tgid) const;
  // The service of a process, or an ad-hoc identity named after its executable (`comm` when
  // the process is gone) for followed processes outside discovery (follow-all mode).
  std::shared_ptr<const ServiceInfo> service_or_adhoc(uint32_t tgid, std::string_view comm);

  std::vector<ServiceMembers> members() const;
  // Clears the touched set.
  ServiceActivity take_activity();
  size_t process_count() const;
  uint64_t follow_failures() const { return follow_failures_; }

 private:
  struct Process {
    uint64_t start_time_ticks = 0;
    std::string exe;
    std::shared_ptr<const ServiceInfo> service;
  };
  using ServiceKey = std::tuple<std::string, std::string, std::string>;

  // Reads /proc/<tgid> (else uses `facts`, when given) and decides its service afresh.
  void evaluate(uint32_t tgid, const ExecFacts* facts = nullptr);
  // /proc/<tgid>, its listening ports from its namespace's cached listening sockets. Forking
  // servers (PostgreSQL: a process per connection) fork in bursts, and every read of
  // /proc/<pid>/net/tcp6 walks the host's whole established-socket hash (~2 ms here).
  std::optional<discovery::ProcessInfo> read_process(uint32_t tgid);
  // With mutex_ held: sets or clears the service of `tgid` from what /proc said of it.
  void apply(uint32_t tgid, const std::optional<discovery::ProcessInfo>& info);
  // A process running the same executable as its service parent (nginx workers, PostgreSQL
  // backends), or as itself before (a rescan), stays in that service.
  std::shared_ptr<const ServiceInfo> inherited(const discovery::ProcessInfo& info) const;
  std::shared_ptr<const ServiceInfo> identify(const discovery::ProcessInfo& info);
  std::shared_ptr<const ServiceInfo> intern(ServiceInfo info);
  void assign(const discovery::ProcessInfo& info, std::shared_ptr<const ServiceInfo> service);
  void remove(uint32_t tgid);

  const Config& config_;
  discovery::ProcfsReader reader_;
  discovery::ProcessMatcher matcher_;
  KernelFilter filter_;
  uint32_t self_pid_;
  std::string host_name_;

  struct ListeningSockets {
    std::chrono::steady_clock::time_point read_at;
    discovery::TcpSocketTable sockets;
  };
  const std::chrono::milliseconds listening_max_age_;
  std::mutex listening_mutex_;
  std::map<uint64_t, ListeningSockets> listening_;  // by network namespace inode

  mutable std::mutex mutex_;
  std::unordered_map<uint32_t, Process> processes_;  // services' processes only
  std::map<ServiceKey, std::weak_ptr<const ServiceInfo>> services_;
  std::unordered_map<uint32_t, std::shared_ptr<const ServiceInfo>> adhoc_;
  uint64_t follow_failures_ = 0;

  // What /proc said of processes that were not services when last decided (at exec, mostly),
  // so a process that listens and exits before its listen event is read (a short-lived
  // server) is still named as it would have been: by OTEL_SERVICE_NAME, its unit, container
  // or executable. Bounded: the oldest are forgotten first.
  static constexpr size_t kRecentUnmatched = 1024;
  void remember_unmatched(const discovery::ProcessInfo& info);
  std::unordered_map<uint32_t, discovery::ProcessInfo> recent_unmatched_;
  std::deque<uint32_t> recent_order_;
  std::set<ServiceIdentity> touched_;  // since the last take_activity()
};

}  // namespace redeye
