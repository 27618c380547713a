#include "protocols/http2/h2_frame.h"

namespace redeye::http2 {

FrameHeader parse_frame_header(std::span<const uint8_t, kFrameHeaderSize> b) {
  FrameHeader h;
  h.length = (uint32_t{b[0]} << 16) | (uint32_t{b[1]} << 8) | b[2];
  h.type = b[3];
  h.flags = b[4];
  const uint32_t stream =
      (uint32_t{b[5]} << 24) | (uint32_t{b[6]} << 16) | (uint32_t{b[7]} << 8) | b[8];
  h.reserved_bit = (stream & 0x80000000u) != 0;
  h.stream_id = stream & 0x7FFFFFFFu;
  return h;
}

bool violates_type_rules(const FrameHeader& h) {
  const bool on_stream = h.stream_id != 0;
  switch (h.kind()) {
    case FrameType::kData:
    case FrameType::kHeaders:
    case FrameType::kContinuation:
    case FrameType::kPushPromise:
      return !on_stream;
    case FrameType::kPriority:
      return !on_stream || h.length != 5;
    case FrameType::kRstStream:
      return !on_stream || h.length != 4;
    case FrameType::kSettings:
      return on_stream || h.length % 6 != 0 || (h.has(kFlagAck) && h.length != 0);
    case FrameType::kPing:
      return on_stream || h.length != 8;
    case FrameType::kGoaway:
      return on_stream || h.length < 8;
    case FrameType::kWindowUpdate:
      return h.length != 4;
  }
  return false;  // extension types are skipped (RFC 9113 section 5.5)
}

bool plausible_frame(const FrameHeader& h, uint32_t max_frame_size) {
  if (!h.known_type() || h.reserved_bit || h.length > max_frame_size) return false;
  if (violates_type_rules(h)) return false;
  uint8_t allowed = 0;
  switch (h.kind()) {
    case FrameType::kData:
      allowed = kFlagEndStream | kFlagPadded;
      break;
    case FrameType::kHeaders:
      allowed = kFlagEndStream | kFlagEndHeaders | kFlagPadded | kFlagPriority;
      break;
    case FrameType::kPushPromise:
      allowed = kFlagEndHeaders | kFlagPadded;
      break;
    case FrameType::kContinuation:
      allowed = kFlagEndHeaders;
      break;
    case FrameType::kSettings:
    case FrameType::kPing:
      allowed = kFlagAck;
      break;
    default:
      break;
  }
  return (h.flags & ~allowed) == 0;
}

}  // namespace redeye::http2
