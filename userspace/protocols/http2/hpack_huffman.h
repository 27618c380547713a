// The HPACK Huffman code (RFC 7541 section 5.2, Appendix B), decoding only: string literals
// of header blocks read by the late-join decoder (nghttp2 does its own for the inflater and
// does not export it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace redeye::http2 {

enum class HuffmanResult : uint8_t {
  kOk,
  kTooLong,  // valid, but longer than max_out: `out` is left empty
  kInvalid,  // EOS inside, more than 7 bits of padding, or padding that is not all ones
};

// Decodes `in` into `out`, keeping at most `max_out` bytes (the rest is still checked).
HuffmanResult huffman_decode(std::span<const uint8_t> in, std::string& out, size_t max_out);

}  // namespace redeye::http2
