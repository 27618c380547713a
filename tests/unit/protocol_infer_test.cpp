// The kernel's protocol table and HTTP rule, compiled as ordinary C++.
#include "redeye/protocol_infer.h"

#include <gtest/gtest.h>

#include <string>

#include "redeye/abi.h"

namespace {

// 1 yes, REDEYE_INFER_MORE undecided, 0 no: the request rule on the first window of bytes.
int request_verdict(const std::string& bytes) {
  const auto len = static_cast<unsigned int>(std::min<size_t>(bytes.size(), REDEYE_INFER_WINDOW));
  return redeye_looks_like_http_request(reinterpret_cast<const unsigned char*>(bytes.data()), len);
}

bool request(const std::string& bytes) { return request_verdict(bytes) == 1; }

// (protocol, role) the table infers for bytes moved in `direction`.
std::pair<int, int> infer(const std::string& bytes, int direction) {
  int role = 0;
  const auto len = static_cast<unsigned int>(std::min<size_t>(bytes.size(), REDEYE_INFER_WINDOW));
  int protocol = redeye_infer_protocol(reinterpret_cast<const unsigned char*>(bytes.data()), len,
                                       direction, &role);
  return {protocol, role};
}

TEST(ProtocolInferTest, RecognisesEveryMethodFollowedBySpace) {
  for (const char* line : {"GET / HTTP/1.1", "POST /a", "PUT /x", "PATCH /y", "HEAD /", "DELETE /z",
                           "OPTIONS *", "CONNECT a:443", "TRACE /"}) {
    EXPECT_TRUE(request(line)) << line;
  }
}

TEST(ProtocolInferTest, RecognisesAnyMethodByTheRequestLineShape) {
  for (const char* line : {"PROPFIND /dav/a HTTP/1.1\r\n", "PURGE /cache/x HTTP/1.1\r\n",
                           "FOO /a1 HTTP/1.1\r\n", "get /d1 HTTP/1.1\r\n", "GETX / HTTP/1.0\r\n",
                           "M-SEARCH * HTTP/1.1\r\n", "BASELINE-CONTROL /v HTTP/1.1\r\n",
                           "X http://h/p HTTP/1.1\r\n", "Q [::1]:80 HTTP/1.1\r\n"}) {
    EXPECT_TRUE(request(line)) << line;
  }
}

TEST(ProtocolInferTest, RequestLinePrefixesWaitForMoreBytes) {
  const std::string line = "PROPFIND /dav/a HTTP/1.1\r\n";
  // Every strict prefix of the line up to its CR is undecided, then it is a request.
  for (size_t n = 1; n < line.size() - 1; n++) {
    EXPECT_EQ(request_verdict(line.substr(0, n)), REDEYE_INFER_MORE) << n;
  }
  EXPECT_EQ(request_verdict(line.substr(0, line.size() - 1)), 1);
  // A standard method is believed from its space on; its first bytes wait like any token.
  EXPECT_EQ(request_verdict("G"), REDEYE_INFER_MORE);
  EXPECT_EQ(request_verdict("GET"), REDEYE_INFER_MORE);
  EXPECT_EQ(request_verdict("GET "), 1);
}

TEST(ProtocolInferTest, RejectsLookalikesAndOtherProtocols) {
  for (const char* bytes :
       {"HTTP/1.1 200 OK",
        "",
        " GET / HTTP/1.1\r\n",
        "FOO  / HTTP/1.1\r\n",
        "FOO /a HTTP/2.0\r\n",
        "FOO /a HTTP/1.1\n",
        "FOO /a\r\n",
        "FOO /a b HTTP/1.1\r\n",
        "FOO %a HTTP/1.1\r\n",
        "FOO(/a HTTP/1.1\r\n",
        "\x16\x03\x01\x02\x00",              // TLS ClientHello
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",  // HTTP/2 preface
        "*3\r\n$3\r\nSET\r\n",               // Redis RESP
        "PING\r\n",
        "SET /k v\r\n",
        "get /key\r\n",                            // Redis and memcached inline
        "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",      // SSH banner
        "220 mail.example.com ESMTP Postfix\r\n",  // SMTP greeting
        "EHLO client.example.com\r\n",
        "USER anonymous\r\n",
        "AMQP\x00\x00\x09\x01",                         // AMQP protocol header
        "A123456789012345678901234 / HTTP/1.1\r\n"}) {  // method longer than believed
    EXPECT_FALSE(request(bytes)) << bytes;
  }
  EXPECT_FALSE(request(std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8)));  // SSLRequest
  // Kafka ApiVersions request header: int32 length, int16 key 18, int16 version 3.
  EXPECT_FALSE(request(std::string("\x00\x00\x00\x23\x00\x12\x00\x03\x00\x00\x00\x01", 12)));
  // MySQL server greeting: 3-byte length, sequence 0, protocol 10.
  EXPECT_FALSE(
      request(std::string("\x4a\x00\x00\x00\x0a"
                          "8.0.36\x00",
                          12)));
  // A target longer than the window is not believed for an unknown method.
  EXPECT_FALSE(request("FOO /" + std::string(200, 'a') + " HTTP/1.1\r\n"));
  // ...but a standard one is, as before.
  EXPECT_TRUE(request("GET /" + std::string(200, 'a') + " HTTP/1.1\r\n"));
}

