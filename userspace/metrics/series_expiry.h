// When the series of a service that is gone may be dropped (docs/DESIGN.md, "Series
// lifetime"). A service is gone when it has no process and no open connection; its series
// expire once it has been gone for `after` and at least one scrape of /metrics has started
// since it went, so its final counts were seen. A service that comes back before that keeps
// its series. Pure bookkeeping: the caller says what is live and what to drop.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "discovery/service_info.h"

namespace redeye::metrics {

class SeriesExpiry {
 public:
  using Clock = std::chrono::steady_clock;
  // `after` 0: series never expire.
  explicit SeriesExpiry(std::chrono::milliseconds after) : after_(after) {}

  // One look at the services at `now`. `live`: those with a process or an open connection;
  // `touched`: those that had one since the previous call (some may be gone again);
  // `scrapes`: scrapes of /metrics started so far. Returns the services to expire now (no
  // longer tracked afterwards).
  std::vector<ServiceIdentity> update(const std::set<ServiceIdentity>& live,
                                      const std::set<ServiceIdentity>& touched, uint64_t scrapes,
                                      Clock::time_point now);

  std::size_t tracked() const { return services_.size(); }
  std::size_t gone() const;

 private:
  struct Gone {
    Clock::time_point since;
    uint64_t scrapes;  // the scrape count when it went
  };
  std::chrono::milliseconds after_;
  std::map<ServiceIdentity, std::optional<Gone>> services_;  // nullopt: live
};

}  // namespace redeye::metrics
