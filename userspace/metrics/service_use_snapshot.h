// One service's USE figures at one collection round: what the USE collector computes and
// what use_families.cpp renders as Prometheus families.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "discovery/service_info.h"
#include "host/cgroup_stats.h"
#include "host/directory_size.h"

namespace redeye {

// Cumulative per-process counters; summed per service, and kept for processes that exited so
// service counters never go backwards.
struct ProcessCounters {
  double cpu_user_seconds = 0;
  double cpu_system_seconds = 0;
  double disk_read_bytes = 0;
  double disk_write_bytes = 0;
  double run_queue_wait_seconds = 0;
  double network_receive_bytes = 0;
  double network_transmit_bytes = 0;
  double tcp_retransmits = 0;
  double tcp_resets_sent = 0;
  double tcp_resets_received = 0;
  double tcp_connect_failures = 0;

  ProcessCounters& operator+=(const ProcessCounters& other);
};

struct ServiceUseSnapshot {
  std::shared_ptr<const ServiceInfo> service;
  uint32_t processes = 0;
  uint32_t first_pid = 0;  // a live process of the service (0 when none)
  uint32_t threads = 0;
  ProcessCounters counters;  // live processes plus retired ones
  double cpu_utilization = 0;
  double available_cores = 0;
  uint64_t rss_bytes = 0;
  uint64_t virtual_bytes = 0;
  uint64_t open_fds = 0;
  uint64_t fd_limit = 0;          // smallest soft limit among its processes (0 = unknown)
  double fd_utilization_max = 0;  // largest open/limit among its processes
  uint32_t server_connections = 0;
  uint32_t client_connections = 0;
  uint64_t oom_kills = 0;
  std::optional<host::CgroupStats> cgroup;
  std::map<std::string, host::DirectorySize> storage;  // by configured path
};

}  // namespace redeye
