#include "protocols/http2/hpack_huffman.h"

#include <array>

namespace redeye::http2 {
namespace {

// Code length in bits of each symbol, 0-255 then EOS (256): RFC 7541 Appendix B. The code is
// canonical (codes of one length are consecutive, in symbol order, and each length's first
// code follows the previous length's last), so the lengths alone define it.
constexpr std::array<uint8_t, 257> kCodeLength = {
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28,
    28, 28, 28, 28, 28, 28, 28, 28, 6,  10, 10, 12, 13, 6,  8,  11, 10, 10, 8,  11, 8,  6,  6,  6,
    5,  5,  5,  6,  6,  6,  6,  6,  6,  6,  7,  8,  15, 6,  12, 10, 13, 6,  7,  7,  7,  7,  7,  7,
    7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  8,  7,  8,  13, 19, 13, 14, 6,
    15, 5,  6,  5,  6,  5,  6,  6,  6,  5,  7,  7,  6,  6,  6,  5,  6,  7,  6,  5,  5,  6,  7,  7,
    7,  7,  7,  15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
    24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22, 21, 20, 22, 22, 23, 23, 21,
    23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
    26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24,
    21, 21, 26, 26, 28, 27, 27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
    26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, 30,
};

constexpr int kMaxCodeLength = 30;
constexpr uint16_t kEos = 256;

// Canonical decoding tables: for each length, its first code, how many codes it has, and where
// its symbols start in the symbols sorted by (length, symbol).
struct Tables {
  std::array<uint32_t, kMaxCodeLength + 1> first_code{};
  std::array<uint16_t, kMaxCodeLength + 1> count{};
  std::array<uint16_t, kMaxCodeLength + 1> offset{};
  std::array<uint16_t, 257> symbols{};
};

constexpr Tables make_tables() {
  Tables t;
  for (uint8_t len : kCodeLength) t.count[len]++;
  uint32_t code = 0;
  uint16_t offset = 0;
  for (int len = 1; len <= kMaxCodeLength; ++len) {
    code <<= 1;
    t.first_code[len] = code;
    t.offset[len] = offset;
    code += t.count[len];
    offset = static_cast<uint16_t>(offset + t.count[len]);
  }
  std::array<uint16_t, kMaxCodeLength + 1> next = t.offset;
  for (int len = 1; len <= kMaxCodeLength; ++len) {
    for (uint16_t sym = 0; sym < 257; ++sym) {
      if (kCodeLength[sym] == len) t.symbols[next[len]++] = sym;
    }
  }
  return t;
}

constexpr Tables kTables = make_tables();

}  // namespace

HuffmanResult huffman_decode(std::span<const uint8_t> in, std::string& out, size_t max_out) {
  out.clear();
  bool too_long = false;
  uint32_t code = 0;  // bits of the symbol being read
  int len = 0;
  for (uint8_t byte : in) {
    for (int bit = 7; bit >= 0; --bit) {
      code = (code << 1) | ((byte >> bit) & 1u);
      ++len;
      const uint32_t index = code - kTables.first_code[len];
      if (code >= kTables.first_code[len] && index < kTables.count[len]) {
        const uint16_t sym = kTables.symbols[kTables.offset[len] + index];
        if (sym == kEos) return HuffmanResult::kInvalid;
        if (out.size() >= max_out) too_long = true;
        if (!too_long) out.push_back(static_cast<char>(sym));
        code = 0;
        len = 0;
      } else if (len == kMaxCodeLength) {
        return HuffmanResult::kInvalid;
      }
    }
  }
  // Padding: fewer than 8 bits, all ones (the most significant bits of EOS).
  if (len >= 8 || code != (1u << len) - 1) return HuffmanResult::kInvalid;
  if (too_long) {
    out.clear();
    return HuffmanResult::kTooLong;
  }
  return HuffmanResult::kOk;
}

}  // namespace redeye::http2
