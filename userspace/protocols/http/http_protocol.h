// HTTP/1.x in the protocol table: server conversations feed http_server_* metrics, client
// conversations http_client_* metrics.
#pragma once

#include <memory>

#include "protocols/protocol.h"

namespace redeye::http {

std::unique_ptr<protocols::ProtocolHandler> make_http_handler(
    const protocols::ProtocolContext& context);

// Its row in the protocol table (protocols/registry.cpp).
const protocols::ProtocolDescriptor& descriptor();

}  // namespace redeye::http
