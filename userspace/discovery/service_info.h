// What names a service: the identity every series of it carries, and the facts discovery
// learnt on the way (which rule, unit, container or pod). Identity only: protocol-specific
// settings of a service (HTTP routes, per-user counting) are looked up by the protocol in the
// configuration, by `rule`.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>

#include "discovery/process_info.h"

namespace redeye {

// The labels that name a service in Prometheus: every series of it carries them, and series
// expire by them (docs/DESIGN.md, "Series lifetime").
struct ServiceIdentity {
  std::string name;
  std::string service_namespace;
  std::string instance_id;  // pod name, short container id, or the host name
  auto operator<=>(const ServiceIdentity&) const = default;
};

// Immutable identity of one service instance; shared by every connection and metric of it.
struct ServiceInfo : ServiceIdentity {
  std::string host_name;
  std::string name_source;  // "rule", "otel_env", "systemd", "kubernetes", "container", "exe"
  discovery::ContainerIdentity container;
  std::string pod_name;
  // The index in Config::services of the rule that named it, if a rule did.
  std::optional<uint32_t> rule;
};

inline const ServiceIdentity& identity_of(const ServiceInfo& service) { return service; }

}  // namespace redeye
