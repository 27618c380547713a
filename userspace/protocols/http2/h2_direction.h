// One direction of an HTTP/2 connection above the frame reader: header blocks assembled from
// HEADERS / PUSH_PROMISE and their CONTINUATION frames and decoded by this direction's HPACK
// decoder, DATA content, RST_STREAM, GOAWAY and SETTINGS, reported to DirectionEvents. Memory
// is bounded by the header block kept (kMaxHeaderBlock) and the decoder's table.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "protocols/http2/h2_events.h"
#include "protocols/http2/h2_frame_reader.h"
#include "protocols/http2/h2_header_facts.h"
#include "protocols/http2/hpack_decoder.h"
#include "protocols/protocol.h"

namespace redeye::http2 {

// The SETTINGS values the parser follows, as one SETTINGS frame announced them.
struct Settings {
  std::optional<uint32_t> header_table_size;
  std::optional<uint32_t> max_frame_size;
};

// `request_side`: the client-to-server direction.
class DirectionEvents {
 public:
  virtual ~DirectionEvents() = default;
  virtual void on_preface() = 0;
  // A complete header block (facts lost when it was lost or did not decode).
  virtual void on_headers(bool request_side, uint32_t stream, const HeaderFacts& facts,
                          bool end_stream, uint64_t ts_ns) = 0;
  virtual void on_data(bool request_side, uint32_t stream, std::span<const uint8_t> bytes,
                       uint64_t lost) = 0;
  virtual void on_data_end(bool request_side, uint32_t stream, bool end_stream, uint64_t ts_ns) = 0;
  virtual void on_reset(uint32_t stream, uint32_t error_code, uint64_t ts_ns) = 0;
  virtual void on_goaway(bool request_side, uint32_t last_stream, uint64_t ts_ns) = 0;
  virtual void on_settings(bool request_side, const Settings& settings) = 0;
  virtual void on_settings_ack(bool request_side) = 0;
  virtual void on_frames_lost(bool request_side) = 0;
  virtual void on_anomaly(H2Anomaly anomaly) = 0;
};

class H2Direction : private FrameHandler {
 public:
  static constexpr size_t kMaxHeaderBlock = 16384;
  static constexpr size_t kMaxPendingSettings = 4;

  H2Direction(bool request_side, DirectionEvents& events);
  H2Direction(const H2Direction&) = delete;
  H2Direction& operator=(const H2Direction&) = delete;

  void feed(const protocols::Chunk& chunk) {
    reader_.feed(chunk.captured, chunk.uncaptured, chunk.ts_ns);
  }
  // The connection was seen from its preface.
  void start_from_preface() {
    reader_.start_at_first_byte();
    hpack_.start_from_preface();
  }
  HpackDecoder& hpack() { return hpack_; }
  const HpackDecoder& hpack() const { return hpack_; }
  const FrameReader& reader() const { return reader_; }

  // The receiver of this direction announced `settings`: raises apply at once, the values
  // themselves once this direction's sender acknowledges them (acknowledged()).
  void announce(const Settings& settings);
  void acknowledged();

 private:
  void on_preface() override { events_.on_preface(); }
  void on_frame_start(const FrameHeader& header, uint64_t ts_ns) override;
  void on_frame_content(std::span<const uint8_t> bytes) override;
  void on_frame_content_lost(uint64_t n) override;
  void on_frame_end(uint64_t ts_ns) override;
  void on_sync_lost(SyncLoss why) override;

  void apply(const Settings& settings);
  void open_block(bool push);
  // The block in progress will never complete: HPACK loses its place.
  void abandon_block();
  void complete_block(uint64_t ts_ns);
  bool in_block_frame() const;

  const bool request_side_;
  DirectionEvents& events_;
  FrameReader reader_;
  HpackDecoder hpack_;
  HeaderFacts facts_;

  FrameHeader frame_;
  bool skip_frame_ = false;  // a CONTINUATION with no block to continue
  bool after_loss_ = false;  // frames were lost since the last block began

  bool block_open_ = false;
  bool block_push_ = false;
  bool block_lost_ = false;  // a fragment was not captured, or the block grew too large
  bool block_end_stream_ = false;
  uint32_t block_stream_ = 0;
  std::vector<uint8_t> block_;

  std::array<uint8_t, 8> control_{};  // RST_STREAM, GOAWAY: the fields needed
  uint8_t control_have_ = 0;
  bool control_lost_ = false;
  std::array<uint8_t, 6> setting_{};  // SETTINGS: the entry being read
  uint8_t setting_have_ = 0;
  bool settings_lost_ = false;
  Settings settings_;
  std::vector<Settings> pending_;  // announced for this direction, not yet acknowledged
};

}  // namespace redeye::http2
