// Labels every per-service series carries, and the cache key protocol metrics use to find a
// series again without rebuilding its label map.
#pragma once

#include <prometheus/labels.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "discovery/service_info.h"

namespace redeye {

inline prometheus::Labels service_labels(const ServiceIdentity& service) {
  return {{"service_name", service.name},
          {"service_namespace", service.service_namespace},
          {"service_instance_id", service.instance_id}};
}

// The service's identity plus `parts`, NUL-separated (label values never hold NUL):
// "name\0namespace\0instance[\0part...]".
inline std::string series_key(const ServiceIdentity& service,
                              std::initializer_list<std::string_view> parts = {}) {
  std::string key = service.name;
  for (std::string_view part :
       {std::string_view(service.service_namespace), std::string_view(service.instance_id)}) {
    key.push_back('\0');
    key.append(part);
  }
  for (auto part : parts) {
    key.push_back('\0');
    key.append(part);
  }
  return key;
}

// The key of the service itself: series_key(service).
inline std::string identity_key(const ServiceIdentity& service) { return series_key(service); }

// What every series_key of `service` with at least one part starts with.
inline std::string series_key_prefix(const ServiceIdentity& service) {
  return identity_key(service) + '\0';
}

// Erases the entries of a map keyed by series_key whose key belongs to `service`.
template <typename Map>
void erase_service_keys(Map& map, const ServiceIdentity& service) {
  const std::string prefix = series_key_prefix(service);
  std::erase_if(map, [&prefix](const auto& entry) { return entry.first.starts_with(prefix); });
}

}  // namespace redeye
