// Histogram boundaries of the HTTP server and client metrics.
#pragma once

#include "metrics/buckets.h"
#include "metrics/single_writer.h"

namespace redeye::http {

using metrics::kDurationBuckets;
// Bytes, x4 steps from 64 B to 16 MiB.
inline const metrics::Histogram::BucketBoundaries kBodyBuckets = {
    64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216};

}  // namespace redeye::http
