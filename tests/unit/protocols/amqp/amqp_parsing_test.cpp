// Argument primitives, field tables, content headers and method arguments.
#include <gtest/gtest.h>

#include <string>

#include "amqp_frames.h"
#include "amqp_test_support.h"
#include "protocols/amqp/amqp_content_header.h"
#include "protocols/amqp/amqp_field_table.h"
#include "protocols/amqp/amqp_method.h"
#include "protocols/amqp/amqp_wire_reader.h"

namespace redeye::amqp::testing {
namespace {

// The payload of a whole frame (without its header and frame-end octet).
std::string payload_of(const std::string& frame) { return frame.substr(7, frame.size() - 8); }

TEST(AmqpWireReaderTest, ReadsPrimitivesAndStopsAtTheEnd) {
  const std::string bytes =
      Args().u8(7).u16(0x1234).u32(0xdeadbeef).u64(42).shortstr("abc").longstr("xy");
  WireReader r(as_bytes(bytes));
  uint8_t a = 0;
  uint16_t b = 0;
  uint32_t c = 0;
  uint64_t d = 0;
  std::string_view s;
  std::span<const uint8_t> l;
  ASSERT_TRUE(r.octet(a) && r.u16(b) && r.u32(c) && r.u64(d) && r.shortstr(s) && r.longstr(l));
  EXPECT_EQ(a, 7);
  EXPECT_EQ(b, 0x1234);
  EXPECT_EQ(c, 0xdeadbeefu);
  EXPECT_EQ(d, 42u);
  EXPECT_EQ(s, "abc");
  EXPECT_EQ(l.size(), 2u);
  EXPECT_FALSE(r.octet(a));
  const std::string short_string = Args().u8(5).raw("abc");
  WireReader r2(as_bytes(short_string));
  EXPECT_FALSE(r2.shortstr(s));
  EXPECT_EQ(r2.remaining(), 4u);  // a failed read does not move
  const std::string long_string = Args().u32(0xffffffff).raw("abc");
  WireReader r3(as_bytes(long_string));
  EXPECT_FALSE(r3.longstr(l));
}

TEST(AmqpFieldTableTest, FindsTopLevelKeysThroughEveryValueType) {
  const std::string nested = table_value({{"x-death", long_string_value("not top level")}});
  // Every value type once (type octet + encoding); field_table() prefixes the long size.
  const std::string table = field_table({{"t", Args().u8('t').u8(1)},
                                         {"b", Args().u8('b').u8(0xff)},
                                         {"B", Args().u8('B').u8(1)},
                                         {"s", Args().u8('s').u16(1)},
                                         {"u", Args().u8('u').u16(1)},
                                         {"I", Args().u8('I').u32(1)},
                                         {"i", Args().u8('i').u32(1)},
                                         {"f", Args().u8('f').u32(1)},
                                         {"l", Args().u8('l').u64(1)},
                                         {"d", Args().u8('d').u64(1)},
                                         {"T", Args().u8('T').u64(1)},
                                         {"D", Args().u8('D').u8(2).u32(314)},
                                         {"S", Args().u8('S').longstr("text")},
                                         {"x", Args().u8('x').longstr("\x01\x02")},
                                         {"V", Args().u8('V')},
                                         {"A", array_value({nested, long_value(3)})},
                                         {"F", nested},
                                         {"x-death", array_value({nested})}});
  const std::string body = table.substr(4);
  const TableScan scan = scan_field_table(as_bytes(body), "x-death");
  EXPECT_TRUE(scan.valid);
  EXPECT_TRUE(scan.found);
  EXPECT_FALSE(scan_field_table(as_bytes(body), "missing").found);
  // Only top-level names count.
  const std::string only_nested = Args().shortstr("F").raw(nested);
  EXPECT_FALSE(scan_field_table(as_bytes(only_nested), "x-death").found);
}

TEST(AmqpFieldTableTest, RejectsUnknownTypesTruncationAndDeepNesting) {
  const std::string unknown = Args().shortstr("k").u8('Q').u32(1);
  EXPECT_FALSE(scan_field_table(as_bytes(unknown), "k").valid);
  EXPECT_TRUE(scan_field_table(as_bytes(unknown), "k").found);
  const std::string cut = Args().shortstr("k").u8('S').u32(10).raw("abc");
  EXPECT_FALSE(scan_field_table(as_bytes(cut), "k").valid);
  std::string deep = long_value(1);
  for (int i = 0; i < 20; i++) deep = table_value({{"n", deep}});
  const std::string deep_table = Args().shortstr("n").raw(deep);
  EXPECT_FALSE(scan_field_table(as_bytes(deep_table), "x").valid);
  std::string shallow = long_value(1);
  for (int i = 0; i < 5; i++) shallow = array_value({shallow});
  const std::string shallow_table = Args().shortstr("n").raw(shallow);
  EXPECT_TRUE(scan_field_table(as_bytes(shallow_table), "x").valid);
}

TEST(AmqpContentHeaderTest, ReadsBodySizeAndHeaders) {
  ContentHeader h;
  std::string p =
      payload_of(content_header(1, 12345, x_death_headers("q", "rejected"), "text/plain"));
  ASSERT_EQ(parse_content_header(as_bytes(p), false, h), HeaderParse::kOk);
  EXPECT_EQ(h.class_id, 60);
  EXPECT_EQ(h.body_size, 12345u);
  EXPECT_TRUE(h.has_headers);
  EXPECT_TRUE(h.x_death);

  ContentHeader plain;
  p = payload_of(content_header(1, 1));
  ASSERT_EQ(parse_content_header(as_bytes(p), false, plain), HeaderParse::kOk);
  EXPECT_FALSE(plain.has_headers);
  EXPECT_FALSE(plain.x_death);
}

TEST(AmqpContentHeaderTest, CutHeadersAreTruncatedNotMalformed) {
  const std::string p = payload_of(content_header(1, 1, x_death_headers("q", "rejected")));
  for (size_t n = 0; n + 1 < p.size(); n++) {
    ContentHeader h;
    const HeaderParse cut = parse_content_header(as_bytes(p).first(n), true, h);
    // The delivery-mode octet after the table is not needed: a cut after the table is whole.
    EXPECT_TRUE(cut == HeaderParse::kTruncated || (cut == HeaderParse::kOk && h.x_death)) << n;
    if (n < 14)
      EXPECT_EQ(parse_content_header(as_bytes(p).first(n), false, h), HeaderParse::kMalformed);
  }
  ContentHeader h;
  std::string weighty = p;
  weighty[3] = 1;  // weight must be 0
  EXPECT_EQ(parse_content_header(as_bytes(weighty), false, h), HeaderParse::kMalformed);
}

TEST(AmqpMethodTest, ReadsTheArgumentsThatMatter) {
  Method m;
  std::string p = payload_of(consume(1, "orders.work", "tag-1", /*no_ack=*/true, /*no_wait=*/true));
  ASSERT_EQ(parse_method(as_bytes(p), false, m), MethodParse::kOk);
  EXPECT_TRUE(m.is(60, 20));
  EXPECT_EQ(m.queue, "orders.work");
  EXPECT_EQ(m.consumer_tag, "tag-1");
  EXPECT_TRUE(m.no_ack);
  EXPECT_TRUE(m.no_wait);

  m = {};
  p = payload_of(deliver(1, "tag-1", 77));
  ASSERT_EQ(parse_method(as_bytes(p), false, m), MethodParse::kOk);
  EXPECT_EQ(m.consumer_tag, "tag-1");
  EXPECT_EQ(m.delivery_tag, 77u);

  m = {};
  p = payload_of(nack(1, 9, true, true));
  ASSERT_EQ(parse_method(as_bytes(p), false, m), MethodParse::kOk);
  EXPECT_TRUE(m.multiple && m.requeue);
  EXPECT_EQ(m.delivery_tag, 9u);

  m = {};
  p = payload_of(reject(1, 3, true));
  ASSERT_EQ(parse_method(as_bytes(p), false, m), MethodParse::kOk);
  EXPECT_TRUE(m.requeue);
  EXPECT_FALSE(m.multiple);

  m = {};
  p = payload_of(publish(1, "orders", "key"));
  ASSERT_EQ(parse_method(as_bytes(p), false, m), MethodParse::kOk);
  EXPECT_EQ(m.exchange, "orders");

  m = {};
  p = payload_of(get(1, "q", true));
  ASSERT_EQ(parse_method(as_bytes(p), false, m), MethodParse::kOk);
  EXPECT_EQ(m.queue, "q");
  EXPECT_TRUE(m.no_ack);
}

TEST(AmqpMethodTest, UnknownCutAndMalformed) {
  Method m;
  std::string p = payload_of(method(1, 60, 41));
  EXPECT_EQ(parse_method(as_bytes(p), false, m), MethodParse::kUnknown);
  p = payload_of(deliver(1, "tag-1", 77));
  EXPECT_EQ(parse_method(as_bytes(p).first(8), true, m), MethodParse::kTruncated);
  EXPECT_EQ(parse_method(as_bytes(p).first(8), false, m), MethodParse::kMalformed);
  EXPECT_EQ(parse_method(as_bytes(p).first(2), true, m), MethodParse::kTruncated);
  // The trailing arguments are not needed: a Publish cut after its exchange is whole.
  p = payload_of(publish(1, "orders", "key"));
  EXPECT_EQ(parse_method(as_bytes(p).first(2 + 2 + 2 + 7), true, m), MethodParse::kOk);
  EXPECT_EQ(m.exchange, "orders");
}

TEST(AmqpMethodTest, KnowsTheSpecificationsMethods) {
  EXPECT_TRUE(is_known_method(10, 10));
  EXPECT_TRUE(is_known_method(60, 120));
  EXPECT_TRUE(is_known_method(85, 11));
  EXPECT_TRUE(is_known_method(90, 31));
  EXPECT_FALSE(is_known_method(60, 41));
  EXPECT_FALSE(is_known_method(0, 0));
  EXPECT_FALSE(is_known_method(85, 20));
}

}  // namespace
}  // namespace redeye::amqp::testing
