// The kernel's classifier, compiled as ordinary C++.
#include "redeye/protocol_infer.h"

#include <gtest/gtest.h>

#include <string>

namespace {

bool infer(const std::string& bytes) {
  return redeye_looks_like_http_request(reinterpret_cast<const unsigned char*>(bytes.data()),
                                        static_cast<unsigned int>(bytes.size()));
}

TEST(ProtocolInferTest, RecognisesEveryMethodFollowedBySpace) {
  for (const char* line : {"GET / HTTP/1.1", "POST /a", "PUT /x", "PATCH /y", "HEAD /",
                           "DELETE /z", "OPTIONS *", "CONNECT a:443", "TRACE /"}) {
    EXPECT_TRUE(infer(line)) << line;
  }
}

TEST(ProtocolInferTest, RejectsLookalikesAndOtherProtocols) {
  for (const char* bytes : {"GETX / HTTP/1.1", "get / HTTP/1.1", "HTTP/1.1 200 OK", "GE", "",
                            "POS", "\x16\x03\x01\x02\x00", "PRI * HTTP/2.0", "*3\r\n$3\r\nSET"}) {
    EXPECT_FALSE(infer(bytes)) << bytes;
  }
  // A PostgreSQL startup message begins with a length, never a method.
  const std::string startup("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8);
  EXPECT_FALSE(infer(startup));
}

TEST(ProtocolInferTest, NeedsTheWholeMethodAndSpace) {
  EXPECT_FALSE(infer("DELETE"));
  EXPECT_FALSE(infer("OPTIONS"));
  EXPECT_TRUE(infer("GET "));
}

}  // namespace
