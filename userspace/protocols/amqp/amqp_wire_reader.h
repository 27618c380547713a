// Reads AMQP 0-9-1 argument primitives (big-endian integers, packed bits, short and long
// strings) from a bounded byte range. Every read checks the bounds and fails without moving
// when the bytes are not there: a truncated frame is a normal event (capture limit).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace redeye::amqp {

class WireReader {
 public:
  explicit WireReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  bool octet(uint8_t& out);
  bool u16(uint16_t& out);
  bool u32(uint32_t& out);
  bool u64(uint64_t& out);
  // shortstr: octet length, then the bytes.
  bool shortstr(std::string_view& out);
  // longstr (and the body of tables, arrays, byte arrays): long length, then the bytes.
  bool longstr(std::span<const uint8_t>& out);
  bool skip(size_t n);

  size_t remaining() const { return bytes_.size() - pos_; }
  std::span<const uint8_t> rest() const { return bytes_.subspan(pos_); }

 private:
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

// Bit `index` (0 = the first declared bit = the low-order bit) of a packed bit octet.
inline bool bit(uint8_t bits, int index) { return ((bits >> index) & 1u) != 0; }

}  // namespace redeye::amqp
