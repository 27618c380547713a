// The protocol table: every protocol redeye parses, by the id the kernel classifier gives it.
#include "protocols/amqp/amqp_protocol.h"
#include "protocols/http/http_protocol.h"
#include "protocols/postgres/postgres_protocol.h"
#include "protocols/protocol.h"
#include "redeye/abi.h"

namespace redeye::protocols {

namespace {

constexpr ProtocolSpec kProtocols[] = {
    {REDEYE_PROTO_HTTP1, "http", &http::make_http_handler},
    {REDEYE_PROTO_POSTGRES, "postgresql", &postgres::make_postgres_handler},
    {REDEYE_PROTO_AMQP, "amqp", &amqp::make_amqp_handler},
};

}  // namespace

std::span<const ProtocolSpec> registered_protocols() { return kProtocols; }

}  // namespace redeye::protocols
