// The kernel's HTTP/2 rule (include/redeye/infer/http2.h), compiled as ordinary C++: the
// preface, HEADERS frames of connections joined mid-stream, and strictness against the other
// protocols' first bytes and against TLS.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>

#include "h2_test_util.h"
#include "redeye/abi.h"
#include "redeye/protocol_infer.h"

namespace redeye {
namespace {

// (protocol, role) the whole table gives the first REDEYE_INFER_WINDOW bytes of `bytes`.
std::pair<int, int> table(const std::string& bytes, int direction) {
  int role = 0;
  const auto len = static_cast<unsigned int>(std::min<size_t>(bytes.size(), REDEYE_INFER_WINDOW));
  const int protocol = redeye_infer_protocol(reinterpret_cast<const unsigned char*>(bytes.data()),
                                             len, direction, &role);
  return {protocol, protocol > 0 ? role : 0};
}

std::pair<int, int> h2(const std::string& bytes, int direction) {
  int role = 0;
  const auto len = static_cast<unsigned int>(std::min<size_t>(bytes.size(), REDEYE_INFER_WINDOW));
  const int matched = redeye_infer_http2(reinterpret_cast<const unsigned char*>(bytes.data()), len,
                                         direction, &role);
  return {matched, matched ? role : 0};
}

using http2::test::frame;
using http2::test::kPreface;

// grpc-go's second request on a connection: :method POST, :scheme http, then dynamic refs.
const std::string kRequestBlock = "\x83\x86\xc3\xc2\xc1\xc0\xbf";
// A response: :status 200 (static 8), then a dynamic ref.
const std::string kResponseBlock = "\x88\xc0";
// Trailers: grpc-status / grpc-message from the dynamic table.
const std::string kTrailerBlock = "\xbf\xbe";
const std::string kWindowUpdate = frame(8, 0, 0, std::string("\x00\x00\x10\x00", 4));
const std::string kPing = frame(6, 0, 0, std::string(8, '\x01'));

const std::pair<int, int> kClient{1, REDEYE_ROLE_CLIENT};
const std::pair<int, int> kServer{1, REDEYE_ROLE_SERVER};
const std::pair<int, int> kNone{0, 0};

TEST(Http2InferTest, PrefaceWrittenIsAClientReadIsAServer) {
  EXPECT_EQ(h2(kPreface, REDEYE_DIR_OUTBOUND), kClient);
  EXPECT_EQ(h2(kPreface, REDEYE_DIR_INBOUND), kServer);
  EXPECT_EQ(h2(kPreface.substr(0, 16), REDEYE_DIR_OUTBOUND), kClient);
  EXPECT_EQ(h2(kPreface.substr(0, 15), REDEYE_DIR_OUTBOUND), kNone);
  // Through the whole table: no earlier rule takes the preface.
  EXPECT_EQ(table(kPreface, REDEYE_DIR_OUTBOUND),
            std::make_pair(REDEYE_PROTO_HTTP2 + 0, REDEYE_ROLE_CLIENT + 0));
  EXPECT_EQ(table(kPreface, REDEYE_DIR_INBOUND),
            std::make_pair(REDEYE_PROTO_HTTP2 + 0, REDEYE_ROLE_SERVER + 0));
}

TEST(Http2InferTest, RequestHeadersMidStreamTellTheClient) {
  const std::string headers = frame(1, 0x04, 5, kRequestBlock);
  EXPECT_EQ(h2(headers, REDEYE_DIR_OUTBOUND), kClient);
  EXPECT_EQ(h2(headers, REDEYE_DIR_INBOUND), kServer);
  // Behind WINDOW_UPDATE and PING in the same write, as grpc-go batches them.
  EXPECT_EQ(h2(kWindowUpdate + kPing + headers + frame(0, 1, 5, std::string(5, '\0')),
               REDEYE_DIR_OUTBOUND),
            kClient);
  // PADDED and PRIORITY move the block's first byte.
  EXPECT_EQ(
      h2(frame(1, 0x0C, 7, std::string("\x02", 1) + kRequestBlock + "\0\0"), REDEYE_DIR_OUTBOUND),
      kClient);
  EXPECT_EQ(h2(frame(1, 0x24, 7, std::string("\x00\x00\x00\x00\x10", 5) + kRequestBlock),
               REDEYE_DIR_OUTBOUND),
            kClient);
  // A request that names :path as a literal with a static name (0x44 = name index 4).
  EXPECT_EQ(h2(frame(1, 0x04, 3, "\x44\x05/a/Bc"), REDEYE_DIR_OUTBOUND), kClient);
}

TEST(Http2InferTest, ResponseHeadersMidStreamTellTheServer) {
  const std::string headers = frame(1, 0x04, 5, kResponseBlock);
  EXPECT_EQ(h2(headers, REDEYE_DIR_OUTBOUND), kServer);
  EXPECT_EQ(h2(headers, REDEYE_DIR_INBOUND), kClient);
  EXPECT_EQ(h2(kWindowUpdate + headers, REDEYE_DIR_INBOUND), kClient);
  // :status as a literal with indexed name (0x48: incremental indexing, name index 8).
  EXPECT_EQ(h2(frame(1, 0x04, 1,
                     "\x48\x03"
                     "503"),
               REDEYE_DIR_OUTBOUND),
            kServer);
}

TEST(Http2InferTest, FramesWithoutSideEvidenceWaitForTheNextReadOrWrite) {
  EXPECT_EQ(h2(frame(1, 0x05, 5, kTrailerBlock), REDEYE_DIR_OUTBOUND), kNone);
  EXPECT_EQ(h2(kWindowUpdate, REDEYE_DIR_OUTBOUND), kNone);
  EXPECT_EQ(h2(kPing + kWindowUpdate, REDEYE_DIR_INBOUND), kNone);
  EXPECT_EQ(h2(frame(0, 0, 5, std::string(20, 'x')), REDEYE_DIR_INBOUND), kNone);
  // A dynamic table size update first (0x3f...) is no evidence either.
  EXPECT_EQ(h2(frame(1, 0x04, 5, "\x3f\xe1\x1f\x83"), REDEYE_DIR_OUTBOUND), kNone);
  // HEADERS behind more frames than the rule walks.
  EXPECT_EQ(h2(kPing + kPing + kPing + kPing + frame(1, 4, 5, kRequestBlock), REDEYE_DIR_OUTBOUND),
            kNone);
}

TEST(Http2InferTest, ImplausibleFrameHeadersAreRejected) {
  // Even stream (server push), stream 0, reserved bit, unknown flags, oversize, bad lengths.
  EXPECT_EQ(h2(frame(1, 0x04, 4, kRequestBlock), REDEYE_DIR_OUTBOUND), kNone);
  EXPECT_EQ(h2(frame(1, 0x04, 0, kRequestBlock), REDEYE_DIR_OUTBOUND), kNone);
  EXPECT_EQ(h2(frame(1, 0x04, 0x80000005u, kRequestBlock), REDEYE_DIR_OUTBOUND), kNone);
  EXPECT_EQ(h2(frame(1, 0x44, 5, kRequestBlock), REDEYE_DIR_OUTBOUND), kNone);
  std::string big = frame(1, 0x04, 5, kRequestBlock);
  big[0] = 0x01;  // 65536 + 7 bytes: over the default max frame size
  EXPECT_EQ(h2(big, REDEYE_DIR_OUTBOUND), kNone);
  // A bad frame before a good HEADERS.
  EXPECT_EQ(
      h2(frame(6, 0, 0, std::string(7, '\0')) + frame(1, 4, 5, kRequestBlock), REDEYE_DIR_OUTBOUND),
      kNone);
  EXPECT_EQ(
      h2(frame(8, 0, 0, std::string(3, '\0')) + frame(1, 4, 5, kRequestBlock), REDEYE_DIR_OUTBOUND),
      kNone);
  EXPECT_EQ(
      h2(frame(4, 0, 0, std::string(5, '\0')) + frame(1, 4, 5, kRequestBlock), REDEYE_DIR_OUTBOUND),
      kNone);
  EXPECT_EQ(h2(frame(5, 4, 1, std::string("\0\0\0\2\x82", 5)) + frame(1, 4, 5, kRequestBlock),
               REDEYE_DIR_OUTBOUND),
            kNone);
  // Padding that leaves no header block.
  EXPECT_EQ(h2(frame(1, 0x0C, 5, std::string("\x00", 1)), REDEYE_DIR_OUTBOUND), kNone);
}

TEST(Http2InferTest, OtherProtocolsAndTlsAreNotHttp2) {
  const std::string samples[] = {
      "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
      std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8),                       // pg SSLRequest
      std::string("\x00\x00\x00\x52\x00\x03\x00\x00user\x00postgres\x00", 22),  // pg startup
      std::string("Q\x00\x00\x00\x0dselect 1\x00", 14),
      std::string("AMQP\x00\x00\x09\x01", 8),
      std::string("\x01\x00\x01\x00\x00\x00\x05\x00\x14\x00\x0a\xce", 12),  // AMQP method
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),      // TLS ClientHello
      std::string("\x17\x03\x03\x00\x45\x00\x00\x00\x00\x00\x00\x00\x01", 13),
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",  // Redis
      // A Kafka ApiVersions request: length, api key 18, version 3, correlation id.
      std::string("\x00\x00\x00\x21\x00\x12\x00\x03\x00\x00\x00\x01\x00\x07rdkafka", 21),
  };
  for (const std::string& s : samples) {
    EXPECT_EQ(h2(s, REDEYE_DIR_OUTBOUND), kNone) << ::testing::PrintToString(s);
    EXPECT_EQ(h2(s, REDEYE_DIR_INBOUND), kNone) << ::testing::PrintToString(s);
  }
}

TEST(Http2InferTest, RandomBytesRarelyMatch) {
  std::mt19937 rng(7);
  int matched = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string s(64, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    matched += h2(s, REDEYE_DIR_OUTBOUND).first;
  }
  // A random first byte is 0 once in 256, then type, flags, stream and the block byte must
  // all fit: far below one in a million per try.
  EXPECT_EQ(matched, 0);
}

}  // namespace
}  // namespace redeye
