// The kernel's protocol table and HTTP rule, compiled as ordinary C++.
#include "redeye/abi.h"
#include "redeye/protocol_infer.h"

#include <gtest/gtest.h>

#include <string>

namespace {

bool request(const std::string& bytes) {
  return redeye_looks_like_http_request(reinterpret_cast<const unsigned char*>(bytes.data()),
                                        static_cast<unsigned int>(bytes.size()));
}

// (protocol, role) the table infers for bytes moved in `direction`.
std::pair<int, int> infer(const std::string& bytes, int direction) {
  int role = 0;
  const auto len = static_cast<unsigned int>(std::min<size_t>(bytes.size(), REDEYE_INFER_PREFIX));
  int protocol = redeye_infer_protocol(reinterpret_cast<const unsigned char*>(bytes.data()), len,
                                       direction, &role);
  return {protocol, role};
}

TEST(ProtocolInferTest, RecognisesEveryMethodFollowedBySpace) {
  for (const char* line : {"GET / HTTP/1.1", "POST /a", "PUT /x", "PATCH /y", "HEAD /",
                           "DELETE /z", "OPTIONS *", "CONNECT a:443", "TRACE /"}) {
    EXPECT_TRUE(request(line)) << line;
  }
}

TEST(ProtocolInferTest, RejectsLookalikesAndOtherProtocols) {
  for (const char* bytes : {"GETX / HTTP/1.1", "get / HTTP/1.1", "HTTP/1.1 200 OK", "GE", "",
                            "POS", "\x16\x03\x01\x02\x00", "PRI * HTTP/2.0", "*3\r\n$3\r\nSET"}) {
    EXPECT_FALSE(request(bytes)) << bytes;
  }
  EXPECT_FALSE(request(std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8)));
}

TEST(ProtocolInferTest, HttpRoleFollowsWhoSendsTheRequest) {
  EXPECT_EQ(infer("GET /x HTTP/1.1\r\n", REDEYE_INFER_INBOUND),
            std::make_pair(REDEYE_PROTO_HTTP1 + 0, REDEYE_INFER_SERVER));
  EXPECT_EQ(infer("GET /x HTTP/1.1\r\n", REDEYE_INFER_OUTBOUND),
            std::make_pair(REDEYE_PROTO_HTTP1 + 0, REDEYE_INFER_CLIENT));
  // A client whose write we missed (joined mid-stream) shows itself by reading a response.
  EXPECT_EQ(infer("HTTP/1.1 200 OK\r\n", REDEYE_INFER_INBOUND),
            std::make_pair(REDEYE_PROTO_HTTP1 + 0, REDEYE_INFER_CLIENT));
  // A server writing a response is not evidence enough on its own.
  EXPECT_EQ(infer("HTTP/1.1 200 OK\r\n", REDEYE_INFER_OUTBOUND).first, 0);
  EXPECT_EQ(infer("HTTP/2 200", REDEYE_INFER_INBOUND).first, 0);
}

TEST(ProtocolInferTest, TableIdsMatchTheAbi) {
  // protocol_infer.h returns plain ints: they must stay the enum's values.
  EXPECT_EQ(REDEYE_PROTO_HTTP1, 1);
  EXPECT_EQ(REDEYE_PROTO_POSTGRES, 2);
  EXPECT_EQ(REDEYE_PROTO_AMQP, 3);
  EXPECT_EQ(infer("\x01\x02\x03garbage", REDEYE_INFER_INBOUND).first, 0);
}

}  // namespace
