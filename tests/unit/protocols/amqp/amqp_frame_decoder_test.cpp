#include "protocols/amqp/amqp_frame_decoder.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "amqp_frames.h"
#include "amqp_test_support.h"

namespace redeye::amqp::testing {
namespace {

using protocols::ProbeResult;

protocols::FrameProbe probe(const std::string& bytes) {
  return AmqpFrameDecoder().probe(as_bytes(bytes));
}

size_t boundary(const std::string& bytes) {
  return AmqpFrameDecoder().find_boundary(as_bytes(bytes));
}

TEST(AmqpFrameDecoderTest, ProbesEveryFrameType) {
  for (const std::string& f : {publish(1, "orders", "k"), content_header(1, 10), body(1, "abc"),
                               heartbeat(), connection_start(), body(1, std::string(500, 'x'))}) {
    const auto p = probe(f.substr(0, 64));
    EXPECT_EQ(p.result, ProbeResult::kFrame);
    EXPECT_EQ(p.length, f.size());
  }
  const auto header = probe(protocol_header());
  EXPECT_EQ(header.result, ProbeResult::kFrame);
  EXPECT_EQ(header.length, 8u);
}

TEST(AmqpFrameDecoderTest, NeedsTheWholeFrameHeader) {
  const std::string f = deliver(1, "tag", 1);
  for (size_t n = 0; n < 11; n++) {
    EXPECT_EQ(probe(f.substr(0, n)).result, ProbeResult::kNeedMore) << n;
  }
  EXPECT_EQ(probe("AMQP").result, ProbeResult::kNeedMore);
  EXPECT_EQ(probe(body(1, "x").substr(0, 7)).result, ProbeResult::kFrame);
}

TEST(AmqpFrameDecoderTest, RejectsWhatIsNotAFrame) {
  std::string wrong_end = ack(1, 1);
  wrong_end.back() = 0;
  std::string huge = body(1, "x");
  huge[3] = 0x7f;  // size > 16 MiB
  for (const std::string& bad :
       {std::string("GET / HTTP/1.1\r\n"), std::string("\x16\x03\x01\x02\x00", 5),
        std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8), std::string("AMQX\0\0\x09\x01", 8),
        frame(4, 1, "abc"), frame(8, 0, "x"), frame(8, 1, ""), method(1, 60, 41), method(1, 99, 10),
        frame(1, 1, "ab"), frame(2, 1, "short"), wrong_end, huge}) {
    EXPECT_EQ(probe(bad).result, ProbeResult::kInvalid) << ::testing::PrintToString(bad);
  }
}

TEST(AmqpFrameDecoderTest, BoundaryFinderIsStrict) {
  const std::string good = deliver(1, "w", 1);
  EXPECT_EQ(boundary("garbage" + good), 7u);
  EXPECT_EQ(boundary("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 27u);  // nothing
  EXPECT_EQ(boundary(std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11)), 11u);
  // A method on channel 0 must be of class Connection, and the reverse.
  EXPECT_EQ(boundary(method(0, 60, 80, Args().u64(1).u8(0))), 21u);
  EXPECT_EQ(boundary(method(1, 10, 50, Args().u16(0))), 14u);
  // A body frame is accepted only when its end is visible and followed by a frame or nothing.
  const std::string b = body(1, "payload");
  EXPECT_EQ(boundary(b), 0u);
  EXPECT_EQ(boundary(b + heartbeat()), 0u);
  EXPECT_EQ(boundary(b.substr(0, b.size() - 1)), b.size() - 1);
  EXPECT_EQ(boundary(b + "zz"), b.size() + 2);
  // Heartbeats and content headers.
  EXPECT_EQ(boundary("xx" + heartbeat()), 2u);
  EXPECT_EQ(boundary("x" + content_header(1, 5)), 1u);
  EXPECT_EQ(boundary("x" + content_header(0, 5)), content_header(0, 5).size() + 1);
  EXPECT_EQ(boundary("x" + protocol_header()), 1u);
}

TEST(AmqpFrameDecoderTest, RandomBytesRarelyLookLikeAFrame) {
  std::mt19937 rng(12345);
  std::string noise(1 << 16, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  size_t hits = 0;
  for (size_t pos = 0; pos < noise.size(); pos++) {
    if (plausible_frame_start(as_bytes(noise).subspan(pos))) hits++;
  }
  EXPECT_LE(hits, 2u);
}

}  // namespace
}  // namespace redeye::amqp::testing
