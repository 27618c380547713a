// HTTP/2 in the protocol table: gRPC calls of client- and server-side conversations feed
// Http2Metrics; parse anomalies go to redeye_parse_errors_total{protocol="http2"}, streams not
// measured (plain HTTP/2 among them, for now) to redeye_requests_not_measured_total.
#pragma once

#include <memory>

#include "protocols/protocol.h"

namespace redeye::http2 {

std::unique_ptr<protocols::ProtocolHandler> make_http2_handler(
    const protocols::ProtocolContext& context);

// Its row in the protocol table (protocols/registry.cpp).
const protocols::ProtocolDescriptor& descriptor();

}  // namespace redeye::http2
