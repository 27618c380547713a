// The conversation over whole scenarios built from the specification's byte layouts.
#include "protocols/amqp/amqp_conversation.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "amqp_frames.h"
#include "amqp_test_support.h"

namespace redeye::amqp::testing {
namespace {

using protocols::Role;
using Log = std::vector<std::string>;

TEST(AmqpConversationTest, PublishWithoutConfirmsCountsEveryPublish) {
  const Script script =
      handshake() + Script{
                        c2b(publish_message(1, "orders", "new", "{\"id\":1}"), 10),
                        c2b(publish_message(1, "orders", "new", "{\"id\":2}") +
                                publish_message(1, "", "orders.work", "x"),
                            11),
                    };
  EXPECT_EQ(run(script), (Log{"publish orders", "publish orders", "publish "}));
}

TEST(AmqpConversationTest, PublisherConfirmsWithMultipleAcksAndNacks) {
  Script script = handshake() + Script{c2b(confirm_select(1), 10), b2c(confirm_select_ok(1), 11)};
  for (uint64_t i = 0; i < 6; i++) {
    script.push_back(c2b(publish_message(1, "orders", "new", "m"), 100 + i));
  }
  script.push_back(b2c(ack(1, 2, /*multiple=*/true), 200));                      // 1, 2
  script.push_back(b2c(ack(1, 3), 210));                                         // 3
  script.push_back(b2c(nack(1, 5, /*multiple=*/true, /*requeue=*/false), 220));  // 4, 5
  script.push_back(b2c(ack(1, 0, /*multiple=*/true), 230));                      // all: 6
  EXPECT_EQ(run(script),
            (Log{"publish orders", "publish orders", "publish orders", "publish orders",
                 "publish orders", "publish orders", "confirm orders ack 100",
                 "confirm orders ack 99", "confirm orders ack 108", "confirm orders nack 117",
                 "confirm orders nack 116", "confirm orders ack 125"}));
}

TEST(AmqpConversationTest, PublishesBeforeConfirmSelectAreNotNumbered) {
  const Script script =
      handshake() + Script{c2b(publish_message(1, "orders", "a", "m"), 10),
                           c2b(confirm_select(1), 11), b2c(confirm_select_ok(1), 12),
                           c2b(publish_message(1, "orders", "b", "m"), 20), b2c(ack(1, 1), 25)};
  EXPECT_EQ(run(script), (Log{"publish orders", "publish orders", "confirm orders ack 5"}));
}

TEST(AmqpConversationTest, ConsumeDeliverAndAckMultiple) {
  Script script = handshake() + Script{c2b(qos(1, 10), 10), b2c(qos_ok(1), 11),
                                       c2b(consume(1, "orders.work", ""), 12),
                                       b2c(consume_ok(1, "amq.ctag-abc"), 13)};
  std::string deliveries;
  for (uint64_t tag = 1; tag <= 4; tag++)
    deliveries += deliver_message(1, "amq.ctag-abc", tag, "m");
  script.push_back(b2c(deliveries, 100));
  script.push_back(c2b(ack(1, 2, /*multiple=*/true), 150));
  script.push_back(c2b(ack(1, 4), 160));
  int64_t in_flight = 0;
  const Log log = run(script, Role::kClient, -1, /*close=*/false, &in_flight);
  EXPECT_EQ(
      log,
      (Log{"consume orders.work deliver in_flight", "consume orders.work deliver in_flight",
           "consume orders.work deliver in_flight", "consume orders.work deliver in_flight",
           "settle orders.work ack 50", "settle orders.work ack 50", "settle orders.work ack 60"}));
  EXPECT_EQ(in_flight, 1);  // tag 3
  // Closing the connection returns it to the queue.
  EXPECT_EQ(run(script).back(), "return orders.work 1");
}

TEST(AmqpConversationTest, NackAndRejectWithAndWithoutRequeue) {
  Script script = handshake() + Script{c2b(consume(1, "orders.work", "worker-1"), 12),
                                       b2c(consume_ok(1, "worker-1"), 13)};
  for (uint64_t tag = 1; tag <= 5; tag++) {
    script.push_back(b2c(deliver_message(1, "worker-1", tag, "m"), 100 + tag));
  }
  script.push_back(c2b(reject(1, 1, /*requeue=*/false), 200));
  script.push_back(c2b(reject(1, 2, /*requeue=*/true), 200));
  script.push_back(c2b(nack(1, 4, /*multiple=*/true, /*requeue=*/false), 200));  // 3, 4
  script.push_back(c2b(nack(1, 5, /*multiple=*/false, /*requeue=*/true), 200));
  Log log = run(script);
  log.erase(log.begin(), log.begin() + 5);  // the deliveries
  EXPECT_EQ(log, (Log{"settle orders.work reject 99", "settle orders.work reject requeue 98",
                      "settle orders.work nack 97", "settle orders.work nack 96",
                      "settle orders.work nack requeue 95"}));
}

TEST(AmqpConversationTest, BasicGetAndGetEmpty) {
  const Script script =
      handshake() + Script{c2b(get(1, "orders.dead"), 10),
                           b2c(get_ok(1, 1) + content_header(1, 1) + body(1, "m"), 12),
                           c2b(get(1, "orders.dead"), 13),
                           b2c(get_empty(1), 14),
                           c2b(get(1, "orders.dead", /*no_ack=*/true), 15),
                           b2c(get_ok(1, 2) + content_header(1, 1) + body(1, "m"), 16),
                           c2b(ack(1, 1), 20)};
  EXPECT_EQ(run(script), (Log{"consume orders.dead get in_flight", "consume orders.dead get",
                              "settle orders.dead ack 8"}));
}

TEST(AmqpConversationTest, DeliveriesCarryingXDeathAreDeadLetters) {
  const std::string plain_headers = field_table({{"trace", long_string_value("abc")}});
  const Script script =
      handshake() +
      Script{
          c2b(consume(1, "orders.dead", "", /*no_ack=*/true), 10),
          b2c(consume_ok(1, "amq.ctag-1"), 11),
          b2c(deliver_message(1, "amq.ctag-1", 1, "m", x_death_headers("orders.work", "rejected")),
              12),
          b2c(deliver_message(1, "amq.ctag-1", 2, "m", plain_headers), 13),
          b2c(deliver(1, "amq.ctag-1", 3) +
                  content_header(1, 1, x_death_headers("orders.work", "expired"), "text/plain") +
                  body(1, "m"),
              14)};
  EXPECT_EQ(run(script), (Log{"consume orders.dead deliver", "x-death orders.dead",
                              "consume orders.dead deliver", "consume orders.dead deliver",
                              "x-death orders.dead"}));
}

TEST(AmqpConversationTest, ChannelCloseReturnsUnackedDeliveries) {
  for (const Script& closing :
       {Script{c2b(channel_close(1), 50), b2c(channel_close_ok(1), 51)},
        Script{b2c(channel_close(1), 50), c2b(channel_close_ok(1), 51)},
        Script{c2b(connection_close(), 50), b2c(connection_close_ok(), 51)}}) {
    Script script =
        handshake() + Script{c2b(consume(1, "orders.work", "w"), 10), b2c(consume_ok(1, "w"), 11)};
    for (uint64_t tag = 1; tag <= 3; tag++) {
      script.push_back(b2c(deliver_message(1, "w", tag, "m"), 20));
    }
    script = script + closing;
    script.push_back(c2b(ack(1, 3), 60));  // too late: the channel is gone
    int64_t in_flight = -1;
    Log log = run(script, Role::kClient, -1, /*close=*/false, &in_flight);
    EXPECT_EQ(log.back(), "return orders.work 3");
    EXPECT_EQ(in_flight, 0);
  }
}

TEST(AmqpConversationTest, RecoverReturnsUnackedDeliveries) {
  Script script =
      handshake() + Script{c2b(consume(1, "q", "w"), 10), b2c(consume_ok(1, "w"), 11),
                           b2c(deliver_message(1, "w", 1, "m"), 12), c2b(recover(1, true), 13)};
  EXPECT_EQ(run(script).back(), "return q 1");
}

TEST(AmqpConversationTest, ChannelsAreIndependent) {
  // Consumers on channels 1 and 2 (overlapping delivery tags), a confirming publisher on 3,
  // frames interleaved.
  const Script script =
      handshake(1) +
      Script{c2b(channel_open(2) + channel_open(3), 10),
             b2c(channel_open_ok(2) + channel_open_ok(3), 11),
             c2b(consume(1, "q1", "") + consume(2, "q2", "") + confirm_select(3), 12),
             b2c(consume_ok(2, "t2") + consume_ok(1, "t1") + confirm_select_ok(3), 13),
             c2b(publish(3, "orders", "k"), 20),
             b2c(deliver(1, "t1", 1) + deliver(2, "t2", 1), 21),
             c2b(content_header(3, 1) + body(3, "p"), 22),
             b2c(content_header(2, 1) + content_header(1, 1) + body(1, "a") + body(2, "b"), 23),
             b2c(deliver_message(2, "t2", 2, "c") + ack(3, 1), 24),
             c2b(ack(2, 2, /*multiple=*/true), 30),
             c2b(channel_close(2), 31)};
  int64_t in_flight = -1;
  const Log log = run(script, Role::kClient, -1, /*close=*/false, &in_flight);
  EXPECT_EQ(log, (Log{"publish orders", "consume q1 deliver in_flight",
                      "consume q2 deliver in_flight", "consume q2 deliver in_flight",
                      "confirm orders ack 4", "settle q2 ack 9", "settle q2 ack 6"}));
  EXPECT_EQ(in_flight, 1);  // q1's tag 1 on channel 1
}

TEST(AmqpConversationTest, HeartbeatsAnywhereChangeNothing) {
  Script plain = handshake() + Script{c2b(consume(1, "q", "w"), 10), b2c(consume_ok(1, "w"), 11),
                                      b2c(deliver_message(1, "w", 1, "m"), 12), c2b(ack(1, 1), 13)};
  Script beating;
  for (const Step& step : plain) {
    beating.push_back(step);
    Step beat = step;
    beat.bytes = heartbeat() + heartbeat();
    beating.push_back(beat);
  }
  EXPECT_EQ(run(beating), run(plain));
  EXPECT_EQ(run(plain), (Log{"consume q deliver in_flight", "settle q ack 1"}));
}

// The full set of scenarios above in one script, for the split and role tests.
Script everything() {
  Script s = handshake() + Script{c2b(channel_open(2), 9),
                                  b2c(channel_open_ok(2), 9),
                                  c2b(confirm_select(2), 10),
                                  b2c(confirm_select_ok(2), 10),
                                  c2b(consume(1, "orders.work", ""), 11),
                                  b2c(consume_ok(1, "amq.ctag-x") + heartbeat(), 12)};
  for (uint64_t i = 1; i <= 3; i++)
    s.push_back(c2b(publish_message(2, "orders", "k", "body"), 20 + i));
  s.push_back(b2c(ack(2, 2, true), 30));
  s.push_back(
      b2c(deliver_message(1, "amq.ctag-x", 1, "a") + deliver_message(1, "amq.ctag-x", 2, "b"), 31));
  s.push_back(b2c(
      deliver_message(1, "amq.ctag-x", 3, "c", x_death_headers("orders.work", "rejected")), 32));
  s.push_back(c2b(reject(1, 1, false) + heartbeat() + nack(1, 2, false, false), 40));
  s.push_back(b2c(nack(2, 3, false, false), 41));
  s.push_back(c2b(get(1, "orders.dead"), 42));
  s.push_back(b2c(
      get_ok(1, 4) + content_header(1, 1, x_death_headers("orders.work", "expired")) + body(1, "d"),
      43));
  s.push_back(c2b(ack(1, 4) + channel_close(1), 50));
  s.push_back(b2c(channel_close_ok(1), 51));
  return s;
}

const Log kEverything = {"publish orders",
                         "publish orders",
                         "publish orders",
                         "confirm orders ack 9",
                         "confirm orders ack 8",
                         "consume orders.work deliver in_flight",
                         "consume orders.work deliver in_flight",
                         "consume orders.work deliver in_flight",
                         "x-death orders.work",
                         "settle orders.work reject 9",
                         "settle orders.work nack 9",
                         "confirm orders nack 18",
                         "consume orders.dead get in_flight",
                         "x-death orders.dead",
                         "settle orders.dead ack 7",
                         "return orders.work 1"};

TEST(AmqpConversationTest, WholeScenario) { EXPECT_EQ(run(everything()), kEverything); }

TEST(AmqpConversationTest, SplitAtEveryOffsetGivesTheSameEvents) {
  const Script script = everything();
  size_t longest = 0;
  for (const Step& step : script) longest = std::max(longest, step.bytes.size());
  for (size_t cut = 0; cut <= longest; cut++) {
    ASSERT_EQ(run(script, Role::kClient, static_cast<int64_t>(cut)), kEverything) << "cut " << cut;
  }
}

TEST(AmqpConversationTest, ByteByByteGivesTheSameEvents) {
  Script bytewise;
  for (const Step& step : everything()) {
    for (char c : step.bytes) bytewise.push_back({step.to_broker, std::string(1, c), step.ts, 0});
  }
  EXPECT_EQ(run(bytewise), kEverything);
}

TEST(AmqpConversationTest, ServerRoleSeesTheSameConversation) {
  EXPECT_EQ(run(everything(), Role::kServer), kEverything);
}

}  // namespace
}  // namespace redeye::amqp::testing
