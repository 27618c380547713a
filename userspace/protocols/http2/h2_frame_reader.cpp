#include "protocols/http2/h2_frame_reader.h"

#include <algorithm>
#include <cstring>

namespace redeye::http2 {

FrameReader::FrameReader(bool client_stream, FrameHandler& handler)
    : handler_(handler), state_(client_stream ? State::kStart : State::kUnsynced) {}

void FrameReader::set_max_frame_size(uint32_t size) {
  max_frame_size_ = std::clamp(size, kDefaultMaxFrameSize, kLargestMaxFrameSize);
}

bool FrameReader::starts_with_frames(std::span<const uint8_t> captured, uint32_t max_frame_size) {
  constexpr int kMaxWalked = 16;
  if (captured.size() < kFrameHeaderSize) return false;
  size_t off = 0;
  for (int i = 0; i < kMaxWalked && off + kFrameHeaderSize <= captured.size(); ++i) {
    const FrameHeader h = parse_frame_header(captured.subspan(off).first<kFrameHeaderSize>());
    if (!plausible_frame(h, max_frame_size)) return false;
    off += kFrameHeaderSize + h.length;
  }
  return true;
}

void FrameReader::start_at_first_byte() {
  if (!fed_ && state_ == State::kUnsynced) state_ = State::kHeader;
}

void FrameReader::feed(std::span<const uint8_t> captured, uint64_t uncaptured, uint64_t ts_ns) {
  fed_ = fed_ || !captured.empty() || uncaptured != 0;
  if (state_ == State::kStart && !captured.empty()) {
    // A connection seen from its first byte starts with the preface; one joined later (or whose
    // first bytes were not captured) at a frame.
    state_ =
        captured[0] == static_cast<uint8_t>(kClientPreface[0]) ? State::kPreface : State::kUnsynced;
  }
  if (state_ == State::kUnsynced) {
    if (!starts_with_frames(captured, max_frame_size_)) return;  // still lost: skip the chunk
    state_ = State::kHeader;
    have_ = 0;
  }
  consume(captured.data(), captured.size(), ts_ns);
  if (uncaptured != 0) consume(nullptr, uncaptured, ts_ns);
}

void FrameReader::consume(const uint8_t* data, uint64_t n, uint64_t ts_ns) {
  while (n != 0) {
    uint64_t step = 0;
    switch (state_) {
      case State::kUnsynced:
        return;
      case State::kStart:
        lose(SyncLoss::kGap);  // the first bytes were not captured
        return;
      case State::kPreface: {
        if (data == nullptr) {
          lose(SyncLoss::kGap);
          return;
        }
        step = std::min<uint64_t>(n, kClientPreface.size() - have_);
        if (std::memcmp(data, kClientPreface.data() + have_, step) != 0) {
          lose(SyncLoss::kBadPreface);
          return;
        }
        have_ = static_cast<uint8_t>(have_ + step);
        if (have_ == kClientPreface.size()) {
          have_ = 0;
          state_ = State::kHeader;
          expect_settings_ = true;
          handler_.on_preface();
        }
        break;
      }
      case State::kHeader: {
        if (data == nullptr) {
          lose(SyncLoss::kGap);
          return;
        }
        step = std::min<uint64_t>(n, kFrameHeaderSize - have_);
        std::memcpy(header_.data() + have_, data, step);
        have_ = static_cast<uint8_t>(have_ + step);
        if (have_ == kFrameHeaderSize) {
          have_ = 0;
          start_frame(ts_ns);
        }
        break;
      }
      case State::kPadLength: {
        if (data == nullptr) {
          lose(SyncLoss::kGap);
          return;
        }
        step = 1;
        pad_left_ = data[0];
        content_left_ -= 1;  // the pad length byte itself
        if (pad_left_ + fields_left_ > content_left_) {
          lose(SyncLoss::kMalformedFrame);  // padding longer than the payload
          return;
        }
        content_left_ -= pad_left_;
        enter_fields(ts_ns);
        break;
      }
      case State::kFields:
        step = std::min<uint64_t>(n, fields_left_);
        fields_left_ -= static_cast<uint32_t>(step);
        content_left_ -= static_cast<uint32_t>(step);
        if (fields_left_ == 0) enter_content(ts_ns);
        break;
      case State::kContent:
        step = std::min<uint64_t>(n, content_left_);
        content_left_ -= static_cast<uint32_t>(step);
        if (data != nullptr) {
          handler_.on_frame_content({data, static_cast<size_t>(step)});
        } else {
          handler_.on_frame_content_lost(step);
        }
        if (content_left_ == 0) enter_padding(ts_ns);
        break;
      case State::kPadding:
        step = std::min<uint64_t>(n, pad_left_);
        pad_left_ -= static_cast<uint32_t>(step);
        if (pad_left_ == 0) finish_frame(ts_ns);
        break;
    }
    n -= step;
    if (data != nullptr) data += step;
  }
}

void FrameReader::start_frame(uint64_t ts_ns) {
  const FrameHeader h = parse_frame_header(header_);
  if (expect_settings_) {
    expect_settings_ = false;
    if (h.kind() != FrameType::kSettings || h.has(kFlagAck)) {
      lose(SyncLoss::kBadPreface);
      return;
    }
  }
  if (h.length > max_frame_size_) {
    lose(SyncLoss::kFrameTooLarge);
    return;
  }
  if (h.known_type() && violates_type_rules(h)) {
    lose(SyncLoss::kMalformedFrame);
    return;
  }
  frame_ = h;
  const bool paddable = h.kind() == FrameType::kData || h.kind() == FrameType::kHeaders ||
                        h.kind() == FrameType::kPushPromise;
  fields_left_ = 0;
  if (h.kind() == FrameType::kHeaders && h.has(kFlagPriority)) fields_left_ = 5;
  if (h.kind() == FrameType::kPushPromise) fields_left_ = 4;
  content_left_ = h.length;  // the whole payload until the pad length is known
  pad_left_ = 0;
  handler_.on_frame_start(h, ts_ns);
  if (paddable && h.has(kFlagPadded)) {
    if (h.length == 0) {
      lose(SyncLoss::kMalformedFrame);
      return;
    }
    state_ = State::kPadLength;
    return;
  }
  enter_fields(ts_ns);
}

void FrameReader::enter_fields(uint64_t ts_ns) {
  if (fields_left_ > content_left_) {
    lose(SyncLoss::kMalformedFrame);
    return;
  }
  if (fields_left_ != 0) {
    state_ = State::kFields;
    return;
  }
  enter_content(ts_ns);
}

void FrameReader::enter_content(uint64_t ts_ns) {
  // content_left_ is now the content alone: fields and padding are taken off.
  state_ = State::kContent;
  if (content_left_ == 0) enter_padding(ts_ns);
}

void FrameReader::enter_padding(uint64_t ts_ns) {
  state_ = State::kPadding;
  if (pad_left_ == 0) finish_frame(ts_ns);
}

void FrameReader::finish_frame(uint64_t ts_ns) {
  state_ = State::kHeader;
  have_ = 0;
  handler_.on_frame_end(ts_ns);
}

void FrameReader::lose(SyncLoss why) {
  state_ = State::kUnsynced;
  have_ = 0;
  expect_settings_ = false;
  handler_.on_sync_lost(why);
}

}  // namespace redeye::http2
