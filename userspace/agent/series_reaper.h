// Drops the series of services gone for series_expiry (metrics::SeriesExpiry decides), on the
// event thread, the single writer of the protocol metrics, in one step: every protocol
// handler forgets its pointers to the service's series, the registry erases them (scrapes
// take each family's mutex), the USE collector forgets the service.
#pragma once

#include <chrono>
#include <functional>
#include <vector>

#include "conn/connection_table.h"
#include "discovery/service_registry.h"
#include "metrics/self_metrics.h"
#include "metrics/series_expiry.h"
#include "metrics/service_use_collector.h"
#include "metrics/single_writer.h"
#include "protocols/protocol.h"

namespace redeye {

class SeriesReaper {
 public:
  struct Parts {
    ServiceRegistry& services;
    const ConnectionTable& table;
    std::vector<protocols::ProtocolHandler*> handlers;
    metrics::Registry& registry;
    ServiceUseCollector* use;  // nullptr: no USE metrics (tests)
    SelfMetrics& self;
  };
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `expiry` 0: series never expire (redeye_metric_series is still kept current).
  SeriesReaper(Parts parts, std::chrono::milliseconds expiry,
               Clock clock = &std::chrono::steady_clock::now);

  // Looks at the services, at most once per kInterval. Event thread only.
  void tick();

  static constexpr std::chrono::seconds kInterval{1};

 private:
  void expire(const ServiceIdentity& service);

  Parts parts_;
  metrics::SeriesExpiry expiry_;
  Clock clock_;
  std::chrono::steady_clock::time_point next_;
};

}  // namespace redeye
