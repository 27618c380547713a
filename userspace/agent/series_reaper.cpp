#include "agent/series_reaper.h"

#include <spdlog/spdlog.h>

#include "metrics/service_labels.h"

namespace redeye {

SeriesReaper::SeriesReaper(Parts parts, std::chrono::milliseconds expiry, Clock clock)
    : parts_(std::move(parts)), expiry_(expiry), clock_(std::move(clock)), next_(clock_()) {}

void SeriesReaper::tick() {
  const auto now = clock_();
  if (now < next_) return;
  next_ = now + kInterval;
  ServiceActivity activity = parts_.services.take_activity();
  parts_.table.add_held_services(activity.live);
  const auto expired =
      expiry_.update(activity.live, activity.touched, parts_.registry.scrapes(), now);
  for (const ServiceIdentity& service : expired) expire(service);
  if (!expired.empty()) parts_.self.services_expired(expired.size());
  parts_.self.set_metric_series(parts_.registry.series_count());
}

void SeriesReaper::expire(const ServiceIdentity& service) {
  for (protocols::ProtocolHandler* handler : parts_.handlers) handler->forget_service(service);
  const std::size_t removed = parts_.registry.remove_series(service_labels(service));
  if (parts_.use) parts_.use->forget_service(service);
  spdlog::debug("series of service {} (namespace '{}', instance {}) expired: {} series dropped",
                service.name, service.service_namespace, service.instance_id, removed);
}

}  // namespace redeye
