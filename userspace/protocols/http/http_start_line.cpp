#include "protocols/http/http_start_line.h"

namespace redeye::http {

namespace {

constexpr std::string_view kVersionPrefix = "HTTP/1.";

bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

// Matches `HTTP/1.` DIGIT `next_char` at bytes[at..]: kComplete when all 9 bytes match,
// kNeedMore when the bytes present match but are fewer than 9.
LineVerdict match_version(std::span<const uint8_t> bytes, std::size_t at, uint8_t next_char) {
  for (std::size_t k = 0; k < 9; ++k) {
    if (at + k >= bytes.size()) return LineVerdict::kNeedMore;
    const uint8_t c = bytes[at + k];
    const bool ok = k < 7 ? c == static_cast<uint8_t>(kVersionPrefix[k])
                          : (k == 7 ? is_digit(c) : c == next_char);
    if (!ok) return LineVerdict::kInvalid;
  }
  return LineVerdict::kComplete;
}

}  // namespace

LineVerdict scan_request_line(std::span<const uint8_t> bytes, RequestLineScan& scan) {
  using Phase = RequestLineScan::Phase;
  const uint8_t* p = bytes.data();
  const std::size_t n = bytes.size();
  if (scan.phase == Phase::kMethod) {
    const std::size_t i = skip_tchars(p, scan.pos, n);
    scan.pos = i;
    if (i == n) return LineVerdict::kNeedMore;
    if (p[i] != ' ' || i == 0) {
      scan.phase = Phase::kInvalid;
      return LineVerdict::kInvalid;
    }
    scan.method_end = i;
    scan.phase = Phase::kTarget;
    scan.pos = i + 1;
  }
  if (scan.phase == Phase::kTarget) {
    std::size_t i = scan.pos;
    while (i < n && is_target_char(p[i])) ++i;
    scan.pos = i;
    if (i == n) return LineVerdict::kNeedMore;
    if (p[i] != ' ' || i == scan.method_end + 1) {
      scan.phase = Phase::kInvalid;
      return LineVerdict::kInvalid;
    }
    scan.target_end = i;
    scan.phase = Phase::kVersion;
    scan.pos = i + 1;
  }
  if (scan.phase == Phase::kVersion) {
    // Version bytes are re-checked from the SP on; at most 10 bytes, so cheap.
    const LineVerdict v = match_version(bytes, scan.target_end + 1, '\r');
    if (v == LineVerdict::kInvalid) {
      scan.phase = Phase::kInvalid;
      return v;
    }
    const std::size_t lf = scan.target_end + 10;
    if (v == LineVerdict::kNeedMore || lf >= n) {
      scan.pos = n;
      return LineVerdict::kNeedMore;
    }
    if (p[lf] != '\n') {
      scan.phase = Phase::kInvalid;
      return LineVerdict::kInvalid;
    }
    scan.pos = lf + 1;
    scan.phase = Phase::kDone;
  }
  return scan.phase == Phase::kDone ? LineVerdict::kComplete : LineVerdict::kInvalid;
}

std::optional<RequestLine> parse_request_line(std::span<const uint8_t> bytes) {
  RequestLineScan scan;
  if (scan_request_line(bytes, scan) != LineVerdict::kComplete) return std::nullopt;
  const auto* chars = reinterpret_cast<const char*>(bytes.data());
  RequestLine line;
  line.method = std::string_view(chars, scan.method_end);
  line.target =
      std::string_view(chars + scan.method_end + 1, scan.target_end - scan.method_end - 1);
  line.minor_version = bytes[scan.target_end + 8] - '0';
  line.length = scan.pos;
  return line;
}

LineVerdict scan_status_line_prefix(std::span<const uint8_t> bytes) {
  const LineVerdict version = match_version(bytes, 0, ' ');
  if (version != LineVerdict::kComplete) return version;
  for (std::size_t k = 9; k < kStatusLinePrefixBytes; ++k) {
    if (k >= bytes.size()) return LineVerdict::kNeedMore;
    const uint8_t c = bytes[k];
    bool ok;
    if (k == 9) {
      ok = c >= '1' && c <= '9';
    } else if (k < 12) {
      ok = is_digit(c);
    } else {
      ok = c == ' ' || c == '\r';
    }
    if (!ok) return LineVerdict::kInvalid;
  }
  return LineVerdict::kComplete;
}

std::optional<StatusLine> parse_status_line(std::span<const uint8_t> bytes) {
  if (scan_status_line_prefix(bytes) != LineVerdict::kComplete) return std::nullopt;
  std::size_t i = kStatusLinePrefixBytes - 1;  // SP before the reason phrase, or CR
  if (bytes[i] == ' ') {
    i = skip_field_value(bytes.data(), i + 1, bytes.size());
    if (i < bytes.size() && bytes[i] != '\r') return std::nullopt;
  }
  if (i + 1 >= bytes.size() || bytes[i] != '\r' || bytes[i + 1] != '\n') return std::nullopt;
  StatusLine line;
  line.minor_version = bytes[7] - '0';
  line.status_code = (bytes[9] - '0') * 100 + (bytes[10] - '0') * 10 + (bytes[11] - '0');
  line.length = i + 2;
  return line;
}

}  // namespace redeye::http
