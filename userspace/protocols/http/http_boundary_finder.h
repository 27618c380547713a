// Resynchronisation: finds where the next HTTP/1.x message starts in bytes that are not known to
// be aligned on a message boundary (joined mid-stream, or after a desync).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "protocols/http/http_limits.h"

namespace redeye::http {

struct Boundary {
  enum class Kind : uint8_t {
    kFound,    // a message starts at `pos`
    kPartial,  // no message start before `pos`; bytes[pos..] may still become one (keep them)
    kNone,     // no message start, and no suffix can become one (drop everything)
  };
  Kind kind = Kind::kNone;
  std::size_t pos = 0;
};

// Earliest `method SP request-target SP HTTP/1.DIGIT CRLF` (the whole line present, at most
// kMaxHeadBytes long, method at most kMaxResyncMethodBytes). If the bytes just before a known
// method (GET, POST, ... see canonical_method) are tchars too, as when a body without a trailing
// newline ends right before the next request ("...1234GET / HTTP/1.1"), the start of the known
// method is reported rather than the start of the longer token.
Boundary find_request_boundary(std::span<const uint8_t> bytes);

// Earliest `HTTP/1.DIGIT SP 3DIGIT` followed by SP or CR (kStatusLinePrefixBytes bytes).
Boundary find_response_boundary(std::span<const uint8_t> bytes);

}  // namespace redeye::http
