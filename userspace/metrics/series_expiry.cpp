#include "metrics/series_expiry.h"

#include <algorithm>

namespace redeye::metrics {

std::vector<ServiceIdentity> SeriesExpiry::update(const std::set<ServiceIdentity>& live,
                                                  const std::set<ServiceIdentity>& touched,
                                                  uint64_t scrapes, Clock::time_point now) {
  std::vector<ServiceIdentity> expired;
  if (after_.count() == 0) return expired;
  // A touched service was live since the last look, even if it is gone again.
  for (const auto* services : {&live, &touched}) {
    for (const ServiceIdentity& service : *services) services_[service].reset();
  }
  for (auto it = services_.begin(); it != services_.end();) {
    std::optional<Gone>& gone = it->second;
    if (live.contains(it->first)) {
      ++it;
      continue;
    }
    if (!gone) gone = Gone{now, scrapes};
    if (now - gone->since >= after_ && scrapes > gone->scrapes) {
      expired.push_back(it->first);
      it = services_.erase(it);
    } else {
      ++it;
    }
  }
  return expired;
}

std::size_t SeriesExpiry::gone() const {
  return static_cast<std::size_t>(
      std::count_if(services_.begin(), services_.end(),
                    [](const auto& entry) { return entry.second.has_value(); }));
}

}  // namespace redeye::metrics
