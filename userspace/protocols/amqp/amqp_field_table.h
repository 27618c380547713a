// AMQP field tables (the `headers` property, method `arguments`): name/value pairs whose values
// may be tables and arrays again. Walked, never copied, to answer "is there a top-level field
// called X" (x-death) while checking the whole structure is well formed.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "protocols/amqp/amqp_wire_reader.h"

namespace redeye::amqp {

struct TableScan {
  bool valid = false;  // every field parsed, nesting within kMaxFieldDepth
  bool found = false;  // a top-level field named `key` was seen (even if later bytes are bad)
};

// `body`: a field table's bytes after its long-uint size.
TableScan scan_field_table(std::span<const uint8_t> body, std::string_view key);

// Skips one field value of `type` (the octet before it). Accepts the types of the 0-9-1
// specification and of RabbitMQ's errata (which differ on 's' and 'l'; RabbitMQ's reading is
// used: 's' = short-int, 'l' = long-long-int, 'x' = byte array). False on an unknown type,
// truncation or nesting deeper than kMaxFieldDepth.
bool skip_field_value(WireReader& reader, uint8_t type, int depth);

}  // namespace redeye::amqp
