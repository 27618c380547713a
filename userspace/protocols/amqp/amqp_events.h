// What an AMQP conversation reports: message-level events, in the order the followed process
// saw the bytes. Destinations are raw names (the default exchange is ""); the metrics decide
// how to label them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace redeye::amqp {

enum class DeliveryKind { kDeliver, kGet };
enum class Outcome { kAck, kNack, kReject };

// Bytes or state the conversation could not follow; each kind is one
// redeye_parse_errors_total{protocol="amqp",kind} series.
enum class Anomaly {
  kCaptureGap,       // uncaptured bytes where the framing was needed (then resync)
  kInvalidFrame,     // bytes that do not start a frame (then resync)
  kOutOfSync,        // bytes skipped while searching for a frame (joined mid-stream, after a gap)
  kBadFrameEnd,      // a whole frame whose last octet is not 0xCE (then resync)
  kUnknownMethod,    // class/method ids 0-9-1 does not define
  kMalformedMethod,  // a complete method frame whose arguments do not parse
  kTruncatedMethod,  // a method's arguments lie beyond the capture limit
  kMalformedHeader,  // a complete content header that does not parse
  kHeadersNotCaptured,  // a delivery's headers table lies beyond the capture limit
  kChannelLimit,        // a channel beyond kMaxChannels: its frames are not followed
  kUnackedLimit,        // a delivery beyond kMaxUnacked: not tracked in flight
  kConfirmLimit,        // a publish beyond kMaxPendingConfirms: its confirm is not timed
  kConsumerLimit,       // a consumer tag beyond kMaxConsumers: its deliveries' queue is unknown
  kRequestLimit,        // a Consume/Get beyond kMaxPendingRequests awaiting a reply
  kNameLimit,           // a queue/exchange name beyond kMaxNames: reported as "_OTHER"
  kCount,
};

// The kind label of each Anomaly, in enum order.
inline constexpr std::array<std::string_view, static_cast<size_t>(Anomaly::kCount)> kAnomalyNames =
    {"capture_gap",          "invalid_frame",    "out_of_sync",      "bad_frame_end",
     "unknown_method",       "malformed_method", "truncated_method", "malformed_content_header",
     "headers_not_captured", "channel_limit",    "unacked_limit",    "confirm_limit",
     "consumer_limit",       "request_limit",    "name_limit"};

// NUL-terminated: the names are string literals.
inline const char* anomaly_name(Anomaly anomaly) {
  return kAnomalyNames[static_cast<size_t>(anomaly)].data();
}

class AmqpEventSink {
 public:
  virtual ~AmqpEventSink() = default;
  // Basic.Publish written by the client.
  virtual void on_published(std::string_view exchange) = 0;
  // A publisher confirm (Basic.Ack / Basic.Nack from the broker) for a publish made in
  // confirm mode; `nanos` from the publish to the confirm.
  virtual void on_confirmed(std::string_view exchange, bool nacked, uint64_t nanos) = 0;
  // Basic.Deliver or Basic.GetOk. `in_flight`: the message now awaits an ack (manual
  // acknowledgement, queue known, within limits); it ends with on_settled or on_returned.
  virtual void on_consumed(std::string_view queue, DeliveryKind kind, bool in_flight) = 0;
  // The client acked, nacked or rejected an in-flight delivery; `nanos` since its delivery.
  virtual void on_settled(std::string_view queue, Outcome outcome, bool requeue,
                          uint64_t nanos) = 0;
  // `count` in-flight deliveries from `queue` ended unsettled: the broker requeues them
  // (channel or connection closed, Basic.Recover, connection gone).
  virtual void on_returned(std::string_view queue, uint64_t count) = 0;
  // A delivered message (Deliver/GetOk) whose headers carry x-death: it was dead-lettered.
  virtual void on_dead_letter_delivered(std::string_view queue) = 0;
  virtual void on_anomaly(Anomaly anomaly, uint64_t count) = 0;
};

}  // namespace redeye::amqp
