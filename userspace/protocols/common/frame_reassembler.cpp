#include "protocols/common/frame_reassembler.h"

#include <algorithm>

namespace redeye::protocols {
namespace {

// Bytes added per probe attempt: headers are short, and probing a whole chunk per frame
// would copy it once per frame it holds.
constexpr size_t kProbeWindow = 64;

}  // namespace

FrameReassembler::FrameReassembler(const FrameDecoder& decoder, size_t max_frame_bytes,
                                   bool start_in_sync)
    : decoder_(decoder), max_frame_bytes_(max_frame_bytes), in_sync_(start_in_sync) {}

void FrameReassembler::lose_sync() {
  in_sync_ = false;
  pending_.clear();
  frame_length_ = 0;
  frame_seen_ = 0;
}

void FrameReassembler::feed(std::span<const uint8_t> captured, uint64_t uncaptured, uint64_t ts_ns,
                            const FrameCallback& on_frame) {
  consume(captured, ts_ns, on_frame);
  if (uncaptured == 0) return;
  if (!in_sync_) {
    stats_.skipped_bytes += uncaptured;
    return;
  }
  // Unseen bytes are harmless only inside a frame of known length.
  if (frame_length_ != 0 && frame_seen_ + uncaptured <= frame_length_) {
    frame_seen_ += uncaptured;
    if (frame_seen_ == frame_length_) {
      on_frame({pending_, frame_length_, ts_ns});
      pending_.clear();
      frame_length_ = frame_seen_ = 0;
    }
    return;
  }
  // They run past the current frame: it still ends (truncated) where its length says; what
  // follows it is the gap.
  if (frame_length_ != 0) {
    uncaptured -= frame_length_ - frame_seen_;
    on_frame({pending_, frame_length_, ts_ns});
  }
  stats_.gaps++;
  stats_.skipped_bytes += uncaptured;
  lose_sync();
}

void FrameReassembler::consume(std::span<const uint8_t> bytes, uint64_t ts_ns,
                               const FrameCallback& on_frame) {
  while (!bytes.empty()) {
    if (!in_sync_) {
      const size_t boundary = decoder_.find_boundary(bytes);
      stats_.skipped_bytes += boundary;
      bytes = bytes.subspan(boundary);
      if (bytes.empty()) return;
      in_sync_ = true;
      stats_.resyncs++;
    }
    if (frame_length_ == 0 && pending_.empty()) {
      // Fast path: a frame that starts here and ends inside these bytes is delivered in place,
      // without a copy. The probe sees what the buffered path below would give it.
      const size_t window = std::min({bytes.size(), max_frame_bytes_, kProbeWindow});
      const FrameProbe probe = decoder_.probe(bytes.first(window));
      if (probe.result == ProbeResult::kFrame && probe.length != 0 &&
          probe.length <= bytes.size()) {
        const size_t length = static_cast<size_t>(probe.length);
        on_frame({bytes.first(std::min(length, max_frame_bytes_)), probe.length, ts_ns});
        bytes = bytes.subspan(length);
        continue;
      }
    }
    if (frame_length_ == 0) {
      // Learn the frame's length from its header, buffering a split header.
      const size_t before = pending_.size();
      const size_t room = max_frame_bytes_ - std::min(before, max_frame_bytes_);
      const size_t take = std::min({bytes.size(), room, kProbeWindow});
      pending_.insert(pending_.end(), bytes.begin(), bytes.begin() + take);
      const FrameProbe probe = decoder_.probe(pending_);
      if (probe.result == ProbeResult::kNeedMore) {
        if (pending_.size() >= max_frame_bytes_) {  // a header that never ends
          stats_.invalid++;
          lose_sync();
          bytes = bytes.subspan(take);
          continue;
        }
        frame_seen_ = pending_.size();
        bytes = bytes.subspan(take);
        continue;
      }
      if (probe.result == ProbeResult::kInvalid || probe.length == 0) {
        stats_.invalid++;
        // Resync from the byte after this (bad) frame start.
        std::vector<uint8_t> rest(pending_.begin() + 1, pending_.end());
        const std::span<const uint8_t> remaining = bytes.subspan(take);
        lose_sync();
        stats_.skipped_bytes += 1;
        consume(rest, ts_ns, on_frame);
        bytes = remaining;
        continue;
      }
      frame_length_ = probe.length;
      // pending_ now holds `before + take` bytes from the frame start; keep only the frame's.
      frame_seen_ = before;
      pending_.resize(before);
    }
    // Append this frame's bytes (kept up to max_frame_bytes_, counted beyond).
    const uint64_t need = frame_length_ - frame_seen_;
    const size_t take = static_cast<size_t>(std::min<uint64_t>(need, bytes.size()));
    const size_t keep_room =
        max_frame_bytes_ > pending_.size() ? max_frame_bytes_ - pending_.size() : 0;
    const size_t keep = std::min(take, keep_room);
    pending_.insert(pending_.end(), bytes.begin(), bytes.begin() + keep);
    frame_seen_ += take;
    bytes = bytes.subspan(take);
    if (frame_seen_ == frame_length_) {
      on_frame({pending_, frame_length_, ts_ns});
      pending_.clear();
      frame_length_ = frame_seen_ = 0;
    }
  }
}

}  // namespace redeye::protocols
