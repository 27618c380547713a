#include "discovery/service_registry.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <unordered_set>

#include "discovery/service_naming.h"

namespace redeye {

ServiceRegistry::ServiceRegistry(const Config& config, discovery::ProcfsReader reader,
                                 KernelFilter filter, uint32_t self_pid, std::string host_name,
                                 std::chrono::milliseconds listening_max_age)
    : config_(config),
      reader_(std::move(reader)),
      matcher_(config.services, config.exclude),
      filter_(std::move(filter)),
      self_pid_(self_pid),
      host_name_(std::move(host_name)),
      listening_max_age_(listening_max_age) {}

size_t ServiceRegistry::scan() {
  // One listening-socket table per network namespace (read_process), read afresh.
  {
    std::lock_guard lock(listening_mutex_);
    listening_.clear();
  }
  for (uint32_t pid : reader_.list_pids()) {
    if (pid == self_pid_) continue;
    const std::optional<discovery::ProcessInfo> info = read_process(pid);
    std::lock_guard lock(mutex_);
    apply(pid, info);
  }
  std::lock_guard lock(mutex_);
  // Processes that vanished without an exit event we saw.
  std::vector<uint32_t> gone;
  for (const auto& [pid, process] : processes_) {
    auto start = reader_.start_time(pid);
    if (!start || *start != process.start_time_ticks) gone.push_back(pid);
  }
  for (uint32_t pid : gone) remove(pid);
  return processes_.size();
}

void ServiceRegistry::on_exec(uint32_t tgid, const ExecFacts& facts) {
  evaluate(tgid, facts.filename.empty() ? nullptr : &facts);
}

void ServiceRegistry::on_fork(uint32_t child, uint32_t parent) {
  // A forked child has its parent's executable, command line, cgroup, environment and
  // sockets, so it is decided as its parent was: a service parent's child joins the service
  // without reading /proc (forking servers fork per connection). An exec decides it afresh.
  std::unique_lock lock(mutex_);
  auto it = processes_.find(parent);
  if (child != self_pid_ && it != processes_.end()) {
    // Only the start time is read (it names the PID). A child already gone joins too: the
    // kernel followed it from its fork, so the events of its connections (a PostgreSQL
    // backend that served one query and exited before this event was read) are queued behind
    // this one, and its exit event, queued after them, removes it again.
    discovery::ProcessInfo info;
    info.pid = child;
    info.ppid = parent;
    info.start_time_ticks = reader_.start_time(child).value_or(0);
    info.exe = it->second.exe;
    assign(info, it->second.service);
    return;
  }
  lock.unlock();
  evaluate(child);
}

void ServiceRegistry::on_listen(uint32_t tgid, uint16_t port) {
  {
    std::lock_guard lock(listening_mutex_);
    listening_.clear();  // a new listener: the cached tables miss it
  }
  if (tgid == self_pid_) return;
  // The kernel follows a listener from listen() on (REDEYE_FILTER_LISTENER); here it is
  // decided: a service is followed as any other, anything else is unfollowed.
  if (service_of(tgid)) {
    filter_.follow(tgid);
    return;
  }
  std::optional<discovery::ProcessInfo> info = read_process(tgid);
  std::lock_guard lock(mutex_);
  if (!info) {
    // Gone already: decide from what /proc said of it before.
    if (auto seen = recent_unmatched_.find(tgid); seen != recent_unmatched_.end()) {
      info = seen->second;
    }
  }
  // The event's port counts even when /proc/net/tcp does not list it yet: the kernel reports
  // the LISTEN state just before it hashes the socket into its listening table.
  if (info && port != 0) {
    auto& ports = info->listening_ports;
    if (auto at = std::lower_bound(ports.begin(), ports.end(), port);
        at == ports.end() || *at != port) {
      ports.insert(at, port);
    }
  }
  apply(tgid, info);
  if (!processes_.contains(tgid) && filter_.unfollow_listener) filter_.unfollow_listener(tgid);
}

void ServiceRegistry::remember_unmatched(const discovery::ProcessInfo& info) {
  auto [it, inserted] = recent_unmatched_.insert_or_assign(info.pid, info);
  if (!inserted) return;
  recent_order_.push_back(info.pid);
  while (recent_order_.size() > kRecentUnmatched) {
    recent_unmatched_.erase(recent_order_.front());
    recent_order_.pop_front();
  }
}

void ServiceRegistry::on_exit(uint32_t tgid) {
  std::lock_guard lock(mutex_);
  remove(tgid);
  adhoc_.erase(tgid);
  recent_unmatched_.erase(tgid);
}

std::shared_ptr<const ServiceInfo> ServiceRegistry::service_of(uint32_t tgid) const {
  std::lock_guard lock(mutex_);
  auto it = processes_.find(tgid);
  return it == processes_.end() ? nullptr : it->second.service;
}

std::shared_ptr<const ServiceInfo> ServiceRegistry::service_or_adhoc(uint32_t tgid,
                                                                     std::string_view comm) {
  if (auto service = service_of(tgid)) return service;
  std::lock_guard lock(mutex_);
  auto it = adhoc_.find(tgid);
  if (it != adhoc_.end()) return it->second;
  // The name does not depend on listening ports: no tcp table is read.
  auto info = reader_.read(tgid, discovery::TcpSocketTable{});
  ServiceInfo adhoc;
  if (info) {
    adhoc.name = discovery::default_service_name(*info).name;
  } else {
    adhoc.name = comm.empty() ? "unknown" : std::string(comm);
  }
  adhoc.instance_id = host_name_;
  adhoc.host_name = host_name_;
  adhoc.name_source = "exe";
  auto shared = std::make_shared<const ServiceInfo>(std::move(adhoc));
  adhoc_[tgid] = shared;
  touched_.insert(identity_of(*shared));
  return shared;
}

std::vector<ServiceMembers> ServiceRegistry::members() const {
  std::lock_guard lock(mutex_);
  std::map<const ServiceInfo*, ServiceMembers> grouped;
  for (const auto& [pid, process] : processes_) {
    auto& entry = grouped[process.service.get()];
    entry.service = process.service;
    entry.pids.push_back(pid);
  }
  std::vector<ServiceMembers> out;
  out.reserve(grouped.size());
  for (auto& [ptr, entry] : grouped) out.push_back(std::move(entry));
  return out;
}

ServiceActivity ServiceRegistry::take_activity() {
  std::lock_guard lock(mutex_);
  ServiceActivity activity;
  std::unordered_set<const ServiceInfo*> services;  // far fewer than processes
  for (const auto& [pid, process] : processes_) services.insert(process.service.get());
  for (const auto& [tgid, service] : adhoc_) services.insert(service.get());
  for (const ServiceInfo* service : services) activity.live.insert(identity_of(*service));
  activity.touched.swap(touched_);
  return activity;
}

size_t ServiceRegistry::process_count() const {
  std::lock_guard lock(mutex_);
  return processes_.size();
}

std::optional<discovery::ProcessInfo> ServiceRegistry::read_process(uint32_t tgid) {
  std::lock_guard lock(listening_mutex_);
  discovery::TcpSocketTable own;  // namespace unknown: the process's own table, not cached
  return reader_.read(tgid, [&]() -> const discovery::TcpSocketTable& {
    constexpr auto kListening = discovery::ProcfsReader::TcpScope::kListening;
    const std::optional<uint64_t> netns = reader_.net_namespace(tgid);
    if (!netns) return own = reader_.read_tcp_table(tgid, kListening);
    const auto now = std::chrono::steady_clock::now();
    auto it = listening_.find(*netns);
    if (it == listening_.end() || now - it->second.read_at >= listening_max_age_) {
      ListeningSockets fresh{now, reader_.read_tcp_table(tgid, kListening)};
      it = listening_.insert_or_assign(*netns, std::move(fresh)).first;
    }
    return it->second.sockets;
  });
}

void ServiceRegistry::evaluate(uint32_t tgid, const ExecFacts* facts) {
  if (tgid == self_pid_) return;
  auto info = read_process(tgid);
  if (!info && facts) {
    // Gone already: decide from what the kernel saw at exec (exe and cmdline rules work).
    discovery::ProcessInfo seen;
    seen.pid = tgid;
    seen.exe = facts->filename;
    seen.cmdline = facts->args;
    while (!seen.cmdline.empty() && seen.cmdline.back() == '\0') seen.cmdline.pop_back();
    std::replace(seen.cmdline.begin(), seen.cmdline.end(), '\0', ' ');
    seen.comm = seen.exe.substr(seen.exe.rfind('/') + 1).substr(0, 15);
    info = std::move(seen);
  }
  std::lock_guard lock(mutex_);
  apply(tgid, info);
}

void ServiceRegistry::apply(uint32_t tgid, const std::optional<discovery::ProcessInfo>& info) {
  if (!info) {
    remove(tgid);
    filter_.unfollow(tgid);
    return;
  }
  auto service = identify(*info);
  if (service) {
    assign(*info, std::move(service));
  } else {
    remove(tgid);
    // The kernel follows every new program until told otherwise (see on_process_exec).
    filter_.unfollow(tgid);
    remember_unmatched(*info);
  }
}

std::shared_ptr<const ServiceInfo> ServiceRegistry::inherited(
    const discovery::ProcessInfo& info) const {
  if (auto self = processes_.find(info.pid);
      self != processes_.end() && self->second.start_time_ticks == info.start_time_ticks &&
      self->second.exe == info.exe) {
    return self->second.service;
  }
  if (auto parent = processes_.find(info.ppid);
      parent != processes_.end() && !info.exe.empty() && parent->second.exe == info.exe) {
    return parent->second.service;
  }
  return nullptr;
}

std::shared_ptr<const ServiceInfo> ServiceRegistry::identify(const discovery::ProcessInfo& info) {
  constexpr uint32_t kKthreadd = 2;  // kernel threads: no executable, never services
  if (info.pid == kKthreadd || info.ppid == kKthreadd) return nullptr;
  if (matcher_.excluded(info)) return nullptr;
  ServiceInfo service;
  service.host_name = host_name_;
  service.container = info.container;
  if (!info.container.pod_uid.empty()) service.pod_name = info.hostname_env;
  if (!service.pod_name.empty()) {
    service.instance_id = service.pod_name;
  } else if (!info.container.container_id.empty()) {
    service.instance_id = info.container.container_id.substr(0, 12);
  } else {
    service.instance_id = host_name_;
  }
  if (const auto rule = matcher_.match_index(info)) {
    service.name = config_.services[*rule].name;
    service.service_namespace = config_.services[*rule].service_namespace;
    service.name_source = "rule";
    service.rule = rule;
  } else if (auto parent = inherited(info)) {
    return parent;
  } else if (config_.discovery.listening_processes && !info.listening_ports.empty()) {
    auto name = discovery::default_service_name(info);
    service.name = std::move(name.name);
    service.service_namespace = std::move(name.service_namespace);
    service.name_source = std::move(name.source);
  } else {
    return nullptr;
  }
  return intern(std::move(service));
}

std::shared_ptr<const ServiceInfo> ServiceRegistry::intern(ServiceInfo info) {
  // One identity per label set: processes named alike are one service in Prometheus whatever
  // named them. When a rule names a service an unnamed process already goes by, the rule's
  // identity (its routes, storage paths) wins, for every process of the service.
  ServiceKey key{info.name, info.service_namespace, info.instance_id};
  auto& slot = services_[key];
  auto existing = slot.lock();
  if (existing && (existing->rule || !info.rule)) return existing;
  auto shared = std::make_shared<const ServiceInfo>(std::move(info));
  if (existing) {
    for (auto& [pid, process] : processes_) {
      if (process.service == existing) process.service = shared;
    }
  }
  slot = shared;
  return shared;
}

void ServiceRegistry::assign(const discovery::ProcessInfo& info,
                             std::shared_ptr<const ServiceInfo> service) {
  const uint32_t tgid = info.pid;
  auto [it, inserted] = processes_.try_emplace(tgid);
  if (inserted || it->second.service != service) {
    spdlog::debug("service {}: pid {} ({})", service->name, tgid, service->name_source);
    touched_.insert(identity_of(*service));
  }
  it->second.start_time_ticks = info.start_time_ticks;
  it->second.exe = info.exe;
  it->second.service = std::move(service);
  if (!filter_.follow(tgid)) {
    follow_failures_++;
    spdlog::warn("process filter full: pid {} of {} is not followed", tgid,
                 it->second.service->name);
  }
}

void ServiceRegistry::remove(uint32_t tgid) {
  auto it = processes_.find(tgid);
  if (it == processes_.end()) return;
  filter_.unfollow(tgid);
  const std::string& name = it->second.service->name;
  ServiceKey key{name, it->second.service->service_namespace, it->second.service->instance_id};
  processes_.erase(it);
  if (auto slot = services_.find(key); slot != services_.end() && slot->second.expired()) {
    services_.erase(slot);
  }
}

}  // namespace redeye
