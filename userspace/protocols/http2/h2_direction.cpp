#include "protocols/http2/h2_direction.h"

#include <algorithm>

namespace redeye::http2 {
namespace {

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// A block buffer past this is given back after use (most blocks are far smaller).
constexpr size_t kKeptBlockCapacity = 4096;

}  // namespace

H2Direction::H2Direction(bool request_side, DirectionEvents& events)
    : request_side_(request_side), events_(events), reader_(request_side, *this) {}

void H2Direction::announce(const Settings& s) {
  if (s.max_frame_size && *s.max_frame_size > reader_.max_frame_size()) {
    reader_.set_max_frame_size(*s.max_frame_size);
  }
  const std::optional<uint32_t> limit = hpack_.table_size_limit();
  if (s.header_table_size && limit && *s.header_table_size > *limit) {
    hpack_.set_table_size_limit(*s.header_table_size);
  }
  pending_.push_back(s);
  if (pending_.size() > kMaxPendingSettings) acknowledged();  // never acknowledged: apply
}

void H2Direction::acknowledged() {
  if (pending_.empty()) return;  // announced before the agent joined
  const Settings s = pending_.front();
  pending_.erase(pending_.begin());
  apply(s);
}

void H2Direction::apply(const Settings& s) {
  if (s.max_frame_size) reader_.set_max_frame_size(*s.max_frame_size);
  if (s.header_table_size) hpack_.set_table_size_limit(*s.header_table_size);
}

bool H2Direction::in_block_frame() const {
  return frame_.kind() == FrameType::kHeaders || frame_.kind() == FrameType::kPushPromise ||
         frame_.kind() == FrameType::kContinuation;
}

void H2Direction::open_block(bool push) {
  block_open_ = true;
  block_push_ = push;
  block_lost_ = false;
  block_end_stream_ = !push && frame_.has(kFlagEndStream);
  block_stream_ = frame_.stream_id;
  block_.clear();
  after_loss_ = false;
}

void H2Direction::abandon_block() {
  block_open_ = false;
  hpack_.lost_block();
}

void H2Direction::on_frame_start(const FrameHeader& h, uint64_t /*ts_ns*/) {
  frame_ = h;
  skip_frame_ = false;
  if (block_open_ && (h.kind() != FrameType::kContinuation || h.stream_id != block_stream_)) {
    // Only CONTINUATION frames of the same stream may follow an unfinished block.
    events_.on_anomaly(H2Anomaly::kMalformedFrame);
    abandon_block();
    if (h.kind() == FrameType::kContinuation) {
      skip_frame_ = true;
      return;
    }
  }
  switch (h.kind()) {
    case FrameType::kHeaders:
      open_block(false);
      break;
    case FrameType::kPushPromise:
      open_block(true);
      break;
    case FrameType::kContinuation:
      if (!block_open_) {
        if (!after_loss_) events_.on_anomaly(H2Anomaly::kMalformedFrame);
        skip_frame_ = true;  // the rest of a block whose start was lost
      }
      break;
    case FrameType::kSettings:
      setting_have_ = 0;
      settings_lost_ = false;
      settings_ = {};
      break;
    default:
      control_have_ = 0;
      control_lost_ = false;
      break;
  }
}

void H2Direction::on_frame_content(std::span<const uint8_t> bytes) {
  if (skip_frame_) return;
  switch (frame_.kind()) {
    case FrameType::kData:
      events_.on_data(request_side_, frame_.stream_id, bytes, 0);
      return;
    case FrameType::kHeaders:
    case FrameType::kPushPromise:
    case FrameType::kContinuation:
      if (block_lost_) return;
      if (block_.size() + bytes.size() > kMaxHeaderBlock) {
        events_.on_anomaly(H2Anomaly::kHeaderBlockTooLarge);
        block_lost_ = true;
        block_.clear();
        return;
      }
      block_.insert(block_.end(), bytes.begin(), bytes.end());
      return;
    case FrameType::kSettings:
      for (uint8_t b : bytes) {
        setting_[setting_have_++] = b;
        if (setting_have_ < setting_.size()) continue;
        setting_have_ = 0;
        const uint16_t id = static_cast<uint16_t>((setting_[0] << 8) | setting_[1]);
        const uint32_t value = be32(setting_.data() + 2);
        if (id == kSettingsHeaderTableSize) settings_.header_table_size = value;
        if (id == kSettingsMaxFrameSize) settings_.max_frame_size = value;
      }
      return;
    case FrameType::kRstStream:
    case FrameType::kGoaway: {
      if (control_lost_) return;
      const size_t n = std::min(bytes.size(), control_.size() - control_have_);
      std::copy_n(bytes.begin(), n, control_.begin() + control_have_);
      control_have_ = static_cast<uint8_t>(control_have_ + n);
      return;
    }
    default:
      return;  // PING, WINDOW_UPDATE, PRIORITY, extensions: nothing the calls need
  }
}

void H2Direction::on_frame_content_lost(uint64_t n) {
  if (skip_frame_) return;
  if (frame_.kind() == FrameType::kData) {
    events_.on_data(request_side_, frame_.stream_id, {}, n);
  } else if (in_block_frame()) {
    if (block_open_ && !block_lost_) {
      events_.on_anomaly(H2Anomaly::kCaptureGap);
      block_lost_ = true;
      block_.clear();
    }
  } else if (frame_.kind() == FrameType::kSettings) {
    settings_lost_ = true;
  } else if (frame_.kind() == FrameType::kRstStream || frame_.kind() == FrameType::kGoaway) {
    // The fields are lost unless they were all read (GOAWAY's debug data does not matter).
    if (control_have_ < control_.size()) control_lost_ = true;
  }
}

void H2Direction::on_frame_end(uint64_t ts_ns) {
  if (skip_frame_) return;
  switch (frame_.kind()) {
    case FrameType::kData:
      events_.on_data_end(request_side_, frame_.stream_id, frame_.has(kFlagEndStream), ts_ns);
      return;
    case FrameType::kHeaders:
    case FrameType::kPushPromise:
    case FrameType::kContinuation:
      if (block_open_ && frame_.has(kFlagEndHeaders)) complete_block(ts_ns);
      return;
    case FrameType::kSettings:
      if (frame_.has(kFlagAck)) {
        events_.on_settings_ack(request_side_);
      } else if (!settings_lost_) {
        events_.on_settings(request_side_, settings_);
      }
      return;
    case FrameType::kRstStream:
      if (!control_lost_ && control_have_ >= 4)
        events_.on_reset(frame_.stream_id, be32(control_.data()), ts_ns);
      return;
    case FrameType::kGoaway:
      if (!control_lost_ && control_have_ >= 8) {
        events_.on_goaway(request_side_, be32(control_.data()) & 0x7FFFFFFFu, ts_ns);
      }
      return;
    default:
      return;
  }
}

void H2Direction::complete_block(uint64_t ts_ns) {
  block_open_ = false;
  facts_.clear();
  if (block_lost_) {
    hpack_.lost_block();
    facts_.mark_lost();
  } else {
    const DecodeResult result = hpack_.decode(block_, facts_);
    if (result != DecodeResult::kOk) {
      events_.on_anomaly(result == DecodeResult::kTableSizeOverLimit
                             ? H2Anomaly::kTableSizeOverLimit
                             : H2Anomaly::kHeaderBlockUndecodable);
      facts_.mark_lost();
    }
  }
  if (block_.capacity() > kKeptBlockCapacity) {
    std::vector<uint8_t>().swap(block_);
  } else {
    block_.clear();
  }
  if (!block_push_)
    events_.on_headers(request_side_, block_stream_, facts_, block_end_stream_, ts_ns);
}

void H2Direction::on_sync_lost(SyncLoss why) {
  switch (why) {
    case SyncLoss::kGap:
      events_.on_anomaly(H2Anomaly::kCaptureGap);
      break;
    case SyncLoss::kFrameTooLarge:
      events_.on_anomaly(H2Anomaly::kFrameTooLarge);
      break;
    case SyncLoss::kMalformedFrame:
      events_.on_anomaly(H2Anomaly::kMalformedFrame);
      break;
    case SyncLoss::kBadPreface:
      events_.on_anomaly(H2Anomaly::kBadPreface);
      break;
  }
  // Any header block may have been in the bytes lost: the dynamic table is unknown now.
  block_open_ = false;
  block_.clear();
  hpack_.lost_block();
  after_loss_ = true;
  skip_frame_ = false;
  events_.on_frames_lost(request_side_);
}

}  // namespace redeye::http2
