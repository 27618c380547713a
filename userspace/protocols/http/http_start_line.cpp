#include "protocols/http/http_start_line.h"

#include <array>

namespace redeye::http {

namespace {

constexpr std::string_view kVersionPrefix = "HTTP/1.";

bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

constexpr std::array<bool, 256> make_tchar_table() {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<uint8_t>(c)] = true;
  return table;
}

constexpr std::array<bool, 256> kTchar = make_tchar_table();

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

bool is_tchar(uint8_t c) { return kTchar[c]; }

bool is_target_char(uint8_t c) { return c > 0x20 && c != 0x7f; }

LineVerdict scan_request_line(std::span<const uint8_t> bytes, RequestLineScan& scan) {
  using Phase = RequestLineScan::Phase;
  while (scan.pos < bytes.size()) {
    const uint8_t c = bytes[scan.pos];
    switch (scan.phase) {
      case Phase::kMethod:
        if (is_tchar(c)) break;
        if (c == ' ' && scan.pos > 0) {
          scan.method_end = scan.pos;
          scan.phase = Phase::kTarget;
          break;
        }
        scan.phase = Phase::kInvalid;
        return LineVerdict::kInvalid;
      case Phase::kTarget:
        if (is_target_char(c)) break;
        if (c == ' ' && scan.pos > scan.method_end + 1) {
          scan.target_end = scan.pos;
          scan.phase = Phase::kVersion;
          break;
        }
        scan.phase = Phase::kInvalid;
        return LineVerdict::kInvalid;
      case Phase::kVersion: {
        // Version bytes are re-checked from the SP on; at most 10 bytes, so cheap.
        const LineVerdict v = match_version(bytes, scan.target_end + 1, '\r');
        if (v == LineVerdict::kInvalid) {
          scan.phase = Phase::kInvalid;
          return v;
        }
        if (v == LineVerdict::kNeedMore) {
          scan.pos = bytes.size();
          return v;
        }
        const std::size_t lf = scan.target_end + 10;
        if (lf >= bytes.size()) {
          scan.pos = bytes.size();
          return LineVerdict::kNeedMore;
        }
        if (bytes[lf] != '\n') {
          scan.phase = Phase::kInvalid;
          return LineVerdict::kInvalid;
        }
        scan.pos = lf + 1;
        scan.phase = Phase::kDone;
        return LineVerdict::kComplete;
      }
      case Phase::kDone:
        return LineVerdict::kComplete;
      case Phase::kInvalid:
        return LineVerdict::kInvalid;
    }
    ++scan.pos;
  }
  if (scan.phase == Phase::kDone) return LineVerdict::kComplete;
  if (scan.phase == Phase::kInvalid) return LineVerdict::kInvalid;
  return LineVerdict::kNeedMore;
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
    for (++i; i < bytes.size() && bytes[i] != '\r'; ++i) {
      const uint8_t c = bytes[i];
      if (c != '\t' && (c < 0x20 || c == 0x7f)) return std::nullopt;
    }
  }
  if (i + 1 >= bytes.size() || bytes[i] != '\r' || bytes[i + 1] != '\n') return std::nullopt;
  StatusLine line;
  line.minor_version = bytes[7] - '0';
  line.status_code = (bytes[9] - '0') * 100 + (bytes[10] - '0') * 10 + (bytes[11] - '0');
  line.length = i + 2;
  return line;
}

}  // namespace redeye::http
