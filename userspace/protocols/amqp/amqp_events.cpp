#include "protocols/amqp/amqp_events.h"

namespace redeye::amqp {

const char* anomaly_name(Anomaly anomaly) {
  switch (anomaly) {
    case Anomaly::kCaptureGap:
      return "capture_gap";
    case Anomaly::kInvalidFrame:
      return "invalid_frame";
    case Anomaly::kOutOfSync:
      return "out_of_sync";
    case Anomaly::kBadFrameEnd:
      return "bad_frame_end";
    case Anomaly::kUnknownMethod:
      return "unknown_method";
    case Anomaly::kMalformedMethod:
      return "malformed_method";
    case Anomaly::kTruncatedMethod:
      return "truncated_method";
    case Anomaly::kMalformedHeader:
      return "malformed_content_header";
    case Anomaly::kHeadersNotCaptured:
      return "headers_not_captured";
    case Anomaly::kChannelLimit:
      return "channel_limit";
    case Anomaly::kUnackedLimit:
      return "unacked_limit";
    case Anomaly::kConfirmLimit:
      return "confirm_limit";
    case Anomaly::kConsumerLimit:
      return "consumer_limit";
    case Anomaly::kRequestLimit:
      return "request_limit";
    case Anomaly::kNameLimit:
      return "name_limit";
    case Anomaly::kCount:
      break;
  }
  return "unknown";
}

}  // namespace redeye::amqp
