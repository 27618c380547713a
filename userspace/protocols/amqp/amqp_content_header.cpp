#include "protocols/amqp/amqp_content_header.h"

#include <string_view>

#include "protocols/amqp/amqp_field_table.h"
#include "protocols/amqp/amqp_wire_reader.h"

namespace redeye::amqp {
namespace {

// Basic property flags, in wire order from the most significant bit.
constexpr uint16_t kContentType = 1u << 15;
constexpr uint16_t kContentEncoding = 1u << 14;
constexpr uint16_t kHeaders = 1u << 13;
constexpr uint16_t kContinuation = 1u << 0;
// Flag words one header may chain (Basic needs one; the bound only stops a runaway chain).
constexpr int kMaxFlagWords = 4;

}  // namespace

HeaderParse parse_content_header(std::span<const uint8_t> payload, bool cut, ContentHeader& out) {
  const HeaderParse short_of_bytes = cut ? HeaderParse::kTruncated : HeaderParse::kMalformed;
  WireReader reader(payload);
  uint16_t weight = 0;
  if (!reader.u16(out.class_id) || !reader.u16(weight) || !reader.u64(out.body_size) ||
      !reader.u16(out.property_flags)) {
    return short_of_bytes;
  }
  if (weight != 0) return HeaderParse::kMalformed;
  uint16_t word = out.property_flags;
  for (int i = 1; (word & kContinuation) != 0; i++) {
    if (i >= kMaxFlagWords) return HeaderParse::kMalformed;
    if (!reader.u16(word)) return short_of_bytes;
  }
  std::string_view text;
  if ((out.property_flags & kContentType) != 0 && !reader.shortstr(text)) return short_of_bytes;
  if ((out.property_flags & kContentEncoding) != 0 && !reader.shortstr(text)) {
    return short_of_bytes;
  }
  out.has_headers = (out.property_flags & kHeaders) != 0;
  if (!out.has_headers) return HeaderParse::kOk;
  std::span<const uint8_t> table;
  if (!reader.longstr(table)) return short_of_bytes;
  const TableScan scan = scan_field_table(table, "x-death");
  out.x_death = scan.found;
  return scan.valid ? HeaderParse::kOk : HeaderParse::kMalformed;
}

}  // namespace redeye::amqp
