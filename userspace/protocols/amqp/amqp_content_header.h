// AMQP content header frames (frame type 2): class, body size, property flags and, of the
// Basic properties, the `headers` table, looked through for RabbitMQ's `x-death` field (set on
// messages that were dead-lettered).
#pragma once

#include <cstdint>
#include <span>

namespace redeye::amqp {

struct ContentHeader {
  uint16_t class_id = 0;
  uint64_t body_size = 0;
  uint16_t property_flags = 0;  // the first flags word: bit 15 = content-type, ...
  bool has_headers = false;
  bool x_death = false;  // the headers table has a top-level "x-death" field
};

enum class HeaderParse {
  kOk,
  kTruncated,  // the bytes needed lie beyond what was captured
  kMalformed,
};

// `payload`: the frame's payload (after the 7-byte frame header, without the frame-end octet),
// possibly only its first bytes; `cut` says it was cut short (capture limit), so running out
// of bytes is kTruncated rather than kMalformed.
HeaderParse parse_content_header(std::span<const uint8_t> payload, bool cut, ContentHeader& out);

}  // namespace redeye::amqp
