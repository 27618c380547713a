// Parsing of a complete HTTP/1.x message head: start line, header fields and the blank line.
// Pure functions of bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace redeye::http {

struct MessageHead {
  // Requests only: views into the parsed bytes (valid as long as they are).
  std::string_view method;  // exactly as sent
  std::string_view target;  // raw request-target
  // Responses only.
  int status_code = 0;

  int minor_version = 1;  // the x of HTTP/1.x
  std::optional<uint64_t> content_length;
  bool has_transfer_encoding = false;
  bool chunked = false;  // the final transfer coding is "chunked"
  bool connection_close = false;
  bool connection_keep_alive = false;
  bool connection_upgrade = false;
  bool has_upgrade = false;  // an Upgrade header field is present

  // Requests only: the value (OWS-trimmed) of a field the caller asked for (see
  // parse_request_head), and the index of its name in the caller's list; -1 if none was found.
  std::string selected_value;
  int selected_index = -1;

  // Whether the connection persists after this message (RFC 9112 section 9.3).
  bool keep_alive() const {
    if (connection_close) return false;
    return minor_version >= 1 || connection_keep_alive;
  }
};

// Validates one field line, given without its CRLF: `token ":" value`, where the value holds
// only HTAB, SP, visible ASCII and obs-text. A leading space (obs-fold) or a space before the
// colon makes it invalid.
bool is_valid_field_line(std::span<const uint8_t> line);

// Parse a complete head: `head` must be exactly start line + field lines + CRLF.
// Content-Length must be digits (a comma list or repeated fields are accepted only if all
// values are equal). Connection tokens close/keep-alive/upgrade are recognised.
// parse_request_head also rejects a request whose Transfer-Encoding does not end in chunked,
// because its length cannot be determined (RFC 9112 section 6.3).
//
// `select` lists field names (any case) whose value the caller wants, most wanted first: the
// value of the first field line carrying the most wanted name present goes to selected_value.
// Only these names are looked at; an empty list (the default) adds no work.
std::optional<MessageHead> parse_request_head(std::span<const uint8_t> head,
                                              std::span<const std::string> select = {});
std::optional<MessageHead> parse_response_head(std::span<const uint8_t> head);

// The same for a head at the start of `bytes`, which may go on beyond it: on success, `length`
// is the size of the head (start line + field lines + blank line). nullopt when the head is
// invalid or not complete within `bytes`.
std::optional<MessageHead> parse_request_head_prefix(std::span<const uint8_t> bytes,
                                                     std::span<const std::string> select,
                                                     std::size_t& length);
std::optional<MessageHead> parse_response_head_prefix(std::span<const uint8_t> bytes,
                                                      std::size_t& length);

enum class BodyKind : uint8_t { kNone, kLength, kChunked, kUntilClose };

struct BodyFraming {
  BodyKind kind = BodyKind::kNone;
  uint64_t length = 0;  // for kLength
};

// Request body: chunked if Transfer-Encoding says so, else Content-Length, else none.
BodyFraming request_body_framing(const MessageHead& request);

// Response body (RFC 9112 section 6.3): none for a HEAD request, 1xx, 204 and 304, and for a
// 2xx answer to CONNECT; chunked if the final transfer coding is chunked; read until close if
// there is another Transfer-Encoding; Content-Length; otherwise read until close.
BodyFraming response_body_framing(const MessageHead& response, bool request_was_head,
                                  bool request_was_connect);

}  // namespace redeye::http
