// The conversation when bytes are missing, damaged or too many: capture limits, gaps,
// garbage, connections joined mid-stream, and the memory limits.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "amqp_frames.h"
#include "amqp_test_support.h"
#include "protocols/amqp/amqp_constants.h"
#include "protocols/amqp/amqp_conversation.h"

namespace redeye::amqp::testing {
namespace {

using protocols::Role;
using Log = std::vector<std::string>;

Script consuming(std::string_view queue = "q") {
  return handshake() + Script{c2b(consume(1, queue, "w"), 10), b2c(consume_ok(1, "w"), 11)};
}

// `bytes` captured up to `keep`, the rest reported as uncaptured.
Step captured_prefix(bool to_broker, const std::string& bytes, size_t keep, uint64_t ts) {
  return {to_broker, bytes.substr(0, keep), ts, bytes.size() - keep};
}

TEST(AmqpRobustnessTest, UncapturedBytesInsideABodyFrameAreSkipped) {
  const std::string big = publish_message(1, "orders", "k", std::string(10000, 'p'));
  const Script script = handshake() + Script{captured_prefix(true, big, 200, 10),
                                             c2b(publish_message(1, "orders", "k", "m"), 11)};
  EXPECT_EQ(run(script), (Log{"publish orders", "publish orders"}));
}

TEST(AmqpRobustnessTest, BigDeliveryBeyondTheCaptureLimitIsStillCountedAndAcked) {
  const std::string big = deliver_message(1, "w", 1, std::string(100000, 'b'));
  const Script script =
      consuming() + Script{captured_prefix(false, big, 4096, 20), c2b(ack(1, 1), 30)};
  EXPECT_EQ(run(script), (Log{"consume q deliver in_flight", "settle q ack 10"}));
}

TEST(AmqpRobustnessTest, HeadersTableBeyondTheCaptureLimitIsCounted) {
  const std::string header = content_header(1, 1, x_death_headers("orders.work", "rejected"));
  const Script script =
      consuming() + Script{b2c(deliver(1, "w", 1), 20), captured_prefix(false, header, 40, 20),
                           b2c(body(1, "m"), 20), c2b(ack(1, 1), 21)};
  EXPECT_EQ(run(script), (Log{"consume q deliver in_flight", "anomaly headers_not_captured 1",
                              "settle q ack 1"}));
}

TEST(AmqpRobustnessTest, MethodArgumentsBeyondTheCaptureLimitAreCounted) {
  const std::string method = deliver(1, "w", 1);
  const Script script = consuming() + Script{captured_prefix(false, method, 14, 20)};
  EXPECT_EQ(run(script), (Log{"anomaly truncated_method 1"}));
}

TEST(AmqpRobustnessTest, CaptureGapAcrossFramesResyncsAtTheNextRead) {
  const std::string first = deliver_message(1, "w", 1, "a");
  const std::string second = deliver_message(1, "w", 2, "b");
  const std::string third = deliver_message(1, "w", 3, "c");
  const std::string read = first + second + third;
  // Captured: all of the first delivery and the second's method frame and a bit more.
  const size_t keep = first.size() + deliver(1, "w", 2).size() + 5;
  const Script script = consuming() + Script{captured_prefix(false, read, keep, 20),
                                             b2c(deliver_message(1, "w", 4, "d"), 21),
                                             c2b(ack(1, 4, /*multiple=*/true), 22)};
  EXPECT_EQ(run(script), (Log{"consume q deliver in_flight", "consume q deliver in_flight",
                              "anomaly capture_gap 1", "consume q deliver in_flight",
                              "settle q ack 2", "settle q ack 2", "settle q ack 1"}));
}

TEST(AmqpRobustnessTest, LostPublishesStopConfirmTimingOnTheConnection) {
  // Publishes lost in a gap would shift the broker's sequence numbers against ours.
  const Script script =
      handshake() + Script{c2b(confirm_select(1), 10),
                           b2c(confirm_select_ok(1), 10),
                           c2b(publish_message(1, "orders", "k", "m"), 11),
                           {true, publish(1, "orders", "k"), 12, 100},  // then 100 unseen bytes
                           c2b(publish_message(1, "orders", "k", "m"), 13),
                           b2c(ack(1, 0, /*multiple=*/true), 14)};
  EXPECT_EQ(run(script),
            (Log{"publish orders", "publish orders", "anomaly capture_gap 1", "publish orders"}));
}

TEST(AmqpRobustnessTest, LostRepliesAreNotPairedWithTheWrongRequest) {
  const Script script = handshake() + Script{c2b(get(1, "q1") + get(1, "q2"), 10),
                                             {false, heartbeat(), 11, 50},  // q1's reply unseen
                                             b2c(get_ok(1, 2), 12)};
  EXPECT_EQ(run(script), (Log{"anomaly capture_gap 1", "consume _unknown get"}));
}

TEST(AmqpRobustnessTest, GarbageIsCountedAndSkipped) {
  const Script script =
      consuming() + Script{b2c(deliver_message(1, "w", 1, "a") + "GET / HTTP/1.1\r\n\r\n\x16\x03" +
                                   deliver_message(1, "w", 2, "b"),
                               20),
                           c2b(std::string("\xff\x00garbage", 9) + ack(1, 2, true), 21)};
  // Skipped bytes are reported once the chunk has been read.
  EXPECT_EQ(run(script), (Log{"consume q deliver in_flight", "consume q deliver in_flight",
                              "anomaly invalid_frame 1", "settle q ack 1", "settle q ack 1",
                              "anomaly invalid_frame 1"}));
}

TEST(AmqpRobustnessTest, WrongFrameEndIsCountedAndResyncs) {
  std::string bad = deliver_message(1, "w", 1, "a");
  const size_t method_end = deliver(1, "w", 1).size();
  bad[method_end - 1] = 'X';
  // The frame is short enough for the decoder to see its end: rejected as invalid there.
  Script script = consuming() + Script{b2c(bad, 20), b2c(deliver_message(1, "w", 2, "b"), 21)};
  EXPECT_EQ(run(script),
            (Log{"anomaly invalid_frame 1", "consume q deliver in_flight", "return q 1"}));
  // A long frame's end is beyond the decoder's view: the conversation checks it.
  const std::string long_tag(120, 't');
  std::string long_bad = deliver(1, long_tag, 1);
  long_bad.back() = 'X';
  script = handshake() + Script{c2b(consume(1, "q", long_tag), 10),
                                b2c(consume_ok(1, long_tag), 11), b2c(long_bad + heartbeat(), 20),
                                b2c(deliver_message(1, long_tag, 2, "b"), 21)};
  EXPECT_EQ(run(script),
            (Log{"anomaly bad_frame_end 1", "consume q deliver in_flight", "return q 1"}));
}

TEST(AmqpRobustnessTest, JoinedMidStreamFindsTheFirstFrame) {
  // No protocol header: the agent started while the connection was busy. The consumer's tag
  // was never seen, so its deliveries count under "_unknown" and are not tracked in flight.
  const Script script = {
      b2c("tail of a body" + std::string(1, '\xCE') + deliver_message(1, "amq.ctag-old", 7, "m"),
          1),
      c2b(ack(1, 7), 2),
      c2b(consume(1, "q", "new"), 3),
      b2c(consume_ok(1, "new"), 4),
      b2c(deliver_message(1, "new", 8, "m"), 5),
      c2b(ack(1, 8), 6)};
  const Log expected = {"consume _unknown deliver", "anomaly out_of_sync 1",
                        "consume q deliver in_flight", "settle q ack 1"};
  EXPECT_EQ(run(script), expected);
  EXPECT_EQ(run(script, Role::kServer), expected);
}

TEST(AmqpRobustnessTest, ReadsCutInsideFramesThenClosedLeaveNothingBehind) {
  const std::string all = deliver_message(1, "w", 1, "m") + deliver_message(1, "w", 2, "m");
  for (size_t keep = 0; keep < all.size(); keep++) {
    const Script script = consuming() + Script{b2c(all.substr(0, keep), 20)};
    RecordingSink sink;
    AmqpConversation conversation(Role::kClient, sink);
    for (const Step& step : script)
      play(conversation, Role::kClient, step, as_bytes(step.bytes), 0);
    conversation.on_close(30);
    EXPECT_EQ(sink.in_flight, 0) << keep;
    EXPECT_EQ(conversation.unacked(), 0u);
    EXPECT_EQ(conversation.channels(), 0u);
  }
}

TEST(AmqpRobustnessTest, ChannelLimit) {
  Script script = handshake();
  for (uint16_t ch = 2; ch <= kMaxChannels + 5; ch++) script.push_back(c2b(channel_open(ch), 10));
  const Log log = run(script);
  EXPECT_EQ(log, Log(5, "anomaly channel_limit 1"));
}

TEST(AmqpRobustnessTest, UnackedLimit) {
  Script script = consuming();
  std::string many;
  for (uint64_t tag = 1; tag <= kMaxUnacked + 1; tag++) many += deliver_message(1, "w", tag, "m");
  script.push_back(b2c(many, 20));
  const Log log = run(script, Role::kClient, -1, /*close=*/false);
  ASSERT_EQ(log.size(), kMaxUnacked + 2);
  EXPECT_EQ(log[kMaxUnacked], "anomaly unacked_limit 1");
  EXPECT_EQ(log[kMaxUnacked + 1], "consume q deliver");
}

TEST(AmqpRobustnessTest, ConfirmLimit) {
  Script script = handshake() + Script{c2b(confirm_select(1), 10)};
  std::string many;
  for (size_t i = 0; i <= kMaxPendingConfirms; i++) many += publish(1, "x", "k");
  script.push_back(c2b(many, 20));
  script.push_back(b2c(ack(1, kMaxPendingConfirms + 1), 30));  // the untracked one
  script.push_back(b2c(ack(1, 1), 30));
  const Log log = run(script);
  ASSERT_EQ(log.size(), kMaxPendingConfirms + 3);
  EXPECT_EQ(log[kMaxPendingConfirms + 1], "anomaly confirm_limit 1");
  EXPECT_EQ(log.back(), "confirm x ack 10");
}

TEST(AmqpRobustnessTest, ConsumerRequestAndNameLimits) {
  Script script = handshake();
  for (size_t i = 0; i <= kMaxConsumers; i++) {
    const std::string tag = "t" + std::to_string(i);
    script.push_back(c2b(consume(1, "q", tag), 10));
    script.push_back(b2c(consume_ok(1, tag), 11));
  }
  EXPECT_EQ(run(script), (Log{"anomaly consumer_limit 1"}));

  script = handshake();
  for (size_t i = 0; i <= kMaxPendingRequests; i++) script.push_back(c2b(get(1, "q"), 10));
  EXPECT_EQ(run(script), (Log{"anomaly request_limit 1"}));

  script = handshake();
  for (size_t i = 0; i < kMaxNames; i++) {
    script.push_back(c2b(get(1, "q" + std::to_string(i)), 10));
    script.push_back(b2c(get_empty(1), 11));
  }
  const Log log = run(script);
  EXPECT_FALSE(log.empty());
  EXPECT_EQ(log.front(), "anomaly name_limit 1");
}

TEST(AmqpRobustnessTest, ServerGeneratedQueueNamesShareOneName) {
  const Script script = handshake() + Script{c2b(get(1, "amq.gen-Ab1"), 10), b2c(get_ok(1, 1), 11),
                                             c2b(get(1, "amq.gen-Zz9"), 12), b2c(get_ok(1, 2), 13)};
  EXPECT_EQ(run(script), (Log{"consume amq.gen-* get in_flight", "consume amq.gen-* get in_flight",
                              "return amq.gen-* 2"}));
}

TEST(AmqpRobustnessTest, ConsumerCancelledAndNoWaitConsume) {
  const Script script =
      handshake() + Script{c2b(consume(1, "q", "nw", false, /*no_wait=*/true), 10),
                           b2c(deliver_message(1, "nw", 1, "m"), 11),
                           c2b(cancel(1, "nw"), 12),
                           b2c(cancel_ok(1, "nw"), 13),
                           c2b(ack(1, 1), 14),  // still acked after the cancel
                           b2c(deliver_message(1, "nw", 2, "m"), 15)};
  EXPECT_EQ(run(script),
            (Log{"consume q deliver in_flight", "settle q ack 3", "consume _unknown deliver"}));
}

TEST(AmqpRobustnessTest, ConversationStartsAfreshAfterClose) {
  RecordingSink sink;
  AmqpConversation conversation(Role::kClient, sink);
  for (int round = 0; round < 2; round++) {
    for (const Step& step : consuming() + Script{b2c(deliver_message(1, "w", 1, "m"), 20)}) {
      play(conversation, Role::kClient, step, as_bytes(step.bytes), 0);
    }
    conversation.on_close(30);
  }
  EXPECT_EQ(sink.log, (Log{"consume q deliver in_flight", "return q 1",
                           "consume q deliver in_flight", "return q 1"}));
}

TEST(AmqpRobustnessTest, BrokerProtocolHeaderReplyIsIgnored) {
  const Script script = {c2b(std::string("AMQP\0\0\x09\x01", 8), 1),
                         b2c(std::string("AMQP\0\0\x09\x01", 8), 2)};
  EXPECT_TRUE(run(script).empty());
}

}  // namespace
}  // namespace redeye::amqp::testing
