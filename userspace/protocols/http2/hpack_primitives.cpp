#include "protocols/http2/hpack_primitives.h"

#include <array>

#include "protocols/http2/hpack_huffman.h"

namespace redeye::http2 {
namespace {

// RFC 7541 Appendix A: index 1 is the first entry.
constexpr std::array<StaticEntry, kStaticTableSize> kStaticTable = {{
    {":authority", ""},
    {":method", "GET"},
    {":method", "POST"},
    {":path", "/"},
    {":path", "/index.html"},
    {":scheme", "http"},
    {":scheme", "https"},
    {":status", "200"},
    {":status", "204"},
    {":status", "206"},
    {":status", "304"},
    {":status", "400"},
    {":status", "404"},
    {":status", "500"},
    {"accept-charset", ""},
    {"accept-encoding", "gzip, deflate"},
    {"accept-language", ""},
    {"accept-ranges", ""},
    {"accept", ""},
    {"access-control-allow-origin", ""},
    {"age", ""},
    {"allow", ""},
    {"authorization", ""},
    {"cache-control", ""},
    {"content-disposition", ""},
    {"content-encoding", ""},
    {"content-language", ""},
    {"content-length", ""},
    {"content-location", ""},
    {"content-range", ""},
    {"content-type", ""},
    {"cookie", ""},
    {"date", ""},
    {"etag", ""},
    {"expect", ""},
    {"expires", ""},
    {"from", ""},
    {"host", ""},
    {"if-match", ""},
    {"if-modified-since", ""},
    {"if-none-match", ""},
    {"if-range", ""},
    {"if-unmodified-since", ""},
    {"last-modified", ""},
    {"link", ""},
    {"location", ""},
    {"max-forwards", ""},
    {"proxy-authenticate", ""},
    {"proxy-authorization", ""},
    {"range", ""},
    {"referer", ""},
    {"refresh", ""},
    {"retry-after", ""},
    {"server", ""},
    {"set-cookie", ""},
    {"strict-transport-security", ""},
    {"transfer-encoding", ""},
    {"user-agent", ""},
    {"vary", ""},
    {"via", ""},
    {"www-authenticate", ""},
}};

}  // namespace

const StaticEntry& static_entry(uint32_t index) { return kStaticTable[index - 1]; }

bool HpackCursor::integer(int prefix_bits, uint32_t& value) {
  if (p_ == end_) return false;
  const uint32_t max_prefix = (1u << prefix_bits) - 1;
  uint64_t v = *p_++ & max_prefix;
  if (v < max_prefix) {
    value = static_cast<uint32_t>(v);
    return true;
  }
  for (int shift = 0; shift <= 28; shift += 7) {
    if (p_ == end_) return false;
    const uint8_t b = *p_++;
    v += static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) {
      if (v > kMaxInteger) return false;
      value = static_cast<uint32_t>(v);
      return true;
    }
  }
  return false;  // more continuation bytes than a 32-bit value needs
}

bool HpackCursor::string(std::string& out, size_t max_len, bool& kept) {
  if (p_ == end_) return false;
  const bool huffman = (*p_ & 0x80) != 0;
  uint32_t length = 0;
  if (!integer(7, length) || length > static_cast<size_t>(end_ - p_)) return false;
  const std::span<const uint8_t> raw(p_, length);
  p_ += length;
  kept = true;
  if (!huffman) {
    if (length > max_len) {
      kept = false;
      out.clear();
      return true;
    }
    out.assign(reinterpret_cast<const char*>(raw.data()), raw.size());
    return true;
  }
  switch (huffman_decode(raw, out, max_len)) {
    case HuffmanResult::kOk:
      return true;
    case HuffmanResult::kTooLong:
      kept = false;
      return true;
    case HuffmanResult::kInvalid:
      break;
  }
  return false;
}

}  // namespace redeye::http2
