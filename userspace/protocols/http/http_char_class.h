// Byte classes of HTTP/1.x (RFC 9110, 9112) as one 256-entry table, so that a class test is a
// load and a mask instead of a chain of comparisons.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace redeye::http {

namespace char_class {

inline constexpr uint8_t kTchar = 1;       // tchar: method and field-name characters
inline constexpr uint8_t kTarget = 2;      // request-target: visible ASCII or obs-text
inline constexpr uint8_t kFieldValue = 4;  // field value / reason phrase: HTAB, SP, VCHAR, obs-text

constexpr std::array<uint8_t, 256> make_table() {
  std::array<uint8_t, 256> table{};
  for (int c = 0; c < 256; ++c) {
    uint8_t bits = 0;
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) bits |= kTchar;
    if (c > 0x20 && c != 0x7f) bits |= kTarget;
    if (c == '\t' || (c >= 0x20 && c != 0x7f)) bits |= kFieldValue;
    table[static_cast<std::size_t>(c)] = bits;
  }
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<uint8_t>(c)] |= kTchar;
  return table;
}

inline constexpr std::array<uint8_t, 256> kTable = make_table();

constexpr bool has(uint8_t c, uint8_t bits) { return (kTable[c] & bits) != 0; }

}  // namespace char_class

// tchar (RFC 9110 section 5.6.2): the characters of a method or a field name.
constexpr bool is_tchar(uint8_t c) { return char_class::has(c, char_class::kTchar); }
// A request-target byte: visible ASCII or obs-text (>= 0x80); no SP, no control byte, no DEL.
constexpr bool is_target_char(uint8_t c) { return char_class::has(c, char_class::kTarget); }
// A byte of a field value or reason phrase: HTAB, SP, visible ASCII, obs-text.
constexpr bool is_field_value_char(uint8_t c) {
  return char_class::has(c, char_class::kFieldValue);
}

// The index of the first byte of p[i..n) that is not a tchar, or n. Four bytes per test.
inline std::size_t skip_tchars(const uint8_t* p, std::size_t i, std::size_t n) {
  using char_class::kTable;
  while (n - i >= 4 && (kTable[p[i]] & kTable[p[i + 1]] & kTable[p[i + 2]] & kTable[p[i + 3]] &
                        char_class::kTchar) != 0) {
    i += 4;
  }
  while (i < n && is_tchar(p[i])) ++i;
  return i;
}

// The index of the first byte of p[i..n) that is not is_field_value_char, or n. Field values
// are most of a head's bytes, so they are checked 8 at a time: a word passes when none of its
// bytes is below SP or DEL. Otherwise its lowest such byte is the one (HTAB, the only one of
// them in the class, is stepped over).
inline std::size_t skip_field_value(const uint8_t* p, std::size_t i, std::size_t n) {
  if constexpr (std::endian::native == std::endian::little) {
    constexpr uint64_t kOnes = 0x0101010101010101ull;
    constexpr uint64_t kHighs = 0x8080808080808080ull;
    while (n - i >= 8) {
      uint64_t word;
      std::memcpy(&word, p + i, sizeof word);
      // "Some byte < 0x20" and "some byte == 0x7f" (Hacker's Delight). Borrows only run towards
      // later bytes, so the lowest flagged byte is exact.
      const uint64_t del = word ^ (kOnes * 0x7f);
      const uint64_t flagged =
          ((word - kOnes * 0x20) & ~word & kHighs) | ((del - kOnes) & ~del & kHighs);
      if (flagged == 0) {
        i += 8;
        continue;
      }
      const std::size_t at = i + static_cast<std::size_t>(std::countr_zero(flagged) / 8);
      if (p[at] != '\t') return at;
      i = at + 1;
    }
  }
  while (i < n && is_field_value_char(p[i])) ++i;
  return i;
}

}  // namespace redeye::http
