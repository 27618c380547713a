#include "protocols/amqp/amqp_wire_reader.h"

namespace redeye::amqp {

bool WireReader::octet(uint8_t& out) {
  if (remaining() < 1) return false;
  out = bytes_[pos_++];
  return true;
}

bool WireReader::u16(uint16_t& out) {
  if (remaining() < 2) return false;
  out = static_cast<uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
  pos_ += 2;
  return true;
}

bool WireReader::u32(uint32_t& out) {
  if (remaining() < 4) return false;
  out = 0;
  for (size_t i = 0; i < 4; i++) out = (out << 8) | bytes_[pos_ + i];
  pos_ += 4;
  return true;
}

bool WireReader::u64(uint64_t& out) {
  if (remaining() < 8) return false;
  out = 0;
  for (size_t i = 0; i < 8; i++) out = (out << 8) | bytes_[pos_ + i];
  pos_ += 8;
  return true;
}

bool WireReader::shortstr(std::string_view& out) {
  if (remaining() < 1) return false;
  const size_t length = bytes_[pos_];
  if (remaining() < 1 + length) return false;
  out = std::string_view(reinterpret_cast<const char*>(bytes_.data() + pos_ + 1), length);
  pos_ += 1 + length;
  return true;
}

bool WireReader::longstr(std::span<const uint8_t>& out) {
  if (remaining() < 4) return false;
  uint32_t length = 0;
  for (size_t i = 0; i < 4; i++) length = (length << 8) | bytes_[pos_ + i];
  if (remaining() - 4 < length) return false;
  out = bytes_.subspan(pos_ + 4, length);
  pos_ += 4 + size_t{length};
  return true;
}

bool WireReader::skip(size_t n) {
  if (remaining() < n) return false;
  pos_ += n;
  return true;
}

}  // namespace redeye::amqp
