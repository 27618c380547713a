// Turns raw request-targets into low-cardinality route labels, and caps how many distinct
// routes one service may produce.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>

namespace redeye::http {

// Placeholder for a path segment that looks like an identifier (see normalize_route).
inline constexpr std::string_view kIdSegment = "{id}";
// Route of an authority-form target (`CONNECT host:port`).
inline constexpr std::string_view kAuthorityRoute = "{authority}";
// Replaces every path segment after the first kMaxRouteSegments ones.
inline constexpr std::string_view kTailSegment = "{tail}";
inline constexpr std::size_t kMaxRouteSegments = 16;
// Segments longer than this become {id}.
inline constexpr std::size_t kMaxSegmentLength = 64;

// Normalises a request-target (RFC 9112 section 3.2) into a route:
//  - ""                    -> "/"
//  - "*" (asterisk-form)   -> "*"
//  - "host:port" (authority-form: no '/', '?' or '#', not absolute-form) -> "{authority}"
//  - "scheme://authority/p?q" (absolute-form) -> its path "/p" ("/" if it has none)
//  - origin-form "/p?q#f"  -> "/p"; a target that fits none of the forms above (e.g. "a/b")
//    is treated as a path and gets a leading '/'.
// In the path, the query ('?...') and fragment ('#...') are dropped, runs of '/' collapse into
// one, a trailing '/' is kept, and no percent-decoding or dot-segment removal is done.
// A segment becomes "{id}" if it is
//  - all ASCII digits, or
//  - a UUID (8-4-4-4-12 hex digits, any case), or
//  - 16 or more hex digits, or
//  - longer than 64 bytes, or
//  - contains any byte outside printable ASCII 0x21..0x7E (control bytes, DEL, non-ASCII/UTF-8):
//    such bytes never reach a label, whatever the encoding of the segment was.
// At most 16 segments are kept; if there are more, the rest become one "{tail}" segment. So a
// route is at most ~1.1 KiB and is printable ASCII. The function is idempotent.
std::string normalize_route(std::string_view request_target);

// Route reported once a RouteLimiter is full.
inline constexpr std::string_view kOverflowRoute = "_OTHER";

// Caps the number of distinct routes of one service. Not thread-safe: use one instance per
// service, from one thread (or guard it externally).
class RouteLimiter {
 public:
  explicit RouteLimiter(std::size_t max_routes);

  // Returns `route` (as a reference to the limiter's own copy) if it was admitted before, or if
  // fewer than max_routes distinct routes have been admitted (then it is admitted now);
  // otherwise returns kOverflowRoute and counts one overflow. A returned route stays valid as
  // long as the limiter lives (also across moves of the limiter); kOverflowRoute forever.
  const std::string& admit(const std::string& route);

  // Number of admit() calls that returned kOverflowRoute.
  std::size_t overflowed() const { return overflowed_; }
  // Number of distinct routes admitted.
  std::size_t size() const { return routes_.size(); }

 private:
  std::size_t max_routes_;
  std::size_t overflowed_ = 0;
  std::unordered_set<std::string> routes_;
};

}  // namespace redeye::http
