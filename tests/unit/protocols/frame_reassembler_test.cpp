#include "protocols/common/frame_reassembler.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace redeye::protocols {
namespace {

// Test framing: 'F', one length byte n, then n payload bytes (frame length n + 2).
class ToyDecoder : public FrameDecoder {
 public:
  FrameProbe probe(std::span<const uint8_t> b) const override {
    if (b.empty()) return {ProbeResult::kNeedMore, 0};
    if (b[0] != 'F') return {ProbeResult::kInvalid, 0};
    if (b.size() < 2) return {ProbeResult::kNeedMore, 0};
    return {ProbeResult::kFrame, uint64_t{b[1]} + 2};
  }
  size_t find_boundary(std::span<const uint8_t> b) const override {
    for (size_t i = 0; i < b.size(); i++) {
      if (b[i] == 'F') return i;
    }
    return b.size();
  }
};

std::string frame(const std::string& payload) {
  return std::string("F") + static_cast<char>(payload.size()) + payload;
}

struct Collector {
  std::vector<std::string> frames;
  std::vector<uint64_t> lengths;
  std::vector<uint64_t> times;
  FrameReassembler::FrameCallback callback() {
    return [this](const Frame& f) {
      frames.emplace_back(f.bytes.begin(), f.bytes.end());
      lengths.push_back(f.length);
      times.push_back(f.ts_ns);
    };
  }
};

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(FrameReassemblerTest, SplitAtEveryOffsetGivesTheSameFrames) {
  ToyDecoder decoder;
  const std::string stream = frame("hello") + frame("") + frame("world!") + frame("x");
  for (size_t cut = 0; cut <= stream.size(); cut++) {
    FrameReassembler r(decoder, 1024);
    Collector c;
    r.feed(bytes(stream.substr(0, cut)), 0, 1, c.callback());
    r.feed(bytes(stream.substr(cut)), 0, 2, c.callback());
    ASSERT_EQ(c.frames.size(), 4u) << "cut at " << cut;
    EXPECT_EQ(c.frames[0], frame("hello"));
    EXPECT_EQ(c.frames[1], frame(""));
    EXPECT_EQ(c.frames[2], frame("world!"));
    EXPECT_EQ(c.frames[3], frame("x"));
    EXPECT_EQ(r.stats().gaps + r.stats().invalid, 0u);
  }
}

TEST(FrameReassemblerTest, UncapturedBytesInsideAFrameAreSkippedAndTheFrameTruncated) {
  ToyDecoder decoder;
  FrameReassembler r(decoder, 1024);
  Collector c;
  const std::string big = frame(std::string(200, 'p'));
  // Only the first 10 bytes copied, 192 seen but not copied, then the next frame.
  r.feed(bytes(big.substr(0, 10)), big.size() - 10, 7, c.callback());
  r.feed(bytes(frame("next")), 0, 8, c.callback());
  ASSERT_EQ(c.frames.size(), 2u);
  EXPECT_EQ(c.frames[0], big.substr(0, 10));
  EXPECT_EQ(c.lengths[0], 202u);
  EXPECT_EQ(c.times[0], 7u);
  EXPECT_EQ(c.frames[1], frame("next"));
  EXPECT_EQ(r.stats().gaps, 0u);
}

TEST(FrameReassemblerTest, FramesLongerThanTheLimitArriveAsTheirPrefix) {
  ToyDecoder decoder;
  FrameReassembler r(decoder, 8);
  Collector c;
  r.feed(bytes(frame("0123456789") + frame("ab")), 0, 1, c.callback());
  ASSERT_EQ(c.frames.size(), 2u);
  EXPECT_EQ(c.frames[0], frame("0123456789").substr(0, 8));
  EXPECT_EQ(c.lengths[0], 12u);
  EXPECT_EQ(c.frames[1], frame("ab"));
}

TEST(FrameReassemblerTest, GapWhereFramingWasNeededResyncsAtTheNextBoundary) {
  ToyDecoder decoder;
  FrameReassembler r(decoder, 1024);
  Collector c;
  r.feed(bytes(frame("aa")), 3, 1, c.callback());  // 3 unseen bytes after a whole frame
  EXPECT_EQ(r.stats().gaps, 1u);
  EXPECT_FALSE(r.in_sync());
  r.feed(bytes("xyz" + frame("bb")), 0, 2, c.callback());
  ASSERT_EQ(c.frames.size(), 2u);
  EXPECT_EQ(c.frames[1], frame("bb"));
  EXPECT_EQ(r.stats().resyncs, 1u);
  EXPECT_EQ(r.stats().skipped_bytes, 3u + 3u);
}

TEST(FrameReassemblerTest, AFrameCutByAGapIsDeliveredTruncatedBeforeTheGap) {
  ToyDecoder decoder;
  FrameReassembler r(decoder, 1024);
  Collector c;
  const std::string big = frame(std::string(100, 'p'));
  // 10 bytes copied; 92 more belong to this frame, then 5 bytes of something unseen.
  r.feed(bytes(big.substr(0, 10)), 92 + 5, 3, c.callback());
  ASSERT_EQ(c.frames.size(), 1u);
  EXPECT_EQ(c.frames[0], big.substr(0, 10));
  EXPECT_EQ(c.lengths[0], 102u);
  EXPECT_EQ(r.stats().gaps, 1u);
  EXPECT_EQ(r.stats().skipped_bytes, 5u);
  EXPECT_FALSE(r.in_sync());
}

TEST(FrameReassemblerTest, GarbageIsCountedAndSkipped) {
  ToyDecoder decoder;
  FrameReassembler r(decoder, 1024);
  Collector c;
  r.feed(bytes("garbage" + frame("ok")), 0, 1, c.callback());
  ASSERT_EQ(c.frames.size(), 1u);
  EXPECT_EQ(c.frames[0], frame("ok"));
  EXPECT_EQ(r.stats().invalid, 1u);
}

TEST(FrameReassemblerTest, JoinedMidStreamSearchesForTheFirstBoundary) {
  ToyDecoder decoder;
  FrameReassembler r(decoder, 1024, /*start_in_sync=*/false);
  Collector c;
  r.feed(bytes("tail of a frame" + frame("first")), 0, 1, c.callback());
  ASSERT_EQ(c.frames.size(), 1u);
  EXPECT_EQ(c.frames[0], frame("first"));
  EXPECT_EQ(r.stats().invalid, 0u);
}

TEST(FrameReassemblerTest, HeaderThatNeverCompletesWithinTheLimitIsInvalid) {
  class NeverDecoder : public ToyDecoder {
    FrameProbe probe(std::span<const uint8_t> b) const override {
      return b.empty() || b[0] != 'F' ? FrameProbe{ProbeResult::kInvalid, 0}
                                      : FrameProbe{ProbeResult::kNeedMore, 0};
    }
  } decoder;
  FrameReassembler r(decoder, 16);
  Collector c;
  r.feed(bytes(std::string(100, 'F')), 0, 1, c.callback());
  EXPECT_TRUE(c.frames.empty());
  EXPECT_GE(r.stats().invalid, 1u);
}

TEST(FrameReassemblerTest, WholeFramesAreDeliveredInPlaceAndOnlyASplitTailIsBuffered) {
  ToyDecoder decoder;
  FrameReassembler r(decoder, 1024);
  const std::string first = frame("abc") + frame("defg") + frame("hijkl").substr(0, 3);
  std::vector<const uint8_t*> data;
  Collector c;
  auto callback = [&](const Frame& f) {
    data.push_back(f.bytes.data());
    c.callback()(f);
  };
  r.feed(bytes(first), 0, 1, callback);
  ASSERT_EQ(c.frames.size(), 2u);
  // Both whole frames point into the chunk itself.
  EXPECT_EQ(data[0], bytes(first).data());
  EXPECT_EQ(data[1], bytes(first).data() + frame("abc").size());
  const std::string second = frame("hijkl").substr(3) + frame("m");
  r.feed(bytes(second), 0, 2, callback);
  ASSERT_EQ(c.frames.size(), 4u);
  EXPECT_EQ(c.frames[2], frame("hijkl"));
  EXPECT_EQ(c.times[2], 2u);
  EXPECT_EQ(c.frames[3], frame("m"));
  // The frame after the buffered one is whole again: in place.
  EXPECT_EQ(data[3], bytes(second).data() + frame("hijkl").size() - 3);
}

TEST(FrameReassemblerTest, WholeFrameLongerThanTheLimitInOneChunkArrivesAsItsPrefix) {
  ToyDecoder decoder;
  FrameReassembler r(decoder, 4);
  Collector c;
  r.feed(bytes(frame("0123456789") + frame("ab") + frame("c")), 0, 1, c.callback());
  ASSERT_EQ(c.frames.size(), 3u);
  EXPECT_EQ(c.frames[0], frame("0123456789").substr(0, 4));
  EXPECT_EQ(c.lengths[0], 12u);
  EXPECT_EQ(c.frames[1], frame("ab"));
  EXPECT_EQ(c.frames[2], frame("c"));
}

// Byte by byte only the buffered path runs; in one chunk whole frames take the in-place path.
// Any chunking must give the same frames, lengths and statistics.
TEST(FrameReassemblerTest, AnyChunkingGivesWhatByteByByteGives) {
  ToyDecoder decoder;
  const std::string stream = frame("hello") + "junk" + frame("") + frame(std::string(40, 'w')) +
                             "F" + frame("after a bad start") + frame("x") + "zz" +
                             frame(std::string(30, 'q')).substr(0, 12);
  for (const size_t limit : {size_t{8}, size_t{1024}}) {
    FrameReassembler reference(decoder, limit);
    Collector expected;
    for (size_t i = 0; i < stream.size(); i++) {
      reference.feed(bytes(stream.substr(i, 1)), 0, 1, expected.callback());
    }
    for (size_t step = 2; step <= stream.size(); step++) {
      FrameReassembler r(decoder, limit);
      Collector c;
      for (size_t i = 0; i < stream.size(); i += step) {
        r.feed(bytes(stream.substr(i, step)), 0, 1, c.callback());
      }
      EXPECT_EQ(c.frames, expected.frames) << "limit " << limit << ", chunks of " << step;
      EXPECT_EQ(c.lengths, expected.lengths) << "limit " << limit << ", chunks of " << step;
      EXPECT_EQ(r.stats().invalid, reference.stats().invalid);
      EXPECT_EQ(r.stats().skipped_bytes, reference.stats().skipped_bytes);
      EXPECT_EQ(r.stats().resyncs, reference.stats().resyncs);
      EXPECT_EQ(r.in_sync(), reference.in_sync());
    }
  }
}

}  // namespace
}  // namespace redeye::protocols
