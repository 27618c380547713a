// Histogram boundaries more than one protocol uses.
#pragma once

#include "metrics/single_writer.h"

namespace redeye::metrics {

// Seconds: the boundaries OpenTelemetry recommends for http.*.request.duration and
// messaging.*.duration.
inline const Histogram::BucketBoundaries kDurationBuckets = {
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10};

}  // namespace redeye::metrics
