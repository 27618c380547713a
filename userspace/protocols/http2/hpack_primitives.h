// HPACK's building blocks (RFC 7541 sections 5 and Appendix A): prefixed integers, string
// literals (plain or Huffman), the static table. Used by the late-join decoder and by the
// check of dynamic table size updates against SETTINGS_HEADER_TABLE_SIZE.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace redeye::http2 {

inline constexpr uint32_t kStaticTableSize = 61;
// Integers past this are taken as garbage (no index, length or table size gets near it).
inline constexpr uint32_t kMaxInteger = 1u << 30;

struct StaticEntry {
  std::string_view name;
  std::string_view value;
};
// 1 <= index <= kStaticTableSize.
const StaticEntry& static_entry(uint32_t index);

// Reads a header block front to back.
class HpackCursor {
 public:
  explicit HpackCursor(std::span<const uint8_t> block)
      : p_(block.data()), end_(block.data() + block.size()) {}

  bool done() const { return p_ == end_; }
  uint8_t peek() const { return *p_; }
  // An integer with an N-bit prefix (the first byte's other bits are the caller's).
  bool integer(int prefix_bits, uint32_t& value);
  // A string literal, Huffman-decoded when flagged. One longer than `max_len` is checked but
  // not kept: `kept` false, `out` empty. False when the bytes are no valid literal.
  bool string(std::string& out, size_t max_len, bool& kept);

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace redeye::http2