TEST(ProtocolInferTest, OtherProtocolsFirstBytesAreNotHttp) {
  const std::string samples[] = {
      std::string("\x00\x00\x00\x52\x00\x03\x00\x00user\x00postgres\x00", 22),  // startup
      std::string("Q\x00\x00\x00\x0dSELECT 1\x00", 14),                         // PG query
      std::string("AMQP\x00\x00\x09\x01", 8),
      std::string("\x01\x00\x00\x00\x00\x00\x10\x00\x0a\x00\x0a", 11),  // AMQP method
  };
  for (const auto& bytes : samples) {
    for (int direction : {REDEYE_DIR_INBOUND, REDEYE_DIR_OUTBOUND}) {
      int role = 0;
      const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
      EXPECT_EQ(redeye_infer_http(p, static_cast<unsigned int>(bytes.size()), direction, &role), 0)
          << bytes;
    }
  }
}

TEST(ProtocolInferTest, TheTableWaitsOnlyForHttpPrefixes) {
  EXPECT_EQ(infer("PROPF", REDEYE_DIR_INBOUND).first, REDEYE_INFER_MORE);
  EXPECT_EQ(infer("HTTP/1.", REDEYE_DIR_INBOUND).first, REDEYE_INFER_MORE);
  EXPECT_EQ(infer("HTTP/1.1 20", REDEYE_DIR_INBOUND).first, REDEYE_INFER_MORE);
  EXPECT_EQ(infer("HTTP/1.1 200", REDEYE_DIR_INBOUND),
            std::make_pair(REDEYE_PROTO_HTTP1 + 0, REDEYE_ROLE_CLIENT + 0));
  EXPECT_EQ(infer("HTTP/1.1 2x0", REDEYE_DIR_INBOUND).first, 0);
  EXPECT_EQ(infer(std::string("\x00\x00", 2), REDEYE_DIR_INBOUND).first, 0);
  EXPECT_EQ(infer("PROPFIND /x HTTP/1.1\r\n", REDEYE_DIR_INBOUND),
            std::make_pair(REDEYE_PROTO_HTTP1 + 0, REDEYE_ROLE_SERVER + 0));
}

TEST(ProtocolInferTest, HttpRoleFollowsWhoSendsTheRequest) {
  EXPECT_EQ(infer("GET /x HTTP/1.1\r\n", REDEYE_DIR_INBOUND),
            std::make_pair(REDEYE_PROTO_HTTP1 + 0, REDEYE_ROLE_SERVER + 0));
  EXPECT_EQ(infer("GET /x HTTP/1.1\r\n", REDEYE_DIR_OUTBOUND),
            std::make_pair(REDEYE_PROTO_HTTP1 + 0, REDEYE_ROLE_CLIENT + 0));
  // A client whose write we missed (joined mid-stream) shows itself by reading a response.
  EXPECT_EQ(infer("HTTP/1.1 200 OK\r\n", REDEYE_DIR_INBOUND),
            std::make_pair(REDEYE_PROTO_HTTP1 + 0, REDEYE_ROLE_CLIENT + 0));
  // A server writing a response is not evidence enough on its own.
  EXPECT_EQ(infer("HTTP/1.1 200 OK\r\n", REDEYE_DIR_OUTBOUND).first, 0);
  EXPECT_EQ(infer("HTTP/2 200", REDEYE_DIR_INBOUND).first, 0);
}

TEST(ProtocolInferTest, TableIdsMatchTheAbi) {
  // protocol_infer.h returns plain ints: they must stay the enum's values.
  EXPECT_EQ(REDEYE_PROTO_HTTP1, 1);
  EXPECT_EQ(REDEYE_PROTO_POSTGRES, 2);
  EXPECT_EQ(REDEYE_PROTO_AMQP, 3);
  EXPECT_EQ(REDEYE_PROTO_HTTP2, 4);
  EXPECT_EQ(infer("\x01\x02\x03garbage", REDEYE_DIR_INBOUND).first, 0);
}

}  // namespace
