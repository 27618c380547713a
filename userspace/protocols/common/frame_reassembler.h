// Turns one direction of a connection into whole protocol frames, by position. Captured bytes
// may arrive split at any point, and the kernel may report bytes it did not copy
// ("uncaptured": beyond the capture limit). Uncaptured bytes inside a frame whose length is
// known are simply skipped (the frame is delivered truncated, with its true length); anywhere
// else they are a gap: the reassembler drops what it holds, counts the gap and resyncs at the
// next frame boundary the protocol's decoder recognises.
//
// Shared by every length-prefixed protocol (PostgreSQL, AMQP, ...). Pure: no I/O, no clocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace redeye::protocols {

enum class ProbeResult { kNeedMore, kFrame, kInvalid };

struct FrameProbe {
  ProbeResult result = ProbeResult::kInvalid;
  uint64_t length = 0;  // the whole frame's length in bytes, when result == kFrame
};

// What a protocol knows about its framing.
class FrameDecoder {
 public:
  virtual ~FrameDecoder() = default;
  // Examines bytes that should start a frame. kFrame: a frame of `length` bytes starts here
  // (it may extend past the bytes given); kNeedMore: the header is not complete yet;
  // kInvalid: no frame starts here.
  virtual FrameProbe probe(std::span<const uint8_t> bytes) const = 0;
  // Offset of the first plausible frame start in `bytes` (strict: a false boundary costs a
  // wrong frame), or `bytes.size()` when there is none.
  virtual size_t find_boundary(std::span<const uint8_t> bytes) const = 0;
};

struct Frame {
  // The frame, or its first `max_frame_bytes` bytes: in the fed chunk itself when the whole
  // frame is there, else in the reassembler's buffer. Valid only during the callback.
  std::span<const uint8_t> bytes;
  uint64_t length = 0;  // the frame's true length
  bool truncated() const { return bytes.size() < length; }
  uint64_t ts_ns = 0;  // when the frame's last byte was read/written
};

struct ReassemblyStats {
  uint64_t gaps = 0;           // uncaptured bytes where framing was needed
  uint64_t invalid = 0;        // bytes that did not start a frame (then resync)
  uint64_t resyncs = 0;        // times a boundary was found again
  uint64_t skipped_bytes = 0;  // bytes dropped while out of sync
};

class FrameReassembler {
 public:
  using FrameCallback = std::function<void(const Frame&)>;

  // `max_frame_bytes`: frames longer than this are delivered as their prefix.
  // `start_in_sync`: false for a connection joined mid-stream (the first bytes are searched
  // for a boundary instead of trusted).
  FrameReassembler(const FrameDecoder& decoder, size_t max_frame_bytes, bool start_in_sync = true);

  void feed(std::span<const uint8_t> captured, uint64_t uncaptured, uint64_t ts_ns,
            const FrameCallback& on_frame);

  bool in_sync() const { return in_sync_; }
  const ReassemblyStats& stats() const { return stats_; }

 private:
  void consume(std::span<const uint8_t> bytes, uint64_t ts_ns, const FrameCallback& on_frame);
  void lose_sync();

  const FrameDecoder& decoder_;
  size_t max_frame_bytes_;
  bool in_sync_;
  std::vector<uint8_t> pending_;  // bytes of the current frame kept (at most max_frame_bytes_)
  uint64_t frame_length_ = 0;     // 0 = the current frame's length is not known yet
  uint64_t frame_seen_ = 0;       // bytes of the current frame seen (kept or skipped)
  ReassemblyStats stats_;
};

}  // namespace redeye::protocols
