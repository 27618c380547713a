// Data events made of spans (REDEYE_DATA_SPANS, the kernel's HTTP/2 frame walk): the decoder
// checks the table and the connection table hands each span to the conversation as one chunk,
// the bytes up to the next span (or the end) as its uncaptured part.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adhoc_agent_test_support.h"
#include "bpf/event_decoder.h"
#include "conn/connection_table.h"
#include "protocols/protocol.h"

namespace redeye {
namespace {

// The record the kernel writes: header, the spans' bytes, then their table.
std::vector<uint8_t> span_record(uint32_t total, const std::vector<redeye_span>& spans,
                                 const std::string& bytes, int64_t count = -1) {
  redeye_data_event ev{};
  ev.hdr.type = REDEYE_EV_DATA;
  ev.hdr.conn_id = 1;
  ev.total_len = total;
  ev.captured_len = static_cast<uint32_t>(bytes.size() + spans.size() * sizeof(redeye_span));
  ev.flags = REDEYE_DATA_SPANS;
  ev.hidden_messages = count < 0 ? static_cast<uint32_t>(spans.size()) : count;
  ev.protocol = REDEYE_PROTO_HTTP2;
  ev.role = REDEYE_ROLE_SERVER;
  ev.direction = REDEYE_DIR_INBOUND;
  std::vector<uint8_t> out(sizeof(ev));
  std::memcpy(out.data(), &ev, sizeof(ev));
  out.insert(out.end(), bytes.begin(), bytes.end());
  for (const redeye_span& span : spans) {
    const auto* p = reinterpret_cast<const uint8_t*>(&span);
    out.insert(out.end(), p, p + sizeof(span));
  }
  return out;
}

TEST(DataSpansDecoderTest, ChecksTheTable) {
  const auto good = span_record(100, {{0, 3}, {10, 2}, {98, 2}}, "abcdefg");
  const DecodedEvent decoded = decode_event(good);
  ASSERT_TRUE(std::holds_alternative<DataEvent>(decoded));
  const DataEvent& ev = std::get<DataEvent>(decoded);
  EXPECT_EQ(std::string(ev.payload.begin(), ev.payload.end()), "abcdefg");
  ASSERT_EQ(ev.span_table.size(), 3 * sizeof(redeye_span));
  EXPECT_EQ(span_at(ev.span_table, 1).offset, 10u);
  EXPECT_EQ(span_at(ev.span_table, 2).len, 2u);

  const auto malformed = [](const std::vector<uint8_t>& record) {
    return std::holds_alternative<MalformedEvent>(decode_event(record));
  };
  EXPECT_TRUE(malformed(span_record(100, {{0, 3}, {2, 4}}, "abcdefg")));   // overlap
  EXPECT_TRUE(malformed(span_record(100, {{10, 3}, {0, 4}}, "abcdefg")));  // out of order
  EXPECT_TRUE(malformed(span_record(100, {{0, 3}, {98, 4}}, "abcdefg")));  // past total
  EXPECT_TRUE(malformed(span_record(100, {{0, 3}, {10, 3}}, "abcdefg")));  // sum != bytes
  EXPECT_TRUE(malformed(span_record(100, {{0, 0}, {10, 7}}, "abcdefg")));  // empty span
  EXPECT_TRUE(malformed(span_record(100, {{0, 7}}, "abcdefg", 65)));       // count too big
  EXPECT_TRUE(malformed(span_record(100, {{0, 7}}, "abcdefg", 2)));        // table too short
  // No span at all: the whole syscall was not copied.
  EXPECT_FALSE(malformed(span_record(100, {}, "")));
}

// Records every chunk a conversation gets.
struct Recorded {
  bool inbound;
  std::string captured;
  uint64_t uncaptured;
};

class RecordingConversation : public protocols::Conversation {
 public:
  explicit RecordingConversation(std::vector<Recorded>& out) : out_(out) {}
  void on_inbound(const protocols::Chunk& c) override { add(true, c); }
  void on_outbound(const protocols::Chunk& c) override { add(false, c); }
  void on_close(uint64_t) override {}

 private:
  void add(bool inbound, const protocols::Chunk& c) {
    out_.push_back({inbound, std::string(c.captured.begin(), c.captured.end()), c.uncaptured});
  }
  std::vector<Recorded>& out_;
};

class RecordingHandler : public protocols::ProtocolHandler {
 public:
  std::unique_ptr<protocols::Conversation> open(const protocols::ConnectionInfo&) override {
    return std::make_unique<RecordingConversation>(chunks);
  }
  std::vector<Recorded> chunks;
};

class DataSpansTableTest : public test::AdhocAgentTest {
 protected:
  DataSpansTableTest() {
    spans_table_ = std::make_unique<ConnectionTable>(
        4, services_,
        std::map<uint8_t, protocols::ProtocolHandler*>{{REDEYE_PROTO_HTTP2, &handler_}}, self_,
        true);
    spans_table_->on_open(test::open_event(1, 10, 5, 50051, "grpc-server"));
  }
  void feed(const std::vector<uint8_t>& record) {
    const DecodedEvent decoded = decode_event(record);
    ASSERT_TRUE(std::holds_alternative<DataEvent>(decoded));
    const DataEvent& ev = std::get<DataEvent>(decoded);
    spans_table_->on_data(*ev.header, ev.payload, ev.span_table);
  }
  RecordingHandler handler_;
  std::unique_ptr<ConnectionTable> spans_table_;
};

TEST_F(DataSpansTableTest, EachSpanIsAChunkAndTheGapsAreUncaptured) {
  feed(span_record(100, {{4, 3}, {10, 2}, {90, 4}}, "abcdefghi"));
  const std::vector<std::pair<std::string, uint64_t>> want = {
      {"", 4}, {"abc", 3}, {"de", 78}, {"fghi", 6}};
  ASSERT_EQ(handler_.chunks.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_TRUE(handler_.chunks[i].inbound);
    EXPECT_EQ(handler_.chunks[i].captured, want[i].first) << i;
    EXPECT_EQ(handler_.chunks[i].uncaptured, want[i].second) << i;
  }
}

TEST_F(DataSpansTableTest, NoSpanIsOneGapAndAFirstSpanAtZeroHasNoLeadingGap) {
  feed(span_record(50, {}, ""));
  feed(span_record(20, {{0, 20}}, std::string(20, 'x')));
  ASSERT_EQ(handler_.chunks.size(), 2u);
  EXPECT_EQ(handler_.chunks[0].captured, "");
  EXPECT_EQ(handler_.chunks[0].uncaptured, 50u);
  EXPECT_EQ(handler_.chunks[1].captured, std::string(20, 'x'));
  EXPECT_EQ(handler_.chunks[1].uncaptured, 0u);
}

}  // namespace
}  // namespace redeye
