// HTTP/1.x in the protocol table: server conversations feed http_server_* metrics, client
// conversations (the same matcher, directions swapped) http_client_* metrics.
#pragma once

#include <memory>

#include "protocols/protocol.h"

namespace redeye::http {

std::unique_ptr<protocols::ProtocolHandler> make_http_handler(
    const protocols::ProtocolContext& context);

}  // namespace redeye::http
