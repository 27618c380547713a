#include "protocols/amqp/amqp_method.h"

#include "protocols/amqp/amqp_constants.h"
#include "protocols/amqp/amqp_wire_reader.h"

namespace redeye::amqp {
namespace {

bool one_of(uint16_t id, std::initializer_list<uint16_t> ids) {
  for (uint16_t candidate : ids) {
    if (id == candidate) return true;
  }
  return false;
}

// Reads the arguments of the methods the conversation acts on.
bool read_arguments(WireReader& r, Method& m) {
  uint16_t reserved = 0;
  uint8_t bits = 0;
  if (m.class_id == kClassConfirm && m.method_id == kConfirmSelect) {
    if (!r.octet(bits)) return false;
    m.no_wait = bit(bits, 0);
    return true;
  }
  if (m.class_id != kClassBasic) return true;
  switch (m.method_id) {
    case kBasicConsume:  // reserved-1, queue, consumer-tag, no-local no-ack exclusive no-wait
      if (!r.u16(reserved) || !r.shortstr(m.queue) || !r.shortstr(m.consumer_tag) ||
          !r.octet(bits)) {
        return false;
      }
      m.no_ack = bit(bits, 1);
      m.no_wait = bit(bits, 3);
      return true;
    case kBasicConsumeOk:  // consumer-tag
    case kBasicCancelOk:
      return r.shortstr(m.consumer_tag);
    case kBasicCancel:  // consumer-tag, no-wait
      if (!r.shortstr(m.consumer_tag) || !r.octet(bits)) return false;
      m.no_wait = bit(bits, 0);
      return true;
    case kBasicPublish:  // reserved-1, exchange, routing-key, mandatory immediate
      return r.u16(reserved) && r.shortstr(m.exchange);
    case kBasicDeliver:  // consumer-tag, delivery-tag, redelivered, exchange, routing-key
      return r.shortstr(m.consumer_tag) && r.u64(m.delivery_tag);
    case kBasicGet:  // reserved-1, queue, no-ack
      if (!r.u16(reserved) || !r.shortstr(m.queue) || !r.octet(bits)) return false;
      m.no_ack = bit(bits, 0);
      return true;
    case kBasicGetOk:  // delivery-tag, redelivered, exchange, routing-key, message-count
      return r.u64(m.delivery_tag);
    case kBasicAck:  // delivery-tag, multiple
      if (!r.u64(m.delivery_tag) || !r.octet(bits)) return false;
      m.multiple = bit(bits, 0);
      return true;
    case kBasicReject:  // delivery-tag, requeue
      if (!r.u64(m.delivery_tag) || !r.octet(bits)) return false;
      m.requeue = bit(bits, 0);
      return true;
    case kBasicNack:  // delivery-tag, multiple requeue
      if (!r.u64(m.delivery_tag) || !r.octet(bits)) return false;
      m.multiple = bit(bits, 0);
      m.requeue = bit(bits, 1);
      return true;
    case kBasicRecover:  // requeue
    case kBasicRecoverAsync:
      if (!r.octet(bits)) return false;
      m.requeue = bit(bits, 0);
      return true;
    default:
      return true;
  }
}

}  // namespace

bool is_known_method(uint16_t class_id, uint16_t method_id) {
  switch (class_id) {
    case kClassConnection:  // + RabbitMQ: blocked/unblocked, update-secret(-ok)
      return one_of(method_id, {10, 11, 20, 21, 30, 31, 40, 41, 50, 51, 60, 61, 70, 71});
    case kClassChannel:
      return one_of(method_id, {10, 11, 20, 21, 40, 41});
    case kClassExchange:  // + RabbitMQ: bind/bind-ok, unbind/unbind-ok
      return one_of(method_id, {10, 11, 20, 21, 30, 31, 40, 51});
    case kClassQueue:
      return one_of(method_id, {10, 11, 20, 21, 30, 31, 40, 41, 50, 51});
    case kClassBasic:
      return one_of(method_id,
                    {10, 11, 20, 21, 30, 31, 40, 50, 60, 70, 71, 72, 80, 90, 100, 110, 111, 120});
    case kClassConfirm:
      return one_of(method_id, {10, 11});
    case kClassTx:
      return one_of(method_id, {10, 11, 20, 21, 30, 31});
    default:
      return false;
  }
}

MethodParse parse_method(std::span<const uint8_t> payload, bool cut, Method& out) {
  WireReader reader(payload);
  if (!reader.u16(out.class_id) || !reader.u16(out.method_id)) {
    return cut ? MethodParse::kTruncated : MethodParse::kMalformed;
  }
  if (!is_known_method(out.class_id, out.method_id)) return MethodParse::kUnknown;
  if (!read_arguments(reader, out)) return cut ? MethodParse::kTruncated : MethodParse::kMalformed;
  return MethodParse::kOk;
}

}  // namespace redeye::amqp
