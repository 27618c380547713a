// AMQP 0-9-1 framing for the shared FrameReassembler: the 8-byte protocol header a client
// sends first, then frames of type (octet), channel (short), size (long), payload and the
// frame-end octet 0xCE.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "protocols/common/frame_reassembler.h"

namespace redeye::amqp {

class AmqpFrameDecoder : public protocols::FrameDecoder {
 public:
  // In sync: trusts the header it is given, but rejects frame types 0-9-1 does not define,
  // sizes above kMaxFrameSize, malformed heartbeats, unknown method ids and a frame-end octet
  // that is visible and wrong.
  protocols::FrameProbe probe(std::span<const uint8_t> bytes) const override;
  // Out of sync: the first offset where plausible_frame_start holds.
  size_t find_boundary(std::span<const uint8_t> bytes) const override;
};

// Strict guess that a frame (or the protocol header) starts at bytes[0]: a known type with a
// size up to kMaxResyncFrameSize and, when within `bytes`, the frame-end octet where the size
// says. Beyond that, per type: a heartbeat is on channel 0 with size 0; a method frame has
// known class/method ids, of class Connection exactly on channel 0; a content header is class
// Basic with weight 0 on a channel above 0; a body frame (whose bytes say nothing) must end
// within `bytes`, followed by nothing or by a known frame type.
bool plausible_frame_start(std::span<const uint8_t> bytes);

}  // namespace redeye::amqp
