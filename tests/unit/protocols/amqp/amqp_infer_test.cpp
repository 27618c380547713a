// The kernel's AMQP rule (include/redeye/infer/amqp.h), compiled as ordinary C++.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "amqp_frames.h"
#include "redeye/abi.h"
#include "redeye/protocol_infer.h"

namespace redeye::amqp::testing {
namespace {

// (matched, role) for the first REDEYE_INFER_PREFIX bytes of `bytes` moved in `direction`.
std::pair<int, int> amqp(const std::string& bytes, int direction) {
  int role = 0;
  const auto len = static_cast<unsigned int>(std::min<size_t>(bytes.size(), REDEYE_INFER_PREFIX));
  const int matched = redeye_infer_amqp(reinterpret_cast<const unsigned char*>(bytes.data()), len,
                                        direction, &role);
  return {matched, matched ? role : 0};
}

const std::pair<int, int> kClient{1, REDEYE_ROLE_CLIENT};
const std::pair<int, int> kServer{1, REDEYE_ROLE_SERVER};
const std::pair<int, int> kNone{0, 0};

TEST(AmqpInferTest, ProtocolHeaderWrittenIsAClientReadIsAServer) {
  EXPECT_EQ(amqp(protocol_header(), REDEYE_DIR_OUTBOUND), kClient);
  EXPECT_EQ(amqp(protocol_header(), REDEYE_DIR_INBOUND), kServer);
  EXPECT_EQ(amqp(protocol_header() + connection_start_ok(), REDEYE_DIR_OUTBOUND), kClient);
  EXPECT_EQ(amqp(std::string("AMQP\0\0\x09", 7), REDEYE_DIR_OUTBOUND), kNone);
  EXPECT_EQ(amqp(std::string("AMQP\0\0\x08\x00", 8), REDEYE_DIR_OUTBOUND), kNone);
}

TEST(AmqpInferTest, ClientMethodsMidStream) {
  for (const std::string& f : {publish_message(1, "orders", "k", "m"), consume(1, "q", "t"),
                               get(2, "q"), qos(1, 10), channel_open(3), queue_declare(1, "q")}) {
    EXPECT_EQ(amqp(f, REDEYE_DIR_OUTBOUND), kClient) << ::testing::PrintToString(f);
    EXPECT_EQ(amqp(f, REDEYE_DIR_INBOUND), kServer);
  }
}

TEST(AmqpInferTest, DeliverReadIsAClient) {
  EXPECT_EQ(amqp(deliver_message(1, "ctag", 1, "m"), REDEYE_DIR_INBOUND), kClient);
  EXPECT_EQ(amqp(deliver_message(1, "ctag", 1, "m"), REDEYE_DIR_OUTBOUND), kServer);
}

TEST(AmqpInferTest, MethodsBothSidesSendAreNoEvidence) {
  for (const std::string& f :
       {ack(1, 1), nack(1, 1, false, false), channel_close(1), channel_close_ok(1), heartbeat(),
        connection_close(), content_header(1, 5), body(1, "abc"), confirm_select(1)}) {
    EXPECT_EQ(amqp(f, REDEYE_DIR_OUTBOUND), kNone);
    EXPECT_EQ(amqp(f, REDEYE_DIR_INBOUND), kNone);
  }
}

TEST(AmqpInferTest, StrictAgainstOtherProtocols) {
  std::string bad_end = qos(1, 10);          // 11-byte payload: the frame end is beyond 16 bytes
  std::string tiny = method(1, 20, 10, "");  // Channel.Open without arguments: size 4
  tiny[11] = 0;                              // frame-end octet within the prefix, wrong
  std::string wrong_channel = publish(0, "x", "k");
  std::string conn_on_channel = method(1, 10, 10, "abcd");
  std::string huge = publish(1, "x", "k");
  huge[4] = 0x02;  // size 0x0002xxxx > 131072
  for (const std::string& bytes :
       {std::string("GET / HTTP/1.1\r\nHost: x\r\n"), std::string("HTTP/1.1 200 OK\r\n"),
        std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),
        std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8),                   // SSLRequest
        std::string("\x00\x00\x00\x29\x00\x03\x00\x00user\0postgres\0", 22),  // startup
        std::string("Q\x00\x00\x00\x0dSELECT 1\0", 14), tiny, wrong_channel, conn_on_channel, huge,
        std::string("\x01\x00\x01", 3), std::string()}) {
    EXPECT_EQ(amqp(bytes, REDEYE_DIR_OUTBOUND), kNone) << ::testing::PrintToString(bytes);
    EXPECT_EQ(amqp(bytes, REDEYE_DIR_INBOUND), kNone);
  }
  EXPECT_EQ(amqp(bad_end, REDEYE_DIR_OUTBOUND), kClient);  // end not visible: accepted
}

TEST(AmqpInferTest, RandomBinaryDoesNotMatch) {
  std::mt19937 rng(7);
  int matches = 0;
  for (int i = 0; i < 200000; i++) {
    std::string bytes(16, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    if (amqp(bytes, REDEYE_DIR_OUTBOUND).first) matches++;
  }
  EXPECT_EQ(matches, 0);
}

TEST(AmqpInferTest, TheTableReportsAmqp) {
  int role = 0;
  const std::string header = protocol_header();
  EXPECT_EQ(redeye_infer_protocol(reinterpret_cast<const unsigned char*>(header.data()), 8,
                                  REDEYE_DIR_OUTBOUND, &role),
            REDEYE_PROTO_AMQP);
  EXPECT_EQ(role, REDEYE_ROLE_CLIENT);
}

}  // namespace
}  // namespace redeye::amqp::testing
