// The frame reader: the preface, frames split at every offset and many per chunk, PADDED and
// PRIORITY stripped, uncaptured bytes in content and where a header was needed, resync at a
// chunk that starts with frames, frames over the max frame size, garbage after the preface.
#include "protocols/http2/h2_frame_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "h2_test_util.h"

namespace redeye::http2 {
namespace {

using test::bytes;

// Logs events; content pieces of one frame are joined, so split input logs the same.
class Log : public FrameHandler {
 public:
  void on_preface() override { lines.push_back("preface"); }
  void on_frame_start(const FrameHeader& h, uint64_t) override {
    current = "frame " + std::to_string(h.type) + " f" + std::to_string(h.flags) + " s" +
              std::to_string(h.stream_id) + " [";
  }
  void on_frame_content(std::span<const uint8_t> b) override {
    current.append(reinterpret_cast<const char*>(b.data()), b.size());
  }
  void on_frame_content_lost(uint64_t n) override { current += "<" + std::to_string(n) + ">"; }
  void on_frame_end(uint64_t) override { lines.push_back(current + "]"); }
  void on_sync_lost(SyncLoss why) override {
    lines.push_back("lost " + std::to_string(static_cast<int>(why)));
  }
  std::vector<std::string> lines;
  std::string current;
};

std::vector<std::string> read_whole(const std::string& stream, bool client = true) {
  Log log;
  FrameReader reader(client, log);
  reader.feed(bytes(stream), 0, 1);
  return log.lines;
}

const std::string kStream = test::kPreface + test::settings({{4, 65535}}) + test::settings_ack() +
                            test::window_update(0) + test::headers(1, "BLOCK", false) +
                            test::data(1, "hello", true) + test::ping() + test::rst_stream(3, 8) +
                            test::goaway(3, 0);

TEST(FrameReader, ReadsThePrefaceAndEveryFrame) {
  const auto lines = read_whole(kStream);
  ASSERT_EQ(lines.size(), 9u);
  EXPECT_EQ(lines[0], "preface");
  EXPECT_EQ(lines[4], "frame 1 f4 s1 [BLOCK]");
  EXPECT_EQ(lines[5], "frame 0 f1 s1 [hello]");
}

TEST(FrameReader, SplitAtEveryOffsetReadsTheSame) {
  const auto whole = read_whole(kStream);
  for (size_t cut = 1; cut < kStream.size(); ++cut) {
    Log log;
    FrameReader reader(true, log);
    reader.feed(bytes(std::string_view(kStream).substr(0, cut)), 0, 1);
    reader.feed(bytes(std::string_view(kStream).substr(cut)), 0, 2);
    ASSERT_EQ(log.lines, whole) << cut;
  }
  Log log;  // a byte at a time
  FrameReader reader(true, log);
  for (char c : kStream) reader.feed(bytes(std::string_view(&c, 1)), 0, 1);
  EXPECT_EQ(log.lines, whole);
}

TEST(FrameReader, StripsPaddingAndPriority) {
  // DATA PADDED: pad length 3, "abc", 3 bytes of padding.
  const std::string padded_data = test::frame(0, 0x8 | 0x1, 1,
                                              std::string("\x03"
                                                          "abc\0\0\0",
                                                          7));
  // HEADERS PADDED + PRIORITY: pad 2, 5 priority bytes, "HB", 2 padding.
  const std::string headers =
      test::frame(1, 0x8 | 0x20 | 0x4, 3, std::string("\x02\x80\x00\x00\x01\x10HB\0\0", 10));
  // PUSH_PROMISE: promised stream id, then the fragment.
  const std::string push = test::frame(5, 0x4, 1, std::string("\x00\x00\x00\x02PP", 6));
  const auto lines = read_whole(test::settings() + padded_data + headers + push, false);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1], "frame 0 f9 s1 [abc]");
  EXPECT_EQ(lines[2], "frame 1 f44 s3 [HB]");
  EXPECT_EQ(lines[3], "frame 5 f4 s1 [PP]");
}

TEST(FrameReader, PaddingLongerThanThePayloadIsMalformed) {
  const auto lines = read_whole(test::settings() + test::frame(0, 0x8, 1,
                                                               std::string("\x05"
                                                                           "ab",
                                                                           3)),
                                false);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1], "lost " + std::to_string(static_cast<int>(SyncLoss::kMalformedFrame)));
}

TEST(FrameReader, UncapturedContentIsSkippedByLength) {
  Log log;
  FrameReader reader(false, log);
  const std::string frames = test::data(1, std::string(100, 'd'), false) + test::ping();
  // 20 bytes captured (9 header + 11 content), 89 content bytes not captured; then the PING.
  reader.feed(bytes(frames.substr(0, 20)), 89, 1);
  reader.feed(bytes(frames.substr(109)), 0, 2);
  ASSERT_EQ(log.lines.size(), 2u);
  EXPECT_EQ(log.lines[0], "frame 0 f0 s1 [ddddddddddd<89>]");
  EXPECT_EQ(log.lines[1], "frame 6 f0 s0 [pppppppp]");
}

