// BodyFramer: Content-Length, chunked (extensions, trailers), read-until-close, uncaptured bytes.
#include "protocols/http/http_body_framer.h"

#include <gtest/gtest.h>

#include <string>

#include "http_test_support.h"
#include "protocols/http/http_limits.h"

namespace redeye::http::testing {
namespace {

using Status = BodyFramer::Status;

BodyFramer chunked() {
  BodyFramer framer;
  framer.reset({BodyKind::kChunked, 0});
  return framer;
}

// Feeds all of `bytes`, returns the last status and the total consumed.
std::pair<Status, std::size_t> feed_all(BodyFramer& framer, std::string_view bytes) {
  std::size_t consumed = 0;
  const Status status = framer.feed(as_bytes(bytes), consumed);
  return {status, consumed};
}

TEST(HttpBodyFramer, ContentLength) {
  BodyFramer framer;
  framer.reset({BodyKind::kLength, 10});
  EXPECT_FALSE(framer.done());
  EXPECT_EQ(feed_all(framer, "abcd"), std::make_pair(Status::kInProgress, std::size_t{4}));
  uint64_t gap_consumed = 0;
  EXPECT_EQ(framer.feed_gap(3, gap_consumed), Status::kInProgress);
  EXPECT_EQ(gap_consumed, 3u);
  EXPECT_EQ(feed_all(framer, "xyzNEXT"), std::make_pair(Status::kDone, std::size_t{3}));
  EXPECT_EQ(framer.payload_bytes(), 10u);
  EXPECT_TRUE(framer.done());
}

TEST(HttpBodyFramer, GapPastContentLengthStopsAtBodyEnd) {
  BodyFramer framer;
  framer.reset({BodyKind::kLength, 5});
  uint64_t consumed = 0;
  EXPECT_EQ(framer.feed_gap(8, consumed), Status::kDone);
  EXPECT_EQ(consumed, 5u);
  EXPECT_EQ(framer.payload_bytes(), 5u);
}

TEST(HttpBodyFramer, NoBodyAndUntilClose) {
  BodyFramer none;
  none.reset({BodyKind::kNone, 0});
  EXPECT_TRUE(none.done());
  EXPECT_EQ(feed_all(none, "abc"), std::make_pair(Status::kDone, std::size_t{0}));

  BodyFramer until_close;
  until_close.reset({BodyKind::kUntilClose, 0});
  EXPECT_EQ(feed_all(until_close, "abc"), std::make_pair(Status::kInProgress, std::size_t{3}));
  uint64_t consumed = 0;
  EXPECT_EQ(until_close.feed_gap(1000, consumed), Status::kInProgress);
  EXPECT_EQ(until_close.payload_bytes(), 1003u);
  EXPECT_FALSE(until_close.done());
}

TEST(HttpBodyFramer, ChunkedAtEveryOffset) {
  const std::string body =
      "5;name=value;flag\r\nhello\r\n1A ; x=\"q s\"\r\nabcdefghijklmnopqrstuvwxyz\r\n"
      "000\r\nExpires: never\r\nX-Sum: 1\r\n\r\n";
  for (std::size_t k = 0; k <= body.size(); ++k) {
    SCOPED_TRACE(k);
    BodyFramer framer = chunked();
    EXPECT_EQ(feed_all(framer, std::string_view(body).substr(0, k)).first,
              k == body.size() ? Status::kDone : Status::kInProgress);
    const auto [status, consumed] = feed_all(framer, body.substr(k) + "GET");
    EXPECT_EQ(status, Status::kDone);
    EXPECT_EQ(consumed, body.size() - k);
    EXPECT_EQ(framer.payload_bytes(), 31u);
  }
}

TEST(HttpBodyFramer, ChunkedByteByByteStopsRightAfterLastCrlf) {
  const std::string body = "3\r\nabc\r\n0\r\n\r\n";
  BodyFramer framer = chunked();
  for (std::size_t i = 0; i < body.size(); ++i) {
    const auto [status, consumed] = feed_all(framer, body.substr(i, 1));
    EXPECT_EQ(consumed, 1u);
    EXPECT_EQ(status, i + 1 == body.size() ? Status::kDone : Status::kInProgress);
  }
  EXPECT_EQ(framer.payload_bytes(), 3u);
}

TEST(HttpBodyFramer, ChunkedMalformed) {
  struct Case {
    std::string bytes;
    std::size_t bad_at;
  };
  const Case cases[] = {
      {"zz\r\n", 0},        {"\r\n", 0},
      {"5\r\nhelloX", 8},   {"5\r\nhello\rX", 9},
      {"5 5\r\n", 2},       {"5\n", 1},
      {"5;ext\x01\r\n", 5}, {"0\r\nNoColon\r\n", 10},
      {"0\r\n: v\r\n", 3},  {"0\r\nA: b\n", 7},
      {"0\r\n\rX", 4},      {"10000000000000000\r\n", 16},  // more than 64 bits
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.bytes);
    BodyFramer framer = chunked();
    EXPECT_EQ(feed_all(framer, c.bytes), std::make_pair(Status::kMalformed, c.bad_at));
  }
}

TEST(HttpBodyFramer, ChunkLineAndTrailerLimits) {
  BodyFramer long_line = chunked();
  const std::string ext = "1;" + std::string(kMaxChunkLineBytes, 'e') + "\r\n";
  EXPECT_EQ(feed_all(long_line, ext), std::make_pair(Status::kMalformed, kMaxChunkLineBytes));

  BodyFramer zeros = chunked();
  EXPECT_EQ(feed_all(zeros, std::string(kMaxChunkLineBytes, '0')).first, Status::kInProgress);
  EXPECT_EQ(feed_all(zeros, "1").first, Status::kMalformed);

  BodyFramer trailers = chunked();
  const std::string big = "0\r\nX: " + std::string(kMaxHeadBytes, 't') + "\r\n\r\n";
  EXPECT_EQ(feed_all(trailers, big), std::make_pair(Status::kTooLarge, 3 + kMaxHeadBytes));
}

TEST(HttpBodyFramer, ChunkedGaps) {
  BodyFramer framer = chunked();
  EXPECT_EQ(feed_all(framer, "a\r\n0123").first, Status::kInProgress);
  uint64_t consumed = 0;
  EXPECT_EQ(framer.feed_gap(6, consumed), Status::kInProgress);  // exactly the rest of the data
  EXPECT_EQ(consumed, 6u);
  EXPECT_EQ(feed_all(framer, "\r\n4\r\nab").first, Status::kInProgress);
  EXPECT_EQ(framer.feed_gap(3, consumed), Status::kGap);  // 2 data bytes, then framing
  EXPECT_EQ(consumed, 2u);
  EXPECT_EQ(framer.payload_bytes(), 14u);

  BodyFramer at_size = chunked();
  EXPECT_EQ(at_size.feed_gap(1, consumed), Status::kGap);
  EXPECT_EQ(consumed, 0u);
}

}  // namespace
}  // namespace redeye::http::testing
