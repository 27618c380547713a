// The protocol table: every protocol redeye parses, one row each.
#include "metrics/self_metrics.h"
#include "protocols/amqp/amqp_protocol.h"
#include "protocols/http/http_protocol.h"
#include "protocols/http2/http2_protocol.h"
#include "protocols/postgres/postgres_protocol.h"
#include "protocols/protocol.h"

namespace redeye::protocols {

std::span<const ProtocolDescriptor* const> registered_protocols() {
  static const ProtocolDescriptor* const kTable[] = {
      &http::descriptor(),
      &postgres::descriptor(),
      &amqp::descriptor(),
      &http2::descriptor(),
  };
  return kTable;
}

const ProtocolDescriptor* find_protocol(uint8_t kernel_id) {
  for (const ProtocolDescriptor* protocol : registered_protocols()) {
    if (protocol->kernel_id == kernel_id) return protocol;
  }
  return nullptr;
}

std::vector<ProtocolHandler*> ProtocolHandlers::all() const {
  std::vector<ProtocolHandler*> out;
  for (const auto& handler : owned) out.push_back(handler.get());
  return out;
}

ProtocolHandlers create_handlers(const ProtocolContext& context) {
  ProtocolHandlers handlers;
  for (const ProtocolDescriptor* protocol : registered_protocols()) {
    context.self.declare_parse_errors(protocol->name, protocol->anomalies);
    for (std::string_view reason : protocol->not_measured) {
      context.self.declare_not_measured(protocol->name, std::string(reason));
    }
    handlers.owned.push_back(protocol->create(context));
    handlers.by_kernel_id[protocol->kernel_id] = handlers.owned.back().get();
  }
  return handlers;
}

}  // namespace redeye::protocols
