#include "protocols/http/route_patterns.h"

namespace redeye::http {
namespace {

// Non-empty '/'-separated segments of `path`.
std::vector<std::string_view> split_segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    if (next > pos) out.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return out;
}

// The path of an origin-form or absolute-form request-target.
std::string_view path_of(std::string_view target) {
  if (auto scheme = target.find("://"); scheme != std::string_view::npos && target[0] != '/') {
    auto slash = target.find('/', scheme + 3);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  if (auto end = target.find_first_of("?#"); end != std::string_view::npos) {
    target = target.substr(0, end);
  }
  return target;
}

bool is_placeholder(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

RoutePatterns::RoutePatterns(const std::vector<std::string>& patterns) {
  for (const auto& text : patterns) {
    Pattern pattern{text, {}, false};
    for (auto segment : split_segments(text)) pattern.segments.emplace_back(segment);
    if (!pattern.segments.empty() && pattern.segments.back() == "*") {
      pattern.segments.pop_back();
      pattern.rest = true;
    }
    patterns_.push_back(std::move(pattern));
  }
}

std::optional<std::string> RoutePatterns::match(std::string_view request_target) const {
  if (patterns_.empty()) return std::nullopt;
  const auto segments = split_segments(path_of(request_target));
  for (const auto& pattern : patterns_) {
    if (segments.size() < pattern.segments.size()) continue;
    if (!pattern.rest && segments.size() != pattern.segments.size()) continue;
    bool ok = true;
    for (size_t i = 0; ok && i < pattern.segments.size(); i++) {
      ok = is_placeholder(pattern.segments[i]) || pattern.segments[i] == segments[i];
    }
    if (ok) return pattern.text;
  }
  return std::nullopt;
}

}  // namespace redeye::http
