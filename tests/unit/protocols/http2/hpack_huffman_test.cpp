// The HPACK Huffman decoder against RFC 7541's examples (Appendix C.4, C.6), invalid padding
// and EOS, and every byte value through nghttp2's deflater.
#include "protocols/http2/hpack_huffman.h"

#include <gtest/gtest.h>

#include <string>

#include "h2_test_util.h"
#include "protocols/http2/hpack_inflater.h"
#include "protocols/http2/hpack_late_join.h"

namespace redeye::http2 {
namespace {

std::string unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

std::string decode(std::string_view hex, HuffmanResult expected = HuffmanResult::kOk,
                   size_t max = 1024) {
  const std::string in = unhex(hex);
  std::string out;
  EXPECT_EQ(huffman_decode(test::bytes(in), out, max), expected) << hex;
  return out;
}

TEST(HpackHuffman, DecodesTheRfcExamples) {
  EXPECT_EQ(decode("f1e3c2e5f23a6ba0ab90f4ff"), "www.example.com");
  EXPECT_EQ(decode("a8eb10649cbf"), "no-cache");
  EXPECT_EQ(decode("25a849e95ba97d7f"), "custom-key");
  EXPECT_EQ(decode("25a849e95bb8e8b4bf"), "custom-value");
  EXPECT_EQ(decode("6402"), "302");
  EXPECT_EQ(decode("aec3771a4b"), "private");
  EXPECT_EQ(decode("d07abe941054d444a8200595040b8166e082a62d1bff"),
            "Mon, 21 Oct 2013 20:13:21 GMT");
  EXPECT_EQ(decode("9d29ad171863c78f0b97c8e9ae82ae43d3"), "https://www.example.com");
  EXPECT_EQ(decode(""), "");
}

TEST(HpackHuffman, RefusesBadPaddingAndEos) {
  decode("f1e3c2e5f23a6ba0ab90f400", HuffmanResult::kInvalid);  // padding of zeros
  decode("ff", HuffmanResult::kInvalid);                        // 8 bits of padding
  decode("ffffffff", HuffmanResult::kInvalid);                  // EOS (30 ones) inside
  decode("1f", HuffmanResult::kOk);                             // 'a' (00011) + 111
}

TEST(HpackHuffman, TooLongIsCheckedButNotKept) {
  EXPECT_EQ(decode("f1e3c2e5f23a6ba0ab90f4ff", HuffmanResult::kTooLong, 4), "");
  decode("f1e3c2e5f23a6ba0ab90f400", HuffmanResult::kInvalid, 4);
}

// nghttp2 Huffman-encodes a literal when that is shorter: strings of each byte value repeated
// and mixed with common ones go through its deflater and come back through our decoder.
TEST(HpackHuffman, EveryByteValueRoundTripsThroughNghttp2) {
  test::Deflater deflater;
  LateJoinDecoder late;
  struct Sink : FieldSink {
    void on_field(const HeaderField& f) override { values.emplace_back(f.value); }
    std::vector<std::string> values;
  } sink;
  for (int b = 0; b < 256; ++b) {
    const std::string value = std::string(6, static_cast<char>(b)) + "aeiou" + static_cast<char>(b);
    sink.values.clear();
    const std::string block = deflater.block({{"x-bytes", value}}, /*never_index=*/true);
    ASSERT_EQ(late.decode(test::bytes(block), sink), DecodeResult::kOk) << b;
    ASSERT_EQ(sink.values.size(), 1u);
    EXPECT_EQ(sink.values[0], value) << b;
  }
}

}  // namespace
}  // namespace redeye::http2
