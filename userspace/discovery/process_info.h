// What discovery knows about one process, as read from /proc (see ProcfsReader). Plain data:
// naming (service_naming.h) and matching (process_matcher.h) are pure functions of it.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <vector>

namespace redeye::discovery {

// The container a process runs in, as far as its cgroup path shows it. All fields are empty
// for a process outside any recognised container.
struct ContainerIdentity {
  std::string runtime;       // "docker", "containerd", "cri-o", "podman", or "" when unknown
  std::string container_id;  // 64 lowercase hex characters, or ""
  std::string pod_uid;       // Kubernetes pod UID with dashes, or ""
  std::string k8s_qos;       // "guaranteed", "burstable", "besteffort", or "" outside Kubernetes

  bool empty() const { return container_id.empty() && pod_uid.empty(); }
  bool operator==(const ContainerIdentity&) const = default;
};

// A PID names a process only together with its start time: the kernel reuses PIDs.
struct ProcessKey {
  uint32_t pid = 0;
  uint64_t start_time_ticks = 0;
  auto operator<=>(const ProcessKey&) const = default;
};

struct ProcessInfo {
  uint32_t pid = 0;
  uint32_t ppid = 0;
  uint64_t start_time_ticks = 0;  // /proc/<pid>/stat field 22: identifies a PID incarnation
  std::string exe;                // full path, " (deleted)" stripped; "" when unreadable
  std::string comm;
  std::string cmdline;       // argv joined by spaces
  std::string cgroup_path;   // unified ("0::") path, else name=systemd, else memory controller
  std::string systemd_unit;  // e.g. "nginx.service" when the cgroup path shows one, else ""
  ContainerIdentity container;
  std::string otel_service_name;          // OTEL_SERVICE_NAME, else service.name from
                                          // OTEL_RESOURCE_ATTRIBUTES
  std::string otel_service_namespace;     // OTEL_SERVICE_NAMESPACE, else service.namespace from
                                          // OTEL_RESOURCE_ATTRIBUTES
  std::string hostname_env;               // HOSTNAME from environ: the pod name in Kubernetes
  std::vector<uint16_t> listening_ports;  // sorted unique TCP ports held in LISTEN state

  ProcessKey key() const { return {pid, start_time_ticks}; }
};

}  // namespace redeye::discovery
