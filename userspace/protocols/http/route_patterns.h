// Operator-given http_route patterns ("/orders/{id}", "/files/*") that win over the route
// heuristic of normalize_route(). A `{name}` segment matches exactly one path segment; a final
// `*` matches the rest of the path (zero or more segments); other segments match literally.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace redeye::http {

class RoutePatterns {
 public:
  RoutePatterns() = default;
  explicit RoutePatterns(const std::vector<std::string>& patterns);

  // The first pattern matching the request-target's path (query and fragment ignored), as
  // written in the configuration; nullopt when none matches.
  std::optional<std::string> match(std::string_view request_target) const;
  bool empty() const { return patterns_.empty(); }

 private:
  struct Pattern {
    std::string text;
    std::vector<std::string> segments;
    bool rest = false;  // ends with "*"
  };
  std::vector<Pattern> patterns_;
};

}  // namespace redeye::http