TEST(FrameReader, UncapturedHeaderLosesSyncUntilAChunkStartsWithFrames) {
  Log log;
  FrameReader reader(false, log);
  const std::string a = test::data(1, "abc", false);
  reader.feed(bytes(a), 20, 1);  // the next frame header was not captured
  EXPECT_FALSE(reader.in_sync());
  reader.feed(bytes("garbage bytes that are no frame"), 0, 2);  // skipped
  EXPECT_FALSE(reader.in_sync());
  reader.feed(bytes(test::ping() + test::data(3, "x", true)), 0, 3);
  EXPECT_TRUE(reader.in_sync());
  ASSERT_EQ(log.lines.size(), 4u);
  EXPECT_EQ(log.lines[1], "lost " + std::to_string(static_cast<int>(SyncLoss::kGap)));
  EXPECT_EQ(log.lines[3], "frame 0 f1 s3 [x]");
}

TEST(FrameReader, FrameOverTheMaxFrameSize) {
  const std::string big = test::data(1, std::string(20000, 'x'), true);
  auto lines = read_whole(test::kPreface + test::settings() + big);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2], "lost " + std::to_string(static_cast<int>(SyncLoss::kFrameTooLarge)));
  // A chunk that starts with it is no place to resync either.
  EXPECT_FALSE(FrameReader::starts_with_frames(bytes(big), kDefaultMaxFrameSize));
  Log log;
  FrameReader reader(false, log);
  reader.set_max_frame_size(32768);
  reader.feed(bytes(big), 0, 1);
  ASSERT_EQ(log.lines.size(), 1u);
}

TEST(FrameReader, BadPrefaceAndGarbageAfterIt) {
  auto lines = read_whole("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + test::settings());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "lost " + std::to_string(static_cast<int>(SyncLoss::kBadPreface)));
  // A valid preface, then no SETTINGS frame.
  lines = read_whole(test::kPreface + "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1], "lost " + std::to_string(static_cast<int>(SyncLoss::kBadPreface)));
  lines = read_whole(test::kPreface + test::ping());
  EXPECT_EQ(lines[1], "lost " + std::to_string(static_cast<int>(SyncLoss::kBadPreface)));
}

TEST(FrameReader, JoinedConnectionStartsAtAFrame) {
  auto lines = read_whole(test::headers(5, "B", true));  // client direction, no preface
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "frame 1 f5 s5 [B]");
  // A server direction joined in the middle of a frame waits for a chunk starting with one.
  Log log;
  FrameReader reader(false, log);
  reader.feed(bytes("dle of some DATA payload"), 0, 1);
  reader.feed(bytes(test::settings_ack()), 0, 2);
  ASSERT_EQ(log.lines.size(), 1u);
  EXPECT_EQ(log.lines[0], "frame 4 f1 s0 []");
}

TEST(FrameReader, BrokenTypeRulesLoseSync) {
  for (const std::string& bad :
       {test::frame(6, 0, 0, "short"), test::frame(0, 0, 0, "x"), test::frame(4, 0, 1, ""),
        test::frame(3, 0, 1, "12345"), test::frame(8, 0, 0, "123")}) {
    const auto lines = read_whole(test::kPreface + test::settings() + bad);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[2], "lost " + std::to_string(static_cast<int>(SyncLoss::kMalformedFrame)));
  }
  // Unknown (extension) frame types are skipped.
  const auto lines = read_whole(test::kPreface + test::settings() +
                                test::frame(0x20, 0xff, 7, "ext") + test::ping());
  ASSERT_EQ(lines.size(), 4u);
}

TEST(FrameReader, TruncatedFrameReportsNothingPastItsStart) {
  const std::string f = test::data(1, "0123456789", true);
  Log log;
  FrameReader reader(false, log);
  reader.feed(bytes(f.substr(0, 14)), 0, 1);
  EXPECT_TRUE(log.lines.empty());
  EXPECT_EQ(log.current, "frame 0 f1 s1 [01234");
}

TEST(FrameReader, StartsWithFrames) {
  EXPECT_TRUE(FrameReader::starts_with_frames(bytes(test::ping()), kDefaultMaxFrameSize));
  EXPECT_FALSE(FrameReader::starts_with_frames(bytes("\x00\x00"), kDefaultMaxFrameSize));
  EXPECT_FALSE(
      FrameReader::starts_with_frames(bytes(test::ping() + "garbage!!!!"), kDefaultMaxFrameSize));
  EXPECT_FALSE(FrameReader::starts_with_frames(bytes(test::frame(0, 0x40, 1, "x")),
                                               kDefaultMaxFrameSize));  // unknown flag
}

}  // namespace
}  // namespace redeye::http2
