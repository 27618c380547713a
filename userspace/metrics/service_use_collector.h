// USE metrics per service, summed over its processes: CPU, memory, file descriptors, disk and
// network I/O, run-queue wait, cgroup memory/CPU limits and pressure, TCP errors, open
// connections, OOM kills and configured storage sizes. A round runs every
// discovery.use_interval on the agent's USE thread; scrapes read the last round's snapshot.
#pragma once

#include <prometheus/collectable.h>

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "discovery/service_registry.h"
#include "host/cgroup_stats.h"
#include "host/cpu_utilization.h"
#include "host/proc_stats.h"
#include "host/tcp_connections.h"
#include "metrics/service_use_snapshot.h"
#include "redeye/abi.h"

namespace redeye {

class ServiceUseCollector : public prometheus::Collectable {
 public:
  struct Sources {
    std::function<std::vector<ServiceMembers>()> members;
    std::function<std::unordered_map<uint32_t, redeye_proc_tcp>()> tcp_counters;
    std::function<void(uint32_t)> forget_tcp_counters;
    // The TCP sockets a process holds, from the kernel (nullopt: not readable). When unset,
    // connections are counted from /proc/<pid>/net/tcp{,6}, which walks the kernel's whole
    // socket hash once per network namespace per round.
    std::function<std::optional<std::vector<host::HeldSocket>>(uint32_t)> held_sockets;
    std::string proc_root = "/proc";
    std::string cgroup_root = "/sys/fs/cgroup";
    // Config::services[i].storage_paths, by the index a service's rule has (ServiceInfo::rule).
    std::vector<std::vector<std::string>> storage_paths = {};
  };

  ServiceUseCollector(const DiscoveryConfig& config, Sources sources);

  // One collection round at monotonic time `now_seconds`.
  void collect(double now_seconds);
  // The OOM killer chose `service`'s process (called from the event thread).
  void on_oom_kill(std::shared_ptr<const ServiceInfo> service);
  // The series of `service`, which has no process left, expire (series_expiry; called from
  // the event thread): it leaves the snapshot now, its round state at the end of the next
  // round, unless that round finds it running again.
  void forget_service(const ServiceIdentity& service);

  std::vector<prometheus::MetricFamily> Collect() const override;
  std::vector<ServiceUseSnapshot> snapshot() const;

 private:
  struct LastSeen {
    std::string service_key;
    uint32_t pid = 0;
    ProcessCounters counters;
  };
  struct StorageState {
    double last_walk = -1e18;
    std::map<std::string, host::DirectorySize> sizes;
  };

  void locate_cgroup_namespace();
  // With mutex_ held, at the end of a round: drops the forgotten services that did not come
  // back (`round` holds the services with processes, `idle` those without) from `idle` and
  // the round state.
  void drop_forgotten(const std::map<std::string, ServiceUseSnapshot>& round,
                      std::map<std::string, ServiceUseSnapshot>& idle);
  ServiceUseSnapshot collect_service(const ServiceMembers& members,
                                     const std::unordered_map<uint32_t, redeye_proc_tcp>& tcp,
                                     std::map<std::pair<uint64_t, uint32_t>, LastSeen>& seen);
  void count_connections(const std::vector<uint32_t>& pids, ServiceUseSnapshot& out);
  void retire_gone(std::map<std::pair<uint64_t, uint32_t>, LastSeen>& seen,
                   const std::unordered_map<uint32_t, redeye_proc_tcp>& tcp);
  // Walks the service's storage_paths as its process `pid` sees them (/proc/<pid>/root), so
  // an agent in a container measures the service's files, not its own.
  void walk_storage(ServiceUseSnapshot& out, const std::string& key, uint32_t pid,
                    double now_seconds);

  DiscoveryConfig config_;
  Sources sources_;
  host::ProcReader proc_;
  host::CgroupReader cgroups_;
  host::ProcSockets sockets_;
  host::CpuUtilization utilization_;
  double online_cpus_;
  // The agent's own cgroup: a service sharing it (no container or unit of its own) gets no
  // container_* figures, which would describe the agent's surroundings instead.
  std::optional<host::CgroupStats> own_cgroup_;

  // Round state (USE thread only).
  std::map<std::pair<uint64_t, uint32_t>, LastSeen> last_seen_;  // (start time, pid)
  std::map<std::string, ProcessCounters> retired_;               // by service key
  std::map<std::string, std::shared_ptr<const ServiceInfo>> known_services_;
  std::map<std::string, StorageState> storage_;
  std::map<std::string, uint64_t> utilization_keys_;
  uint64_t next_utilization_id_ = 1;
  // Per-round network namespace tables: netns inode -> (sockets, listening ports).
  std::map<uint64_t, std::pair<host::TcpSocketTable, std::set<uint16_t>>> tcp_tables_;

  mutable std::mutex mutex_;  // guards what follows (read by scrapes, OOMs from events)
  std::map<std::string, ServiceUseSnapshot> snapshot_;  // by service key
  std::map<std::string, uint64_t> oom_kills_;           // by service key
  std::map<std::string, std::shared_ptr<const ServiceInfo>> oom_services_;
  std::set<std::string> forgotten_;  // service keys whose series expired
};

// "name\0namespace\0instance": the identity that survives a service's processes restarting.
std::string service_key(const ServiceInfo& service);

}  // namespace redeye
