// One direction of an HTTP/2 connection cut into frames: pure (bytes in, callbacks out), state
// bounded by the 9-byte header it may be assembling. Frames may be split across chunks and a
// chunk may hold many. The handler sees each frame's content: DATA and HEADERS without the
// PADDED pad length and padding, HEADERS without the PRIORITY fields, PUSH_PROMISE without the
// promised stream id. Uncaptured content bytes of a frame whose length is known are reported
// as lost content (for DATA the caller just skips them); uncaptured bytes where a frame header
// was needed lose the frame boundaries. The reader then waits for a chunk that starts with
// plausible frame headers (writes start at a frame boundary) and goes on from there.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "protocols/http2/h2_frame.h"

namespace redeye::http2 {

enum class SyncLoss : uint8_t {
  kGap,             // bytes not captured where a frame header or padding length was needed
  kFrameTooLarge,   // a frame length over the direction's SETTINGS_MAX_FRAME_SIZE
  kMalformedFrame,  // a known frame type breaking its rules (length, stream, padding)
  kBadPreface,      // the client preface did not match, or no SETTINGS frame followed it
};

class FrameHandler {
 public:
  virtual ~FrameHandler() = default;
  // The client direction began with the 24-byte connection preface.
  virtual void on_preface() {}
  virtual void on_frame_start(const FrameHeader& header, uint64_t ts_ns) = 0;
  virtual void on_frame_content(std::span<const uint8_t> bytes) = 0;
  // `n` content bytes of the current frame were not captured.
  virtual void on_frame_content_lost(uint64_t n) = 0;
  virtual void on_frame_end(uint64_t ts_ns) = 0;
  // Frame boundaries are lost: a frame in progress ends here without on_frame_end, and the
  // frames until the reader is in step again are not seen.
  virtual void on_sync_lost(SyncLoss why) = 0;
};

class FrameReader {
 public:
  // `client_stream`: the client-to-server direction, which may begin with the preface.
  FrameReader(bool client_stream, FrameHandler& handler);

  void feed(std::span<const uint8_t> captured, uint64_t uncaptured, uint64_t ts_ns);

  // SETTINGS_MAX_FRAME_SIZE the receiver of this direction announced (clamped to the legal
  // range).
  void set_max_frame_size(uint32_t size);
  uint32_t max_frame_size() const { return max_frame_size_; }
  bool in_sync() const { return state_ != State::kUnsynced; }
  // The connection was seen from its preface: a server direction that has had no bytes yet
  // starts at a frame, in step from its first byte.
  void start_at_first_byte();

  // A chunk whose captured bytes start with plausible frame headers (at least one whole
  // header; every header walked within them plausible).
  static bool starts_with_frames(std::span<const uint8_t> captured, uint32_t max_frame_size);

 private:
  enum class State : uint8_t {
    kStart,      // client direction, nothing seen: the preface or a joined connection
    kPreface,    // inside the preface
    kHeader,     // assembling a frame header
    kPadLength,  // the PADDED pad length byte
    kFields,     // HEADERS priority fields, PUSH_PROMISE promised stream id: skipped
    kContent,
    kPadding,
    kUnsynced,
  };

  // Consumes `n` bytes: from `data` when captured, else uncaptured (data == nullptr).
  void consume(const uint8_t* data, uint64_t n, uint64_t ts_ns);
  void start_frame(uint64_t ts_ns);
  void enter_fields(uint64_t ts_ns);
  void enter_content(uint64_t ts_ns);
  void enter_padding(uint64_t ts_ns);
  void finish_frame(uint64_t ts_ns);
  void lose(SyncLoss why);

  FrameHandler& handler_;
  State state_;
  uint32_t max_frame_size_ = kDefaultMaxFrameSize;
  bool expect_settings_ = false;  // the frame after the preface must be SETTINGS
  bool fed_ = false;              // bytes were fed
  uint8_t have_ = 0;              // header bytes assembled, or preface bytes matched
  std::array<uint8_t, kFrameHeaderSize> header_{};
  FrameHeader frame_;
  uint32_t fields_left_ = 0;
  uint32_t content_left_ = 0;
  uint32_t pad_left_ = 0;
};

}  // namespace redeye::http2
