// The protocol table: every protocol redeye parses, by the id the kernel classifier gives it.
#include "protocols/http/http_protocol.h"
#include "protocols/protocol.h"
#include "redeye/abi.h"

namespace redeye::protocols {

namespace {

constexpr ProtocolSpec kProtocols[] = {
    {REDEYE_PROTO_HTTP1, "http", &http::make_http_handler},
};

}  // namespace

std::span<const ProtocolSpec> registered_protocols() { return kProtocols; }

}  // namespace redeye::protocols
