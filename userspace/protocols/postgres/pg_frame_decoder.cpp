#include "protocols/postgres/pg_frame_decoder.h"

#include <algorithm>

namespace redeye::postgres {
namespace {

using protocols::FrameProbe;
using protocols::ProbeResult;

constexpr size_t kTypedHeader = 5;    // type byte + int32 length
constexpr size_t kUntypedHeader = 8;  // int32 length + int32 code

bool is_upper(uint8_t c) { return c >= 'A' && c <= 'Z'; }
bool is_letter(uint8_t c) { return is_upper(c) || (c >= 'a' && c <= 'z'); }
bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
// Names (statements, portals, parameters) as drivers generate them, and SQL text.
bool is_text(uint8_t c) { return (c >= 0x20 && c <= 0x7e) || is_space(c) || c >= 0x80; }
bool is_sql_start(uint8_t c) {
  return is_letter(c) || is_space(c) || c == '(' || c == '-' || c == '/';
}

// Checks `body` (possibly cut short) as a \0-terminated text: true when every byte present up
// to the terminator is text. `*after` = offset past the terminator, or body.size().
bool text_field(std::span<const uint8_t> body, size_t* after) {
  for (size_t i = 0; i < body.size(); i++) {
    if (body[i] == 0) {
      *after = i + 1;
      return true;
    }
    if (!is_text(body[i])) return false;
  }
  *after = body.size();
  return true;
}

bool known_auth_code(uint32_t code) {
  switch (code) {
    case 0:   // Ok
    case 2:   // KerberosV5
    case 3:   // CleartextPassword
    case 5:   // MD5Password
    case 7:   // GSS
    case 8:   // GSSContinue
    case 9:   // SSPI
    case 10:  // SASL
    case 11:  // SASLContinue
    case 12:  // SASLFinal
      return true;
    default:
      return false;
  }
}

}  // namespace

FrameProbe PgFrameDecoder::probe(std::span<const uint8_t> bytes) const {
  if (bytes.empty()) return {ProbeResult::kNeedMore, 0};
  const uint8_t first = bytes[0];
  if (stream_ == Stream::kBackend && answer_expected_ &&
      (first == 'S' || first == 'N' || first == 'G')) {
    return {ProbeResult::kFrame, 1};
  }
  if (stream_ == Stream::kFrontend && startup_phase_ && first == 0) {
    if (bytes.size() < kUntypedHeader) return {ProbeResult::kNeedMore, 0};
    const uint32_t length = read_be32(bytes.data());
    if (startup_kind(length, read_be32(bytes.data() + 4)) == StartupKind::kNone) {
      return {ProbeResult::kInvalid, 0};
    }
    return {ProbeResult::kFrame, length};
  }
  const auto bounds = typed_bounds(stream_, first);
  if (!bounds) return {ProbeResult::kInvalid, 0};
  if (bytes.size() < kTypedHeader) return {ProbeResult::kNeedMore, 0};
  const uint32_t length = read_be32(bytes.data() + 1);
  if (length < bounds->min || length > bounds->max) return {ProbeResult::kInvalid, 0};
  return {ProbeResult::kFrame, uint64_t{length} + 1};
}

bool PgFrameDecoder::plausible_body(uint8_t type, std::span<const uint8_t> body) const {
  size_t after = 0;
  if (stream_ == Stream::kFrontend) {
    switch (type) {
      case 'Q':
        return body.empty() || body[0] == 0 || is_sql_start(body[0]);
      case 'P':  // statement name, then SQL
        if (!text_field(body, &after)) return false;
        return after >= body.size() || is_sql_start(body[after]);
      case 'B':  // portal name, statement name
        if (!text_field(body, &after)) return false;
        return after >= body.size() || text_field(body.subspan(after), &after);
      case 'E':
        return text_field(body, &after);
      case 'D':
      case 'C':
        return body.empty() ||
               ((body[0] == 'S' || body[0] == 'P') && text_field(body.subspan(1), &after));
      default:
        return true;
    }
  }
  switch (type) {
    case 'Z':
      return body.empty() || body[0] == 'I' || body[0] == 'T' || body[0] == 'E';
    case 'C':  // a command tag: upper-case words
      return body.empty() || is_upper(body[0]);
    case 'E':
    case 'N':  // field codes are letters; severity comes first
      return body.empty() || is_upper(body[0]);
    case 'S':
      return body.empty() || is_letter(body[0]) || body[0] == '_';
    case 'T':
    case 'D':  // column count: at most MaxTupleAttributeNumber (1664)
      return body.size() < 2 || read_be16(body.data()) <= 1664;
    case 'R':
      return body.size() < 4 || known_auth_code(read_be32(body.data()));
    default:
      return true;
  }
}

bool PgFrameDecoder::plausible_typed(std::span<const uint8_t> bytes, bool check_next) const {
  if (bytes.size() < kTypedHeader) return false;
  const auto bounds = typed_bounds(stream_, bytes[0]);
  if (!bounds) return false;
  const uint32_t length = read_be32(bytes.data() + 1);
  if (length < bounds->min || length > bounds->resync_max) return false;
  const size_t end = size_t{length} + 1;
  const std::span<const uint8_t> body =
      bytes.subspan(kTypedHeader, std::min(bytes.size(), end) - kTypedHeader);
  if (!plausible_body(bytes[0], body)) return false;
  if (!check_next || end >= bytes.size()) return true;
  // The message that follows must start right where this one ends.
  const std::span<const uint8_t> next = bytes.subspan(end);
  if (next.size() < kTypedHeader) return typed_bounds(stream_, next[0]).has_value();
  return plausible_typed(next, false);
}

bool PgFrameDecoder::plausible_start(std::span<const uint8_t> bytes) const {
  if (bytes.empty()) return false;
  if (stream_ == Stream::kFrontend && startup_phase_ && bytes[0] == 0) {
    return bytes.size() >= kUntypedHeader &&
           startup_kind(read_be32(bytes.data()), read_be32(bytes.data() + 4)) != StartupKind::kNone;
  }
  return plausible_typed(bytes, true);
}

size_t PgFrameDecoder::find_boundary(std::span<const uint8_t> bytes) const {
  for (size_t i = 0; i < bytes.size(); i++) {
    if (plausible_start(bytes.subspan(i))) return i;
  }
  return bytes.size();
}

}  // namespace redeye::postgres
