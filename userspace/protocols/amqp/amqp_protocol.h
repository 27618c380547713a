// AMQP 0-9-1 (RabbitMQ) in the protocol table: client-side conversations feeding AmqpMetrics.
#pragma once

#include <memory>

#include "protocols/protocol.h"

namespace redeye::amqp {

// Measures the client role only (the applications). A broker process observed as a server is
// not measured: its view repeats what its clients report (double counting in every sum over
// services), and the messaging_client_* conventions describe clients.
std::unique_ptr<protocols::ProtocolHandler> make_amqp_handler(
    const protocols::ProtocolContext& context);

// Its row in the protocol table (protocols/registry.cpp).
const protocols::ProtocolDescriptor& descriptor();

}  // namespace redeye::amqp
