#include "protocols/http/http_route.h"

namespace redeye::http {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool all_of(std::string_view s, bool (*pred)(char)) {
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? s[i] != '-' : !is_hex(s[i])) return false;
  }
  return true;
}

bool is_printable(char c) {
  const auto b = static_cast<unsigned char>(c);
  return b >= 0x21 && b <= 0x7e;
}

bool is_identifier_like(std::string_view segment) {
  if (segment.size() > kMaxSegmentLength) return true;
  if (!all_of(segment, is_printable)) return true;
  if (all_of(segment, is_digit)) return true;
  if (is_uuid(segment)) return true;
  return segment.size() >= 16 && all_of(segment, is_hex);
}

// If `target` is absolute-form (scheme "://" authority [path]), stores the part after the
// authority in `rest` (may be empty or start with '/', '?' or '#') and returns true.
bool strip_scheme_and_authority(std::string_view target, std::string_view& rest) {
  const std::size_t sep = target.find("://");
  if (sep == std::string_view::npos || sep == 0 || !is_alpha(target[0])) return false;
  for (std::size_t i = 1; i < sep; ++i) {
    const char c = target[i];
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
  }
  const std::string_view after = target.substr(sep + 3);
  const std::size_t path_start = after.find_first_of("/?#");
  rest = path_start == std::string_view::npos ? std::string_view{} : after.substr(path_start);
  return true;
}

}  // namespace

std::string normalize_route(std::string_view target) {
  if (target.empty()) return "/";
  if (target == "*") return "*";

  std::string_view path = target;
  if (target.front() != '/') {
    std::string_view rest;
    if (strip_scheme_and_authority(target, rest)) {
      path = rest;
    } else if (target.find_first_of("/?#") == std::string_view::npos) {
      return std::string(kAuthorityRoute);
    }
  }
  path = path.substr(0, path.find_first_of("?#"));

  std::string route;
  std::size_t segments = 0;
  std::size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '/') {
      ++pos;
      continue;
    }
    std::size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(pos, end - pos);
    pos = end;
    route += '/';
    if (++segments > kMaxRouteSegments) {
      route += kTailSegment;
      return route;
    }
    route += is_identifier_like(segment) ? kIdSegment : segment;
  }
  if (route.empty() || path.back() == '/') route += '/';
  return route;
}

RouteLimiter::RouteLimiter(std::size_t max_routes) : max_routes_(max_routes) {}

const std::string& RouteLimiter::admit(const std::string& route) {
  if (auto it = routes_.find(route); it != routes_.end()) return *it;
  if (routes_.size() < max_routes_) return *routes_.insert(route).first;
  ++overflowed_;
  static const std::string overflow_route(kOverflowRoute);
  return overflow_route;
}

}  // namespace redeye::http
