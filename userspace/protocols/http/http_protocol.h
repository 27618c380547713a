// HTTP/1.x in the protocol table: server-side conversations feeding HttpServerMetrics.
#pragma once

#include <memory>

#include "protocols/protocol.h"

namespace redeye::http {

std::unique_ptr<protocols::ProtocolHandler> make_http_handler(
    const protocols::ProtocolContext& context);

}  // namespace redeye::http
