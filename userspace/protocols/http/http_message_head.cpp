#include "protocols/http/http_message_head.h"

#include <string_view>

#include "protocols/http/http_start_line.h"
#include "text/ascii.h"

namespace redeye::http {

namespace {

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

using text::iequals;

// Calls fn(element) for each comma-separated, OWS-trimmed element (empty ones included).
template <typename Fn>
void for_each_element(std::string_view list, Fn&& fn) {
  while (true) {
    const std::size_t comma = list.find(',');
    fn(trim(list.substr(0, comma)));
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

bool parse_decimal(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;  // 19 digits always fit in 64 bits
  uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  out = value;
  return true;
}

bool apply_content_length(std::string_view value, MessageHead& head) {
  bool ok = true;
  for_each_element(value, [&](std::string_view element) {
    uint64_t length = 0;
    if (!parse_decimal(element, length) ||
        (head.content_length.has_value() && *head.content_length != length)) {
      ok = false;
      return;
    }
    head.content_length = length;
  });
  return ok;
}

void apply_transfer_encoding(std::string_view value, MessageHead& head) {
  head.has_transfer_encoding = true;
  for_each_element(value, [&](std::string_view element) {
    if (element.empty()) return;
    const std::string_view coding = trim(element.substr(0, element.find(';')));
    head.chunked = iequals(coding, "chunked");
  });
}

void apply_connection(std::string_view value, MessageHead& head) {
  for_each_element(value, [&](std::string_view option) {
    if (iequals(option, "close")) head.connection_close = true;
    if (iequals(option, "keep-alive")) head.connection_keep_alive = true;
    if (iequals(option, "upgrade")) head.connection_upgrade = true;
  });
}

// Keeps `value` if `name` is among `select` and more wanted than what was kept before.
void select_field(std::string_view name, std::string_view value,
                  std::span<const std::string> select, MessageHead& head) {
  const std::size_t limit =
      head.selected_index < 0 ? select.size() : static_cast<std::size_t>(head.selected_index);
  for (std::size_t i = 0; i < limit; ++i) {
    if (iequals(name, select[i])) {
      head.selected_value.assign(value);
      head.selected_index = static_cast<int>(i);
      return;
    }
  }
}

// ASCII lower case of a tchar (other bytes are returned unchanged).
constexpr char ascii_lower(uint8_t c) {
  return static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
}

// Whether `name` equals the lower-case `lower_name`, in any case.
bool name_is(const uint8_t* name, std::size_t size, std::string_view lower_name) {
  if (size != lower_name.size()) return false;
  for (std::size_t i = 0; i < size; ++i) {
    if (ascii_lower(name[i]) != lower_name[i]) return false;
  }
  return true;
}

// The framing-relevant fields a head may carry.
enum class Field : uint8_t { kOther, kContentLength, kTransferEncoding, kConnection, kUpgrade };

Field classify(const uint8_t* name, std::size_t size) {
  switch (size) {
    case 7:
      return name_is(name, size, "upgrade") ? Field::kUpgrade : Field::kOther;
    case 10:
      return name_is(name, size, "connection") ? Field::kConnection : Field::kOther;
    case 14:
      return name_is(name, size, "content-length") ? Field::kContentLength : Field::kOther;
    case 17:
      return name_is(name, size, "transfer-encoding") ? Field::kTransferEncoding : Field::kOther;
    default:
      return Field::kOther;
  }
}

// Parses field lines and the blank line that ends them at the start of `fields`, in one pass:
// each line is `token ":" value CRLF` (see is_valid_field_line). Returns the number of bytes up
// to and including the blank line, or 0 if a line is invalid or `fields` ends before the blank
// line.
std::size_t parse_fields(std::span<const uint8_t> fields, MessageHead& head,
                         std::span<const std::string> select = {}) {
  const uint8_t* p = fields.data();
  const std::size_t n = fields.size();
  std::size_t pos = 0;
  while (true) {
    std::size_t i = skip_tchars(p, pos, n);
    if (i == pos) {
      // No field name: only the blank line may follow.
      return n - pos >= 2 && p[pos] == '\r' && p[pos + 1] == '\n' ? pos + 2 : 0;
    }
    if (i == n || p[i] != ':') return 0;
    const std::size_t name_end = i;
    i = skip_field_value(p, i + 1, n);
    if (n - i < 2 || p[i] != '\r' || p[i + 1] != '\n') return 0;
    const std::string_view value =
        trim(std::string_view(reinterpret_cast<const char*>(p) + name_end + 1, i - name_end - 1));
    switch (classify(p + pos, name_end - pos)) {
      case Field::kContentLength:
        if (!apply_content_length(value, head)) return 0;
        break;
      case Field::kTransferEncoding:
        apply_transfer_encoding(value, head);
        break;
      case Field::kConnection:
        apply_connection(value, head);
        break;
      case Field::kUpgrade:
        head.has_upgrade = true;
        break;
      case Field::kOther:
        break;
    }
    if (!select.empty()) {
      const std::string_view name(reinterpret_cast<const char*>(p) + pos, name_end - pos);
      select_field(name, value, select, head);
    }
    pos = i + 2;
  }
}

}  // namespace

bool is_valid_field_line(std::span<const uint8_t> line) {
  const uint8_t* p = line.data();
  const std::size_t n = line.size();
  const std::size_t i = skip_tchars(p, 0, n);
  if (i == 0 || i == n || p[i] != ':') return false;
  return skip_field_value(p, i + 1, n) == n;
}

std::optional<MessageHead> parse_request_head_prefix(std::span<const uint8_t> bytes,
                                                     std::span<const std::string> select,
                                                     std::size_t& length) {
  const std::optional<RequestLine> line = parse_request_line(bytes);
  if (!line) return std::nullopt;
  std::optional<MessageHead> result(std::in_place);
  result->method = line->method;
  result->target = line->target;
  result->minor_version = line->minor_version;
  const std::size_t fields = parse_fields(bytes.subspan(line->length), *result, select);
  if (fields == 0) return std::nullopt;
  if (result->has_transfer_encoding && !result->chunked) return std::nullopt;
  length = line->length + fields;
  return result;
}

std::optional<MessageHead> parse_response_head_prefix(std::span<const uint8_t> bytes,
                                                      std::size_t& length) {
  const std::optional<StatusLine> line = parse_status_line(bytes);
  if (!line) return std::nullopt;
  std::optional<MessageHead> result(std::in_place);
  result->status_code = line->status_code;
  result->minor_version = line->minor_version;
  const std::size_t fields = parse_fields(bytes.subspan(line->length), *result);
  if (fields == 0) return std::nullopt;
  length = line->length + fields;
  return result;
}

std::optional<MessageHead> parse_request_head(std::span<const uint8_t> head,
                                              std::span<const std::string> select) {
  std::size_t length = 0;
  std::optional<MessageHead> result = parse_request_head_prefix(head, select, length);
  if (result && length != head.size()) result.reset();
  return result;
}

std::optional<MessageHead> parse_response_head(std::span<const uint8_t> head) {
  std::size_t length = 0;
  std::optional<MessageHead> result = parse_response_head_prefix(head, length);
  if (result && length != head.size()) result.reset();
  return result;
}

BodyFraming request_body_framing(const MessageHead& request) {
  if (request.chunked) return {BodyKind::kChunked, 0};
  if (request.content_length) return {BodyKind::kLength, *request.content_length};
  return {BodyKind::kNone, 0};
}

BodyFraming response_body_framing(const MessageHead& response, bool request_was_head,
                                  bool request_was_connect) {
  const int status = response.status_code;
  if (request_was_head || status < 200 || status == 204 || status == 304) return {};
  if (request_was_connect && status < 300) return {};
  if (response.has_transfer_encoding) {
    return {response.chunked ? BodyKind::kChunked : BodyKind::kUntilClose, 0};
  }
  if (response.content_length) return {BodyKind::kLength, *response.content_length};
  return {BodyKind::kUntilClose, 0};
}

}  // namespace redeye::http
