#include "protocols/http/http_message_head.h"

#include <string_view>

#include "protocols/http/http_start_line.h"

namespace redeye::http {

namespace {

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

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

// Parses the field lines and the final blank line in `fields`.
bool parse_fields(std::span<const uint8_t> fields, MessageHead& head,
                  std::span<const std::string> select = {}) {
  const std::string_view text(reinterpret_cast<const char*>(fields.data()), fields.size());
  std::size_t pos = 0;
  while (true) {
    const std::size_t lf = text.find('\n', pos);
    if (lf == std::string_view::npos || lf == pos || text[lf - 1] != '\r') return false;
    if (lf == pos + 1) return lf + 1 == text.size();  // the blank line ends the head
    const std::string_view line = text.substr(pos, lf - 1 - pos);
    if (!is_valid_field_line(fields.subspan(pos, line.size()))) return false;
    const std::size_t colon = line.find(':');
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      if (!apply_content_length(value, head)) return false;
    } else if (iequals(name, "transfer-encoding")) {
      apply_transfer_encoding(value, head);
    } else if (iequals(name, "connection")) {
      apply_connection(value, head);
    } else if (iequals(name, "upgrade")) {
      head.has_upgrade = true;
    }
    if (!select.empty()) select_field(name, value, select, head);
    pos = lf + 1;
  }
}

}  // namespace

bool is_valid_field_line(std::span<const uint8_t> line) {
  std::size_t i = 0;
  while (i < line.size() && is_tchar(line[i])) ++i;
  if (i == 0 || i == line.size() || line[i] != ':') return false;
  for (++i; i < line.size(); ++i) {
    const uint8_t c = line[i];
    if (c != '\t' && (c < 0x20 || c == 0x7f)) return false;
  }
  return true;
}

std::optional<MessageHead> parse_request_head(std::span<const uint8_t> head,
                                              std::span<const std::string> select) {
  const std::optional<RequestLine> line = parse_request_line(head);
  if (!line) return std::nullopt;
  MessageHead result;
  result.method = std::string(line->method);
  result.target = std::string(line->target);
  result.minor_version = line->minor_version;
  if (!parse_fields(head.subspan(line->length), result, select)) return std::nullopt;
  if (result.has_transfer_encoding && !result.chunked) return std::nullopt;
  return result;
}

std::optional<MessageHead> parse_response_head(std::span<const uint8_t> head) {
  const std::optional<StatusLine> line = parse_status_line(head);
  if (!line) return std::nullopt;
  MessageHead result;
  result.status_code = line->status_code;
  result.minor_version = line->minor_version;
  if (!parse_fields(head.subspan(line->length), result)) return std::nullopt;
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
