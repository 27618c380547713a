#include "protocols/http/http_boundary_finder.h"

#include <cstring>
#include <string_view>

#include "protocols/http/http_method.h"
#include "protocols/http/http_start_line.h"

namespace redeye::http {

namespace {

// Within the token bytes[run_start, run_end), the start of the earliest suffix that is a known
// method, or run_start if there is none.
std::size_t preferred_method_start(std::span<const uint8_t> bytes, std::size_t run_start,
                                   std::size_t run_end) {
  const auto* chars = reinterpret_cast<const char*>(bytes.data());
  for (std::size_t start = run_start; start < run_end; ++start) {
    const std::string_view suffix(chars + start, run_end - start);
    if (suffix.size() <= 7 && canonical_method(suffix) != kOtherMethod) return start;
  }
  return run_start;
}

}  // namespace

Boundary find_request_boundary(std::span<const uint8_t> bytes) {
  const std::size_t n = bytes.size();
  std::size_t p = 0;
  while (p < n) {
    if (!is_tchar(bytes[p])) {
      ++p;
      continue;
    }
    // The token run bytes[p, q). Every start inside it yields the same line after the token,
    // so one scan decides for all of them.
    std::size_t q = p;
    while (q < n && is_tchar(bytes[q])) ++q;
    if (q - p > kMaxResyncMethodBytes) p = q - kMaxResyncMethodBytes;
    if (q == n) return {Boundary::Kind::kPartial, p};

    RequestLineScan scan;
    const LineVerdict verdict = scan_request_line(bytes.subspan(p), scan);
    if (verdict == LineVerdict::kComplete && scan.pos <= kMaxHeadBytes) {
      return {Boundary::Kind::kFound, preferred_method_start(bytes, p, q)};
    }
    if (verdict == LineVerdict::kNeedMore && n - p < kMaxHeadBytes) {
      return {Boundary::Kind::kPartial, p};
    }
    p = q + 1;  // invalid, or too long to be a head: no start inside this token works
  }
  return {Boundary::Kind::kNone, n};
}

Boundary find_response_boundary(std::span<const uint8_t> bytes) {
  const std::size_t n = bytes.size();
  std::size_t p = 0;
  while (p < n) {
    const void* h = std::memchr(bytes.data() + p, 'H', n - p);
    if (h == nullptr) break;
    p = static_cast<std::size_t>(static_cast<const uint8_t*>(h) - bytes.data());
    switch (scan_status_line_prefix(bytes.subspan(p))) {
      case LineVerdict::kComplete:
        return {Boundary::Kind::kFound, p};
      case LineVerdict::kNeedMore:
        return {Boundary::Kind::kPartial, p};
      case LineVerdict::kInvalid:
        ++p;
        break;
    }
  }
  return {Boundary::Kind::kNone, n};
}

}  // namespace redeye::http
