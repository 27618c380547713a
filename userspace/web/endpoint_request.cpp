#include "web/endpoint_request.h"

#include <cctype>

#include "text/ascii.h"

namespace redeye::web {
namespace {

using text::iequals;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isupper(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

size_t request_head_end(std::string_view bytes) {
  const size_t crlf = bytes.find("\r\n\r\n");
  const size_t lf = bytes.find("\n\n");
  if (crlf == std::string_view::npos && lf == std::string_view::npos) return std::string_view::npos;
  if (lf == std::string_view::npos || (crlf != std::string_view::npos && crlf < lf))
    return crlf + 4;
  return lf + 2;
}

std::optional<EndpointRequest> parse_endpoint_request(std::string_view head) {
  if (head.size() > kMaxRequestHead) return std::nullopt;
  size_t line_end = head.find('\n');
  if (line_end == std::string_view::npos) return std::nullopt;
  std::string_view line = trim(head.substr(0, line_end));
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return std::nullopt;
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method) || target.empty() || target.front() != '/') return std::nullopt;
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return std::nullopt;
  if (const size_t q = target.find_first_of("?#"); q != std::string_view::npos) {
    target = target.substr(0, q);
  }
  EndpointRequest request{std::string(method), std::string(target), {}};
  std::string_view rest = head.substr(line_end + 1);
  while (!rest.empty()) {
    const size_t end = rest.find('\n');
    std::string_view field = trim(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (field.empty()) break;
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    if (iequals(field.substr(0, colon), "authorization")) {
      request.authorization = std::string(trim(field.substr(colon + 1)));
    }
  }
  return request;
}

}  // namespace redeye::web
