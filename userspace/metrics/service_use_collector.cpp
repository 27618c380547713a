#include "metrics/service_use_collector.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "host/cgroup_namespace.h"
#include "host/directory_size.h"
#include "host/text_file.h"
#include "metrics/service_labels.h"

namespace redeye {
namespace {

// The whole file, or "" when it cannot be read (the process is gone).
std::string read_file(const std::string& path) { return host::read_text_file(path).value_or(""); }

ProcessCounters counters_of(const host::ProcessStats& stats, const redeye_proc_tcp* tcp) {
  ProcessCounters c;
  c.cpu_user_seconds = stats.cpu_user_seconds;
  c.cpu_system_seconds = stats.cpu_system_seconds;
  c.disk_read_bytes = static_cast<double>(stats.disk_read_bytes.value_or(0));
  c.disk_write_bytes = static_cast<double>(stats.disk_write_bytes.value_or(0));
  c.run_queue_wait_seconds = static_cast<double>(stats.run_queue_wait_ns) / 1e9;
  if (tcp) {
    c.network_receive_bytes = static_cast<double>(tcp->bytes_received);
    c.network_transmit_bytes = static_cast<double>(tcp->bytes_sent);
    c.tcp_retransmits = static_cast<double>(tcp->retransmits);
    c.tcp_resets_sent = static_cast<double>(tcp->resets_sent);
    c.tcp_resets_received = static_cast<double>(tcp->resets_received);
    c.tcp_connect_failures = static_cast<double>(tcp->connect_failures);
  }
  return c;
}

}  // namespace

ProcessCounters& ProcessCounters::operator+=(const ProcessCounters& o) {
  cpu_user_seconds += o.cpu_user_seconds;
  cpu_system_seconds += o.cpu_system_seconds;
  disk_read_bytes += o.disk_read_bytes;
  disk_write_bytes += o.disk_write_bytes;
  run_queue_wait_seconds += o.run_queue_wait_seconds;
  network_receive_bytes += o.network_receive_bytes;
  network_transmit_bytes += o.network_transmit_bytes;
  tcp_retransmits += o.tcp_retransmits;
  tcp_resets_sent += o.tcp_resets_sent;
  tcp_resets_received += o.tcp_resets_received;
  tcp_connect_failures += o.tcp_connect_failures;
  return *this;
}

std::string service_key(const ServiceInfo& service) { return identity_key(identity_of(service)); }

ServiceUseCollector::ServiceUseCollector(const DiscoveryConfig& config, Sources sources)
    : config_(config),
      sources_(std::move(sources)),
      proc_(sources_.proc_root),
      cgroups_(sources_.cgroup_root),
      sockets_(sources_.proc_root),
      online_cpus_(host::online_cpus()) {
  locate_cgroup_namespace();
  own_cgroup_ = cgroups_.read_for_process(read_file(sources_.proc_root + "/self/cgroup"));
}

void ServiceUseCollector::locate_cgroup_namespace() {
  // PID 1 (the host's init, with hostPID) shows "/.." paths only when we are in a cgroup
  // namespace of our own: then find our cgroup in the host's tree to resolve everyone's.
  if (!host::shows_outside_namespace(read_file(sources_.proc_root + "/1/cgroup"))) return;
  const std::string& root = sources_.cgroup_root;
  const std::string v2_root =
      std::filesystem::exists(root + "/cgroup.controllers") ? root : root + "/unified";
  if (auto own = host::find_cgroup_of(static_cast<uint32_t>(getpid()), v2_root)) {
    spdlog::info("cgroup namespace: the agent's cgroup is {} in {}", *own, v2_root);
    cgroups_.set_namespace_root(*own);
  } else {
    spdlog::warn(
        "cgroup namespace: the agent runs in its own cgroup namespace and its cgroup "
        "was not found under {}: container memory/CPU limits are not reported (mount "
        "the host's /sys/fs/cgroup)",
        v2_root);
  }
}

void ServiceUseCollector::collect(double now_seconds) {
  const auto members = sources_.members();
  const auto tcp = sources_.tcp_counters ? sources_.tcp_counters()
                                         : std::unordered_map<uint32_t, redeye_proc_tcp>{};
  tcp_tables_.clear();
  std::map<std::pair<uint64_t, uint32_t>, LastSeen> seen;
  std::map<std::string, ServiceUseSnapshot> round;  // the services with processes
  for (const auto& service : members) {
    auto snap = collect_service(service, tcp, seen);
    const std::string key = service_key(*service.service);
    known_services_[key] = service.service;
    auto [it, inserted] = round.try_emplace(key, std::move(snap));
    if (!inserted) it->second.processes += snap.processes;  // cannot happen: keys are unique
  }
  retire_gone(seen, tcp);
  last_seen_ = std::move(seen);

  std::map<std::string, uint64_t> ooms;
  {
    std::lock_guard lock(mutex_);
    ooms = oom_kills_;
    // A process can be OOM-killed before any round saw it.
    for (const auto& [key, service] : oom_services_) known_services_.try_emplace(key, service);
  }
  // Services whose processes are all gone keep their counters (they never go backwards).
  std::map<std::string, ServiceUseSnapshot> idle;
  for (const auto& [key, service] : known_services_) {
    if (round.contains(key)) continue;
    ServiceUseSnapshot gone;
    gone.service = service;
    gone.available_cores = online_cpus_;
    idle.emplace(key, std::move(gone));
  }
  for (auto* services : {&round, &idle}) {
    for (auto& [key, snap] : *services) {
      snap.counters += retired_[key];
      const double cpu = snap.counters.cpu_user_seconds + snap.counters.cpu_system_seconds;
      auto [id, inserted] = utilization_keys_.try_emplace(key, next_utilization_id_);
      if (inserted) ++next_utilization_id_;
      snap.cpu_utilization =
          utilization_.update(id->second, cpu, now_seconds, snap.available_cores);
      snap.oom_kills = ooms[key];
      walk_storage(snap, key, snap.first_pid, now_seconds);
    }
  }
  std::lock_guard lock(mutex_);
  drop_forgotten(round, idle);
  round.merge(idle);  // disjoint keys
  snapshot_ = std::move(round);
}

void ServiceUseCollector::drop_forgotten(const std::map<std::string, ServiceUseSnapshot>& round,
                                         std::map<std::string, ServiceUseSnapshot>& idle) {
  for (const std::string& key : forgotten_) {
    if (round.contains(key)) continue;  // it came back: its counters go on
    idle.erase(key);
    known_services_.erase(key);
    retired_.erase(key);
    storage_.erase(key);
    if (auto it = utilization_keys_.find(key); it != utilization_keys_.end()) {
      utilization_.forget(it->second);
      utilization_keys_.erase(it);
    }
  }
  forgotten_.clear();
}

void ServiceUseCollector::forget_service(const ServiceIdentity& service) {
  const std::string key = identity_key(service);
  std::lock_guard lock(mutex_);
  snapshot_.erase(key);
  oom_kills_.erase(key);
  oom_services_.erase(key);
  forgotten_.insert(key);
}

ServiceUseSnapshot ServiceUseCollector::collect_service(
    const ServiceMembers& members, const std::unordered_map<uint32_t, redeye_proc_tcp>& tcp,
    std::map<std::pair<uint64_t, uint32_t>, LastSeen>& seen) {
  ServiceUseSnapshot out;
  out.service = members.service;
  const std::string key = service_key(*members.service);
  std::vector<uint32_t> live;
  for (uint32_t pid : members.pids) {
    auto stats = proc_.read(pid);
    if (!stats) continue;
    live.push_back(pid);
    if (out.first_pid == 0) out.first_pid = pid;
    auto tcp_it = tcp.find(pid);
    ProcessCounters counters = counters_of(*stats, tcp_it == tcp.end() ? nullptr : &tcp_it->second);
    out.counters += counters;
    seen[{stats->start_time_ticks, pid}] = {key, pid, counters};
    out.processes++;
    out.threads += stats->threads;
    out.rss_bytes += stats->rss_bytes;
    out.virtual_bytes += stats->virtual_bytes;
    out.open_fds += stats->open_fds;
    if (stats->fd_limit > 0 && (out.fd_limit == 0 || stats->fd_limit < out.fd_limit)) {
      out.fd_limit = stats->fd_limit;
    }
    if (stats->fd_limit > 0 && stats->fd_limit != host::kNoLimit) {
      out.fd_utilization_max =
          std::max(out.fd_utilization_max,
                   static_cast<double>(stats->open_fds) / static_cast<double>(stats->fd_limit));
    }
    if (!out.cgroup) {
      out.cgroup = cgroups_.read_for_process(
          read_file(sources_.proc_root + "/" + std::to_string(pid) + "/cgroup"));
    }
  }
  out.available_cores = online_cpus_;
  if (out.cgroup && out.cgroup->cpu_limit_cores) {
    out.available_cores = std::min(online_cpus_, *out.cgroup->cpu_limit_cores);
  }
  if (out.cgroup && own_cgroup_ && out.cgroup->memory_dir == own_cgroup_->memory_dir &&
      out.cgroup->unified_dir == own_cgroup_->unified_dir) {
    out.cgroup.reset();
  }
  count_connections(live, out);
  return out;
}

void ServiceUseCollector::count_connections(const std::vector<uint32_t>& pids,
                                            ServiceUseSnapshot& out) {
  if (sources_.held_sockets) {
    // One count over all the service's processes: a socket they share (inherited) counts
    // once, and a backend's accepted socket is a server connection when another process of
    // the service (the postmaster) holds the listener. If the kernel cannot list one of
    // them (a gone process lists nothing, so this is a real failure), the service is
    // counted from /proc this round rather than short.
    std::vector<host::HeldSocket> held;
    bool complete = true;
    for (uint32_t pid : pids) {
      auto sockets = sources_.held_sockets(pid);
      if (!sockets) {
        complete = false;
        break;
      }
      held.insert(held.end(), sockets->begin(), sockets->end());
    }
    if (complete) {
      const auto counts = host::count_held_connections(std::move(held));
      out.server_connections += counts.server;
      out.client_connections += counts.client;
      return;
    }
  }
  for (uint32_t pid : pids) {
    const auto inodes = sockets_.socket_inodes(pid);
    if (inodes.empty()) continue;
    const uint64_t netns = sockets_.net_namespace(pid).value_or(0);
    auto it = tcp_tables_.find(netns);
    if (it == tcp_tables_.end()) {
      auto table = sockets_.read_tcp_table(pid);
      auto ports = host::listening_ports(table);
      it = tcp_tables_.emplace(netns, std::make_pair(std::move(table), std::move(ports))).first;
    }
    const auto counts = host::count_connections(it->second.first, inodes, it->second.second);
    out.server_connections += counts.server;
    out.client_connections += counts.client;
  }
}

void ServiceUseCollector::retire_gone(std::map<std::pair<uint64_t, uint32_t>, LastSeen>& seen,
                                      const std::unordered_map<uint32_t, redeye_proc_tcp>& tcp) {
  std::set<uint32_t> live_pids;
  for (const auto& entry : seen) live_pids.insert(entry.second.pid);
  for (auto& [process, last] : last_seen_) {
    if (seen.contains(process)) continue;
    // The kernel still holds the exited process's final TCP counters; CPU and disk counters
    // after our last read are lost with /proc/<pid> (at most one interval).
    if (auto it = tcp.find(last.pid); it != tcp.end()) {
      ProcessCounters final_tcp = counters_of(host::ProcessStats{}, &it->second);
      last.counters.network_receive_bytes = final_tcp.network_receive_bytes;
      last.counters.network_transmit_bytes = final_tcp.network_transmit_bytes;
      last.counters.tcp_retransmits = final_tcp.tcp_retransmits;
      last.counters.tcp_resets_sent = final_tcp.tcp_resets_sent;
      last.counters.tcp_resets_received = final_tcp.tcp_resets_received;
      last.counters.tcp_connect_failures = final_tcp.tcp_connect_failures;
    }
    const bool pid_reused = live_pids.contains(last.pid);
    if (!pid_reused && sources_.forget_tcp_counters) sources_.forget_tcp_counters(last.pid);
    retired_[last.service_key] += last.counters;
  }
}

void ServiceUseCollector::walk_storage(ServiceUseSnapshot& out, const std::string& key,
                                       uint32_t pid, double now_seconds) {
  const auto rule = out.service->rule;
  if (!rule || *rule >= sources_.storage_paths.size()) return;
  const std::vector<std::string>& paths = sources_.storage_paths[*rule];
  if (paths.empty()) return;
  StorageState& state = storage_[key];
  if (pid != 0 && now_seconds - state.last_walk >= config_.storage_interval_ms / 1000.0) {
    state.last_walk = now_seconds;
    const std::string root = sources_.proc_root + "/" + std::to_string(pid) + "/root";
    for (const auto& path : paths) {
      state.sizes[path] = host::directory_size(root + path, config_.storage_max_entries);
    }
  }
  out.storage = state.sizes;
}

void ServiceUseCollector::on_oom_kill(std::shared_ptr<const ServiceInfo> service) {
  const std::string key = service_key(*service);
  std::lock_guard lock(mutex_);
  oom_kills_[key]++;
  oom_services_.emplace(key, std::move(service));
}

std::vector<ServiceUseSnapshot> ServiceUseCollector::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<ServiceUseSnapshot> out;
  out.reserve(snapshot_.size());
  for (const auto& [key, snap] : snapshot_) out.push_back(snap);
  return out;
}

}  // namespace redeye
