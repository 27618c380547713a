// AMQP 0-9-1 method frames (frame type 1): class id, method id and the arguments of the methods
// that move messages (Basic.*, Confirm.Select) or end their lifetime (Channel/Connection.Close).
// Only the arguments the conversation needs are read, in declaration order, so a method cut
// short by the capture limit still yields its leading arguments.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace redeye::amqp {

struct Method {
  uint16_t class_id = 0;
  uint16_t method_id = 0;
  std::string_view exchange;      // Basic.Publish
  std::string_view queue;         // Basic.Consume, Basic.Get
  std::string_view consumer_tag;  // Basic.Consume/ConsumeOk/Cancel/CancelOk/Deliver
  uint64_t delivery_tag = 0;      // Basic.Deliver/GetOk/Ack/Nack/Reject
  bool multiple = false;          // Basic.Ack/Nack
  bool requeue = false;           // Basic.Nack/Reject/Recover
  bool no_ack = false;            // Basic.Consume/Get
  bool no_wait = false;           // Basic.Consume/Cancel, Confirm.Select

  bool is(uint16_t c, uint16_t m) const { return class_id == c && method_id == m; }
};

enum class MethodParse {
  kOk,
  kUnknown,    // class/method ids that 0-9-1 (with RabbitMQ's extensions) does not define
  kTruncated,  // arguments lie beyond what was captured
  kMalformed,  // the frame is complete but its arguments do not parse
};

// True for the class/method ids of AMQP 0-9-1 and RabbitMQ's extensions.
bool is_known_method(uint16_t class_id, uint16_t method_id);

// `payload`: the frame's payload, possibly cut short (`cut`): see parse_content_header. The
// string views in `out` point into `payload`.
MethodParse parse_method(std::span<const uint8_t> payload, bool cut, Method& out);

}  // namespace redeye::amqp
