// One decoded header field, as both HPACK decoders give it. A late-joined decoder may not
// know a field: a reference to an entry inserted before the agent saw the connection has
// neither name nor value; a literal naming such an entry has only its value.
#pragma once

#include <string_view>

namespace redeye::http2 {

struct HeaderField {
  std::string_view name;   // empty when !name_known
  std::string_view value;  // empty when !value_known
  bool name_known = true;
  bool value_known = true;
};

class FieldSink {
 public:
  virtual ~FieldSink() = default;
  virtual void on_field(const HeaderField& field) = 0;
};

enum class DecodeResult : uint8_t {
  kOk,
  kInvalid,             // the block is no valid HPACK (or does not fit the decoder's state)
  kTableSizeOverLimit,  // a dynamic table size update over SETTINGS_HEADER_TABLE_SIZE
};

}  // namespace redeye::http2
