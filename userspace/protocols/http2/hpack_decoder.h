// HPACK for one direction of a connection: nghttp2's inflater when the connection was seen
// from its preface, the late-join decoder when it was joined mid-stream, or from the first
// header block this direction lost on (a gap, a block too large to keep, a block that did not
// decode): after a loss the dynamic table is no longer known, so the late-join numbering
// restarts there.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "protocols/http2/hpack_field.h"
#include "protocols/http2/hpack_inflater.h"
#include "protocols/http2/hpack_late_join.h"

namespace redeye::http2 {

class HpackDecoder {
 public:
  // SETTINGS_HEADER_TABLE_SIZE's initial value.
  static constexpr uint32_t kDefaultTableSize = 4096;
  // Past this announced table size nghttp2's table could grow too large for one connection:
  // the direction is decoded by the (bounded) late-join decoder instead.
  static constexpr uint32_t kMaxInflaterTableSize = 65536;

  // The connection was seen from its preface: when nothing of this direction was decoded or
  // lost yet, its blocks go through nghttp2's inflater from here on.
  void start_from_preface();
  DecodeResult decode(std::span<const uint8_t> block, FieldSink& sink);
  // A header block of this direction was lost.
  void lost_block();
  // This direction's receiver announced (raise) or had acknowledged (any change)
  // SETTINGS_HEADER_TABLE_SIZE.
  void set_table_size_limit(uint32_t limit);

  bool late_join() const { return inflater_ == nullptr; }
  std::optional<uint32_t> table_size_limit() const { return limit_; }

 private:
  void fall_back();

  std::unique_ptr<Inflater> inflater_;
  LateJoinDecoder late_;
  std::optional<uint32_t> limit_;  // unknown on a joined connection until SETTINGS say
  bool touched_ = false;           // a block was decoded or lost
};

}  // namespace redeye::http2
