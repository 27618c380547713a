#include "protocols/amqp/amqp_frame_decoder.h"

#include <algorithm>

#include "protocols/amqp/amqp_constants.h"
#include "protocols/amqp/amqp_method.h"

namespace redeye::amqp {
namespace {

using protocols::FrameProbe;
using protocols::ProbeResult;

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

bool known_type(uint8_t type) {
  return type == kFrameMethod || type == kFrameHeader || type == kFrameBody ||
         type == kFrameHeartbeat;
}

// 1: `bytes` is the protocol header, 0: could still be (too short), -1: is not.
int protocol_header(std::span<const uint8_t> bytes) {
  const size_t n = std::min(bytes.size(), kProtocolHeader.size());
  if (!std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n),
                  kProtocolHeader.begin())) {
    return -1;
  }
  return n == kProtocolHeader.size() ? 1 : 0;
}

}  // namespace

FrameProbe AmqpFrameDecoder::probe(std::span<const uint8_t> bytes) const {
  if (bytes.empty()) return {ProbeResult::kNeedMore, 0};
  if (bytes[0] == kProtocolHeader[0]) {
    const int header = protocol_header(bytes);
    if (header < 0) return {ProbeResult::kInvalid, 0};
    if (header == 0) return {ProbeResult::kNeedMore, 0};
    return {ProbeResult::kFrame, kProtocolHeader.size()};
  }
  if (!known_type(bytes[0])) return {ProbeResult::kInvalid, 0};
  if (bytes.size() < kFrameHeaderBytes) return {ProbeResult::kNeedMore, 0};
  const uint16_t channel = be16(&bytes[1]);
  const uint32_t size = be32(&bytes[3]);
  if (size > kMaxFrameSize) return {ProbeResult::kInvalid, 0};
  if (bytes[0] == kFrameHeartbeat && (size != 0 || channel != 0)) {
    return {ProbeResult::kInvalid, 0};
  }
  if (bytes[0] == kFrameMethod) {
    if (size < 4) return {ProbeResult::kInvalid, 0};
    if (bytes.size() < kFrameHeaderBytes + 4) return {ProbeResult::kNeedMore, 0};
    if (!is_known_method(be16(&bytes[7]), be16(&bytes[9]))) return {ProbeResult::kInvalid, 0};
  }
  if (bytes[0] == kFrameHeader && size < 14) return {ProbeResult::kInvalid, 0};
  const size_t end = kFrameHeaderBytes + size;
  if (end < bytes.size() && bytes[end] != kFrameEnd) return {ProbeResult::kInvalid, 0};
  return {ProbeResult::kFrame, uint64_t{size} + kFrameOverheadBytes};
}

size_t AmqpFrameDecoder::find_boundary(std::span<const uint8_t> bytes) const {
  for (size_t i = 0; i < bytes.size(); i++) {
    if (plausible_frame_start(bytes.subspan(i))) return i;
  }
  return bytes.size();
}

bool plausible_frame_start(std::span<const uint8_t> bytes) {
  if (bytes.size() >= kProtocolHeader.size() && protocol_header(bytes) == 1) return true;
  if (bytes.size() < kFrameHeaderBytes || !known_type(bytes[0])) return false;
  const uint16_t channel = be16(&bytes[1]);
  const uint32_t size = be32(&bytes[3]);
  if (size > kMaxResyncFrameSize) return false;
  const size_t end = kFrameHeaderBytes + size;
  const bool end_visible = end < bytes.size();
  if (end_visible && bytes[end] != kFrameEnd) return false;
  switch (bytes[0]) {
    case kFrameHeartbeat:
      return channel == 0 && size == 0 && end_visible;
    case kFrameMethod: {
      if (size < 4 || bytes.size() < kFrameHeaderBytes + 4) return false;
      const uint16_t class_id = be16(&bytes[7]);
      return is_known_method(class_id, be16(&bytes[9])) &&
             (channel == 0) == (class_id == kClassConnection);
    }
    case kFrameHeader:
      return channel != 0 && size >= 14 && bytes.size() >= kFrameHeaderBytes + 4 &&
             be16(&bytes[7]) == kClassBasic && bytes[9] == 0 && bytes[10] == 0;
    default:  // kFrameBody
      return channel != 0 && end_visible && (end + 1 == bytes.size() || known_type(bytes[end + 1]));
  }
}

}  // namespace redeye::amqp
