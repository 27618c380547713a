#include "protocols/amqp/amqp_field_table.h"

#include "protocols/amqp/amqp_constants.h"

namespace redeye::amqp {
namespace {

bool skip_table_body(std::span<const uint8_t> body, int depth) {
  WireReader reader(body);
  while (reader.remaining() > 0) {
    std::string_view name;
    uint8_t type = 0;
    if (!reader.shortstr(name) || !reader.octet(type)) return false;
    if (!skip_field_value(reader, type, depth)) return false;
  }
  return true;
}

bool skip_array_body(std::span<const uint8_t> body, int depth) {
  WireReader reader(body);
  while (reader.remaining() > 0) {
    uint8_t type = 0;
    if (!reader.octet(type) || !skip_field_value(reader, type, depth)) return false;
  }
  return true;
}

}  // namespace

bool skip_field_value(WireReader& reader, uint8_t type, int depth) {
  std::span<const uint8_t> nested;
  switch (type) {
    case 't':  // boolean
    case 'b':  // short-short-int
    case 'B':  // short-short-uint
      return reader.skip(1);
    case 's':  // short-int (RabbitMQ)
    case 'u':  // short-uint
    case 'U':  // short-int (0-9-1 specification)
      return reader.skip(2);
    case 'I':  // long-int
    case 'i':  // long-uint
    case 'f':  // float
      return reader.skip(4);
    case 'l':  // long-long-int
    case 'L':  // long-long (0-9-1 specification)
    case 'd':  // double
    case 'T':  // timestamp
      return reader.skip(8);
    case 'D':  // decimal: scale octet + long
      return reader.skip(5);
    case 'S':  // long string
    case 'x':  // byte array (RabbitMQ)
      return reader.longstr(nested);
    case 'V':  // void
      return true;
    case 'A':  // field array
      return depth < kMaxFieldDepth && reader.longstr(nested) && skip_array_body(nested, depth + 1);
    case 'F':  // field table
      return depth < kMaxFieldDepth && reader.longstr(nested) && skip_table_body(nested, depth + 1);
    default:
      return false;
  }
}

TableScan scan_field_table(std::span<const uint8_t> body, std::string_view key) {
  TableScan scan;
  WireReader reader(body);
  while (reader.remaining() > 0) {
    std::string_view name;
    uint8_t type = 0;
    if (!reader.shortstr(name) || !reader.octet(type)) return scan;
    if (name == key) scan.found = true;
    if (!skip_field_value(reader, type, 1)) return scan;
  }
  scan.valid = true;
  return scan;
}

}  // namespace redeye::amqp
