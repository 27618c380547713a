// PostgreSQL in the protocol table: client- and server-side conversations feeding
// PostgresMetrics, parse anomalies into redeye_parse_errors_total{protocol="postgresql"}.
#pragma once

#include <memory>

#include "protocols/protocol.h"

namespace redeye::postgres {

std::unique_ptr<protocols::ProtocolHandler> make_postgres_handler(
    const protocols::ProtocolContext& context);

// Its row in the protocol table (protocols/registry.cpp).
const protocols::ProtocolDescriptor& descriptor();

}  // namespace redeye::postgres
