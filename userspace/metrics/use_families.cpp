// Renders the USE snapshot as Prometheus families (OpenTelemetry process conventions where
// they exist). Every series carries the service's labels; target_info carries the rest.
#include <cmath>

#include "metrics/family_builder.h"
#include "metrics/service_labels.h"
#include "metrics/service_use_collector.h"

namespace redeye {
namespace {

LabelList labels_of(const ServiceInfo& service, LabelList extra = {}) {
  LabelList labels;
  for (const auto& [name, value] : service_labels(service)) labels.push_back({name, value});
  labels.insert(labels.end(), extra.begin(), extra.end());
  return labels;
}

double d(uint64_t v) { return static_cast<double>(v); }

}  // namespace

std::vector<prometheus::MetricFamily> ServiceUseCollector::Collect() const {
  const auto services = snapshot();
  auto info = gauge_family("target_info", "Service identity: one series per service instance.");
  auto processes = gauge_family("service_process_count", "Processes of the service.");
  auto threads = gauge_family("process_thread_count", "Threads of the service's processes.");
  auto cpu = counter_family("process_cpu_time_seconds_total",
                            "CPU time of the service's processes, exited ones included.");
  auto util = gauge_family("process_cpu_utilization_ratio",
                           "CPU used over the last interval divided by the CPUs available to the "
                           "service (its cgroup quota, else online CPUs): 1 is saturation.");
  auto cores = gauge_family("process_cpu_available_cores",
                            "CPUs available to the service: cgroup quota, else online CPUs.");
  auto rss = gauge_family("process_memory_usage_bytes", "Resident memory of the service's processes.");
  auto vms = gauge_family("process_memory_virtual_bytes", "Virtual memory of the service's processes.");
  auto fds = gauge_family("process_open_file_descriptor_count", "Open file descriptors.");
  auto fd_limit = gauge_family("process_open_file_descriptor_limit",
                               "Smallest soft limit on open files among the service's processes.");
  auto fd_util = gauge_family("process_open_file_descriptor_utilization_ratio",
                              "Largest open/limit ratio among the service's processes.");
  auto disk = counter_family("process_disk_io_bytes_total", "Bytes read from and written to storage.");
  auto net = counter_family("process_network_io_bytes_total",
                            "TCP payload bytes received and sent, from the kernel's socket calls.");
  auto wait = counter_family("process_run_queue_wait_seconds_total",
                             "Time the service's threads were runnable but waiting for a CPU.");
  auto conns = gauge_family("process_open_tcp_connections",
                            "Established TCP connections: server (accepted) or client (opened).");
  auto retrans = counter_family("process_tcp_retransmits_total", "TCP segments retransmitted.");
  auto resets = counter_family("process_tcp_resets_total", "TCP resets sent and received.");
  auto failed = counter_family("process_tcp_connect_failures_total",
                               "Outgoing TCP connections that failed before being established.");
  auto ooms = counter_family("process_oom_kills_total",
                             "Processes of the service chosen by the OOM killer.");
  auto mem_usage = gauge_family("container_memory_usage_bytes",
                                "Memory charged to the service's cgroup (page cache included).");
  auto mem_limit = gauge_family("container_memory_limit_bytes",
                                "Memory limit of the service's cgroup (absent when unlimited).");
  auto pressure = counter_family("container_pressure_stall_seconds_total",
                                 "Cgroup pressure stall time (PSI) by resource; absent where the "
                                 "kernel has no PSI.");
  auto storage = gauge_family("service_storage_used_bytes",
                              "Bytes allocated under a configured storage path.");
  auto storage_ok = gauge_family("service_storage_walk_complete",
                                 "1 when the last walk of the path finished within the entry limit.");

  for (const auto& s : services) {
    const ServiceInfo& svc = *s.service;
    info.add(1, labels_of(svc, {{"host_name", svc.host_name},
                                {"service_name_source", svc.name_source},
                                {"container_id", svc.container.container_id},
                                {"container_runtime", svc.container.runtime},
                                {"k8s_pod_name", svc.pod_name},
                                {"k8s_pod_uid", svc.container.pod_uid}}));
    processes.add(s.processes, labels_of(svc));
    threads.add(s.threads, labels_of(svc));
    cpu.add(s.counters.cpu_user_seconds, labels_of(svc, {{"cpu_mode", "user"}}));
    cpu.add(s.counters.cpu_system_seconds, labels_of(svc, {{"cpu_mode", "system"}}));
    util.add(s.cpu_utilization, labels_of(svc));
    cores.add(s.available_cores, labels_of(svc));
    rss.add(d(s.rss_bytes), labels_of(svc));
    vms.add(d(s.virtual_bytes), labels_of(svc));
    fds.add(d(s.open_fds), labels_of(svc));
    if (s.fd_limit > 0 && s.fd_limit != host::kNoLimit) fd_limit.add(d(s.fd_limit), labels_of(svc));
    fd_util.add(s.fd_utilization_max, labels_of(svc));
    disk.add(s.counters.disk_read_bytes, labels_of(svc, {{"disk_io_direction", "read"}}));
    disk.add(s.counters.disk_write_bytes, labels_of(svc, {{"disk_io_direction", "write"}}));
    net.add(s.counters.network_receive_bytes, labels_of(svc, {{"network_io_direction", "receive"}}));
    net.add(s.counters.network_transmit_bytes, labels_of(svc, {{"network_io_direction", "transmit"}}));
    wait.add(s.counters.run_queue_wait_seconds, labels_of(svc));
    conns.add(s.server_connections, labels_of(svc, {{"connection_direction", "server"}}));
    conns.add(s.client_connections, labels_of(svc, {{"connection_direction", "client"}}));
    retrans.add(s.counters.tcp_retransmits, labels_of(svc));
    resets.add(s.counters.tcp_resets_sent, labels_of(svc, {{"direction", "sent"}}));
    resets.add(s.counters.tcp_resets_received, labels_of(svc, {{"direction", "received"}}));
    failed.add(s.counters.tcp_connect_failures, labels_of(svc));
    ooms.add(d(s.oom_kills), labels_of(svc));
    if (s.cgroup && s.cgroup->memory_usage_bytes) {
      mem_usage.add(d(*s.cgroup->memory_usage_bytes), labels_of(svc));
      if (s.cgroup->memory_limit_bytes && *s.cgroup->memory_limit_bytes != host::kNoLimit) {
        mem_limit.add(d(*s.cgroup->memory_limit_bytes), labels_of(svc));
      }
    }
    if (s.cgroup) {
      const std::pair<const char*, const std::optional<host::PressureStats>*> kinds[] = {
          {"cpu", &s.cgroup->cpu_pressure},
          {"memory", &s.cgroup->memory_pressure},
          {"io", &s.cgroup->io_pressure}};
      for (const auto& [resource, stats] : kinds) {
        if (!*stats) continue;
        pressure.add((*stats)->some_total_seconds,
                     labels_of(svc, {{"resource", resource}, {"pressure", "some"}}));
        if ((*stats)->full_total_seconds) {
          pressure.add(*(*stats)->full_total_seconds,
                       labels_of(svc, {{"resource", resource}, {"pressure", "full"}}));
        }
      }
    }
    for (const auto& [path, size] : s.storage) {
      storage.add(d(size.bytes), labels_of(svc, {{"path", path}}));
      storage_ok.add(size.complete ? 1 : 0, labels_of(svc, {{"path", path}}));
    }
  }
  std::vector<prometheus::MetricFamily> out;
  for (auto* family : {&info, &processes, &threads, &cpu, &util, &cores, &rss, &vms, &fds,
                       &fd_limit, &fd_util, &disk, &net, &wait, &conns, &retrans, &resets, &failed,
                       &ooms, &mem_usage, &mem_limit, &pressure, &storage, &storage_ok}) {
    if (!family->empty()) out.push_back(family->take());
  }
  return out;
}

}  // namespace redeye
