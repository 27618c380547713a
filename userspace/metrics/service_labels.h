// Labels every per-service series carries, and the cache key protocol metrics use to find a
// series again without rebuilding its label map.
#pragma once

#include <prometheus/labels.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "discovery/service_registry.h"

namespace redeye {

inline prometheus::Labels service_labels(const ServiceInfo& service) {
  return {{"service_name", service.name},
          {"service_namespace", service.service_namespace},
          {"service_instance_id", service.instance_id}};
}

// The service's identity plus `parts`, NUL-separated (label values never hold NUL).
inline std::string series_key(const ServiceInfo& service,
                              std::initializer_list<std::string_view> parts) {
  std::string key = service.name;
  for (std::string_view part : {std::string_view(service.service_namespace),
                                std::string_view(service.instance_id)}) {
    key.push_back('\0');
    key.append(part);
  }
  for (auto part : parts) {
    key.push_back('\0');
    key.append(part);
  }
  return key;
}

}  // namespace redeye
