// Histogram boundaries shared by the HTTP server and client metrics.
#pragma once

#include "metrics/single_writer.h"

namespace redeye::http {

// Seconds: the boundaries OpenTelemetry recommends for http.*.request.duration.
inline const metrics::Histogram::BucketBoundaries kDurationBuckets = {
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10};
// Bytes, x4 steps from 64 B to 16 MiB.
inline const metrics::Histogram::BucketBoundaries kBodyBuckets = {
    64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216};

}  // namespace redeye::http
