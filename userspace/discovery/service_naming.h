// The service a process belongs to when no rule names it, from what it says about itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "discovery/process_info.h"

namespace redeye::discovery {

struct ServiceName {
  std::string name;
  std::string service_namespace;
  std::string source;  // "rule", "otel_env", "systemd", "kubernetes", "container", "exe"
  bool operator==(const ServiceName&) const = default;
};

// First that yields a non-empty name (after sanitize_service_name):
//   otel_env    ProcessInfo::otel_service_name, namespace otel_service_namespace
//   systemd     the systemd unit without ".service" ("nginx.service" -> "nginx")
//   kubernetes  in a pod (pod_uid set) with HOSTNAME in its environment: the pod name less the
//               controller suffixes (workload_name_from_pod); namespace left empty (unknown)
//   container   "container-" + the first 12 characters of the container id
//   exe         basename of exe, else comm, else "unknown"
ServiceName default_service_name(const ProcessInfo& process);

// The rule's name and namespace (source "rule") when `rule` is set, else default_service_name.
ServiceName service_name(const ProcessInfo& process, const ServiceRule* rule);

// "shop-api-7d9f8c6b5-x2x9z" -> "shop-api" (Deployment: ReplicaSet hash and pod suffix),
// "node-exporter-x2x9z" -> "node-exporter" (DaemonSet, Job, bare ReplicaSet),
// "backup-28391040-x2x9z" -> "backup" (CronJob: scheduled minute and suffix),
// "mes-db-0" -> "mes-db" (StatefulSet ordinal). Suffixes are recognised by Kubernetes's
// generated-name alphabet (consonants and digits 2,4-9: "bcdfghjklmnpqrstvwxz2456789"), so
// ordinary words ("redis-cache") are kept. Returns the input when nothing is stripped.
std::string workload_name_from_pod(std::string_view pod_name);

// The value of `key` in an OTEL_RESOURCE_ATTRIBUTES string ("k1=v1,k2=v2"; blanks around keys
// and values ignored; %XX decoded), nullopt when absent.
std::optional<std::string> resource_attribute(std::string_view attributes, std::string_view key);

// Service names end up as Prometheus label values, which may hold any UTF-8. This trims
// surrounding whitespace, replaces control characters and bytes that are not valid UTF-8 with
// '_', and cuts the result to at most 128 bytes (at a character boundary).
std::string sanitize_service_name(std::string_view name);

}  // namespace redeye::discovery
