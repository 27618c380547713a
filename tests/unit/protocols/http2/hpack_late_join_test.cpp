// The late-join HPACK decoder against nghttp2: blocks made by its deflater decode to what its
// inflater gives, from the start and when joined in the middle of a sequence (then every field
// the late-join decoder knows is right, and only references to entries from before the join
// are unknown); placeholders keep the numbering; size updates; bad blocks; bounded memory.
#include "protocols/http2/hpack_late_join.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "h2_test_util.h"
#include "protocols/http2/hpack_inflater.h"

namespace redeye::http2 {
namespace {

struct Field {
  std::string name, value;
  bool name_known, value_known;
};

struct Collect : FieldSink {
  void on_field(const HeaderField& f) override {
    fields.push_back({std::string(f.name), std::string(f.value), f.name_known, f.value_known});
  }
  std::vector<Field> fields;
};

std::vector<Field> late_decode(LateJoinDecoder& d, const std::string& block,
                               DecodeResult expected = DecodeResult::kOk) {
  Collect c;
  EXPECT_EQ(d.decode(test::bytes(block), c), expected);
  return c.fields;
}

std::vector<Field> inflate(Inflater& i, const std::string& block) {
  Collect c;
  EXPECT_EQ(i.decode(test::bytes(block), c), DecodeResult::kOk);
  return c.fields;
}

// A gRPC-like client: the same request fields, a grpc-timeout literal per call, sometimes a
// new method or metadata.
test::Headers call_headers(std::mt19937& rng, int i) {
  const std::string method = "/pkg.Svc/M" + std::to_string(rng() % 4);
  test::Headers h = test::grpc_request(method, std::to_string(100 + i) + "m");
  if (rng() % 3 == 0) h.emplace_back("x-request-id", "req-" + std::to_string(rng()));
  if (rng() % 5 == 0) h.emplace_back("x-big", std::string(300 + rng() % 400, 'b'));
  return h;
}

TEST(LateJoinDecoder, FromTheStartItDecodesWhatTheInflaterDoes) {
  std::mt19937 rng(1);
  test::Deflater deflater;
  Inflater inflater;
  LateJoinDecoder late;
  for (int i = 0; i < 300; ++i) {
    const std::string block = deflater.block(call_headers(rng, i));
    const auto expected = inflate(inflater, block);
    const auto got = late_decode(late, block);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t k = 0; k < got.size(); ++k) {
      ASSERT_TRUE(got[k].name_known) << i << " " << k;
      EXPECT_EQ(got[k].name, expected[k].name);
      if (!got[k].value_known) {  // longer than kept: unknown, never cut
        EXPECT_GT(expected[k].value.size(), LateJoinDecoder::kMaxValueBytes);
        continue;
      }
      EXPECT_EQ(got[k].value, expected[k].value);
    }
  }
}

// Joined after `skip` blocks: fields known are right; fields unknown refer to older entries.
TEST(LateJoinDecoder, JoinedMidSequenceKnownFieldsAreExact) {
  for (int skip : {1, 2, 5, 17, 60}) {
    SCOPED_TRACE(skip);
    std::mt19937 rng(static_cast<unsigned>(skip));
    test::Deflater deflater;
    Inflater inflater;
    LateJoinDecoder late;
    size_t unknown = 0, known = 0;
    for (int i = 0; i < 200; ++i) {
      const std::string block = deflater.block(call_headers(rng, i));
      const auto expected = inflate(inflater, block);
      if (i < skip) continue;
      const auto got = late_decode(late, block);
      ASSERT_EQ(got.size(), expected.size()) << i;
      for (size_t k = 0; k < got.size(); ++k) {
        if (got[k].name_known) EXPECT_EQ(got[k].name, expected[k].name) << i << " " << k;
        if (got[k].value_known) EXPECT_EQ(got[k].value, expected[k].value) << i << " " << k;
        (got[k].name_known && got[k].value_known ? known : unknown)++;
      }
    }
    EXPECT_GT(unknown, 0u);  // the first blocks after the join refer to older entries
    EXPECT_GT(known, unknown);
  }
}

// grpc-go's second request: every field but :method and :scheme is a dynamic reference. After
// enough grpc-timeout insertions the old entries are evicted and :path comes back as a literal.
TEST(LateJoinDecoder, PathIsUnknownUntilTheTableChurns) {
  test::IndexingEncoder deflater;
  Inflater inflater;  // checks the encoder's blocks
  LateJoinDecoder late;
  inflate(inflater, deflater.block(test::grpc_request("/helloworld.Greeter/SayHello",
                                                      "1000m")));  // before the join
  auto path_of = [](const std::vector<Field>& fields) -> std::string {
    for (const auto& f : fields) {
      if (f.name_known && f.name == ":path") return f.value_known ? f.value : "?";
    }
    return "unknown";
  };
  auto next = [&](const std::string& timeout) {
    const std::string block =
        deflater.block(test::grpc_request("/helloworld.Greeter/SayHello", timeout));
    inflate(inflater, block);
    return path_of(late_decode(late, block));
  };
  EXPECT_EQ(next("999m"), "unknown");
  std::string last;
  int calls = 0;
  while (calls < 500 &&
         (last = next(std::to_string(1000000 + calls) + "u")) != "/helloworld.Greeter/SayHello") {
    ++calls;
  }
  EXPECT_EQ(last, "/helloworld.Greeter/SayHello");
  EXPECT_GT(calls, 10);
}

// A literal with incremental indexing whose name is a pre-join entry still inserts: the next
// reference to index 62 is that entry (name unknown, value known), not an older one.
TEST(LateJoinDecoder, UnknownNameStillInserts) {
  LateJoinDecoder late;
  // 0x7e: literal with indexing, name index 62 (unknown); value "x" (length 1).
  auto f = late_decode(late, std::string("\x7e\x01x", 3));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_FALSE(f[0].name_known);
  EXPECT_EQ(f[0].value, "x");
  // 0x40: new name "a", value "b"; then 0xbf = index 63 = the placeholder, 0xbe = index 62 = a:b.
  f = late_decode(late, std::string("\x40\x01"
                                    "a\x01"
                                    "b\xbf\xbe",
                                    7));
  ASSERT_EQ(f.size(), 3u);
  EXPECT_FALSE(f[1].name_known);
  EXPECT_TRUE(f[1].value_known);
  EXPECT_EQ(f[1].value, "x");
  EXPECT_EQ(f[2].name, "a");
  EXPECT_EQ(f[2].value, "b");
  EXPECT_EQ(late.insertions(), 2u);
  // Index 64: inserted before the join.
  f = late_decode(late, "\xc0");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_FALSE(f[0].name_known);
}

TEST(LateJoinDecoder, SizeUpdates) {
  LateJoinDecoder late;
  late_decode(late, std::string("\x40\x01"
                                "a\x01"
                                "b",
                                5));
  EXPECT_EQ(late.kept_entries(), 1u);
  late_decode(late, std::string("\x20\x82", 2));  // size 0 (evicts all), then :method GET
  EXPECT_EQ(late.kept_entries(), 0u);
  // 0x3f e1 1f = 31 + 0x61 + (0x1f << 7) = 4096: within a 4096 limit, over a 100 one.
  Collect c;
  EXPECT_EQ(late.decode(test::bytes(std::string("\x3f\xe1\x1f", 3)), c, 4096u), DecodeResult::kOk);
  EXPECT_EQ(late.decode(test::bytes(std::string("\x3f\xe1\x1f", 3)), c, 100u),
            DecodeResult::kTableSizeOverLimit);
  // An update after a field is invalid (RFC 7541 section 4.2).
  late_decode(late, std::string("\x82\x20", 2), DecodeResult::kInvalid);
}

TEST(LateJoinDecoder, InvalidBlocksRestartTheNumbering) {
  LateJoinDecoder late;
  late_decode(late, std::string("\x40\x01"
                                "a\x01"
                                "b",
                                5));
  late_decode(late, std::string("\x80", 1), DecodeResult::kInvalid);  // index 0
  EXPECT_EQ(late.insertions(), 0u);
  late_decode(late, std::string("\xff", 1), DecodeResult::kInvalid);  // integer cut short
  late_decode(late, std::string("\xff\xff\xff\xff\xff\xff\x01", 7), DecodeResult::kInvalid);
  late_decode(late,
              std::string("\x40\x05"
                          "ab",
                          4),
              DecodeResult::kInvalid);  // string past end
  late_decode(late,
              std::string("\x40\x81\x00\x01"
                          "b",
                          5),
              DecodeResult::kInvalid);  // bad Huffman
  late_decode(late,
              std::string("\x40\x01"
                          "a",
                          3),
              DecodeResult::kInvalid);  // value missing
}

TEST(LateJoinDecoder, MemoryIsBounded) {
  LateJoinDecoder late;
  test::Deflater deflater(1 << 16);
  for (int i = 0; i < 2000; ++i) {
    late_decode(late, deflater.block({{"k" + std::to_string(i), std::string(i % 700, 'v')}}));
  }
  EXPECT_LE(late.kept_entries(), LateJoinDecoder::kMaxEntries);
  EXPECT_LE(late.kept_bytes(), LateJoinDecoder::kMaxKeptBytes);
  EXPECT_EQ(late.insertions(), 2000u);
  // A value longer than kept decodes as unknown, never truncated.
  const auto f = late_decode(late, deflater.block({{"long", std::string(2000, 'z')}}, true));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(f[0].name_known);
  EXPECT_FALSE(f[0].value_known);
}

}  // namespace
}  // namespace redeye::http2
