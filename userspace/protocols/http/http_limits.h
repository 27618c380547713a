// Per-connection bounds of the HTTP/1.x parser.
#pragma once

#include <cstddef>

namespace redeye::http {

// Cap on a message head (start line + field lines + blank line) per direction, and on a chunked
// body's trailer section. Exceeding it is kHeadTooLarge.
inline constexpr std::size_t kMaxHeadBytes = 16 * 1024;
// A chunk-size line (size + extensions, without CRLF) longer than this is malformed.
inline constexpr std::size_t kMaxChunkLineBytes = 4096;
// Requests started but not yet answered; more is kTooManyPipelined.
inline constexpr std::size_t kMaxPendingRequests = 64;
// Methods longer than this are not considered when resynchronising on a request-line.
inline constexpr std::size_t kMaxResyncMethodBytes = 64;

}  // namespace redeye::http
