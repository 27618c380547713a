// HTTP/2 frame headers (RFC 9113 section 4.1): the 9-byte header, the frame types and flags
// the parser uses, and the rules a header must follow to be taken as a frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace redeye::http2 {

inline constexpr size_t kFrameHeaderSize = 9;
// SETTINGS_MAX_FRAME_SIZE: its initial value, and the largest a peer may announce.
inline constexpr uint32_t kDefaultMaxFrameSize = 16384;
inline constexpr uint32_t kLargestMaxFrameSize = (1u << 24) - 1;

// The client connection preface (RFC 9113 section 3.4), then a SETTINGS frame.
inline constexpr std::string_view kClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum class FrameType : uint8_t {
  kData = 0,
  kHeaders = 1,
  kPriority = 2,
  kRstStream = 3,
  kSettings = 4,
  kPushPromise = 5,
  kPing = 6,
  kGoaway = 7,
  kWindowUpdate = 8,
  kContinuation = 9,
};

inline constexpr uint8_t kFlagEndStream = 0x1;
inline constexpr uint8_t kFlagAck = 0x1;
inline constexpr uint8_t kFlagEndHeaders = 0x4;
inline constexpr uint8_t kFlagPadded = 0x8;
inline constexpr uint8_t kFlagPriority = 0x20;

// SETTINGS identifiers the parser follows.
inline constexpr uint16_t kSettingsHeaderTableSize = 0x1;
inline constexpr uint16_t kSettingsMaxFrameSize = 0x5;

struct FrameHeader {
  uint32_t length = 0;
  uint8_t type = 0;
  uint8_t flags = 0;
  uint32_t stream_id = 0;  // the reserved bit masked off
  bool reserved_bit = false;

  FrameType kind() const { return static_cast<FrameType>(type); }
  bool known_type() const { return type <= static_cast<uint8_t>(FrameType::kContinuation); }
  bool has(uint8_t flag) const { return (flags & flag) != 0; }
};

// The header in the first 9 bytes of `bytes` (which must hold them).
FrameHeader parse_frame_header(std::span<const uint8_t, kFrameHeaderSize> bytes);

// A known frame type that breaks its type's stream or length rules (a peer would close the
// connection): the reader takes it as a sign it lost the frame boundaries.
bool violates_type_rules(const FrameHeader& header);

// Strict test for finding frame boundaries again after lost bytes: a known type with only
// that type's flags, the reserved bit clear, the type's rules, length <= max_frame_size.
bool plausible_frame(const FrameHeader& header, uint32_t max_frame_size);

}  // namespace redeye::http2
