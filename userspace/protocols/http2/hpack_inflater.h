// nghttp2's HPACK inflater for one direction of a connection seen from its preface: the
// decoder's state is complete, so every field decodes.
#pragma once

#include <cstddef>
#include <span>

#include "protocols/http2/hpack_field.h"

struct nghttp2_hd_inflater;

namespace redeye::http2 {

class Inflater {
 public:
  Inflater();
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // False when nghttp2 could not allocate one (then nothing decodes).
  bool usable() const { return inflater_ != nullptr; }
  // One complete header block. kInvalid leaves the inflater unusable.
  DecodeResult decode(std::span<const uint8_t> block, FieldSink& sink);
  // SETTINGS_HEADER_TABLE_SIZE as acknowledged (between blocks only).
  bool set_table_size_limit(size_t limit);

 private:
  void drop();

  nghttp2_hd_inflater* inflater_ = nullptr;
};

}  // namespace redeye::http2
