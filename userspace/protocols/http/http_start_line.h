// The first line of an HTTP/1.x message: request-line and status-line (RFC 9112 section 3, 4).
// Lines end in CRLF; a bare LF or CR is invalid. Only HTTP/1.x versions are accepted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "protocols/http/http_char_class.h"
#include "protocols/http/http_limits.h"

namespace redeye::http {

// is_tchar and is_target_char: see http_char_class.h.

enum class LineVerdict { kNeedMore, kComplete, kInvalid };

// Resumable scan of `method SP request-target SP HTTP/1.DIGIT CRLF`, where method is 1+ tchar
// and request-target is 1+ target chars. Call scan_request_line repeatedly on a growing buffer
// with the same state; it only examines bytes it has not seen yet.
struct RequestLineScan {
  enum class Phase : uint8_t { kMethod, kTarget, kVersion, kDone, kInvalid };
  Phase phase = Phase::kMethod;
  std::size_t pos = 0;         // next byte to examine; line length once complete
  std::size_t method_end = 0;  // index of the SP after the method (valid from phase kTarget)
  std::size_t target_end = 0;  // index of the SP after the target (valid from phase kVersion)
};
LineVerdict scan_request_line(std::span<const uint8_t> bytes, RequestLineScan& scan);

struct RequestLine {
  std::string_view method;  // views into the parsed bytes
  std::string_view target;
  int minor_version = 1;
  std::size_t length = 0;  // including CRLF
};
// Parses a complete, valid request-line at the start of `bytes`.
std::optional<RequestLine> parse_request_line(std::span<const uint8_t> bytes);

// The fixed prefix of a status-line: `HTTP/1.DIGIT SP 3DIGIT` followed by SP or CR.
inline constexpr std::size_t kStatusLinePrefixBytes = 13;
// Checks the first min(size, 13) bytes against that prefix: kComplete once all 13 match.
// The status code's first digit must be 1-9.
LineVerdict scan_status_line_prefix(std::span<const uint8_t> bytes);

struct StatusLine {
  int status_code = 0;
  int minor_version = 1;
  std::size_t length = 0;  // including CRLF
};
// Parses a complete, valid status-line (`prefix [reason-phrase] CRLF`, the reason phrase made of
// HTAB, SP, visible ASCII and obs-text) at the start of `bytes`.
std::optional<StatusLine> parse_status_line(std::span<const uint8_t> bytes);

}  // namespace redeye::http
