// Caps the distinct server_port label values of each service: the first `limit` ports keep
// their own value, later ones are reported as "_OTHER" (a service of short-lived listeners on
// ephemeral ports would otherwise add series for ever). Not thread-safe: one writer thread.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "discovery/service_info.h"

namespace redeye::metrics {

inline constexpr const char* kOverflowPort = "_OTHER";

class ServicePortLimits {
 public:
  explicit ServicePortLimits(uint32_t limit) : limit_(limit) {}

  struct Label {
    std::string value;  // the port, or kOverflowPort
    bool overflowed = false;
  };
  // The label of `port` for `service`; a port seen before keeps its label.
  Label label(const ServiceIdentity& service, uint16_t port) {
    std::set<uint16_t>& ports = ports_[service];
    if (ports.contains(port) || ports.size() < limit_) {
      ports.insert(port);
      return {std::to_string(port), false};
    }
    return {kOverflowPort, true};
  }
  // The service's series expired: its next ports start a fresh budget.
  void forget(const ServiceIdentity& service) { ports_.erase(service); }

 private:
  uint32_t limit_;
  std::map<ServiceIdentity, std::set<uint16_t>> ports_;
};

}  // namespace redeye::metrics
