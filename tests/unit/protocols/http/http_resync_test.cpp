// HttpConversation: resynchronisation on a message start split across chunks.
#include <gtest/gtest.h>

#include <string>

#include "http_test_support.h"

namespace redeye::http::testing {
namespace {

TEST(HttpResync, RequestLineSplitAtEveryOffsetWhileResynchronising) {
  const std::string inbound = bin("\x00garbage tail GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
  const std::size_t request_start = inbound.find("GET");
  for (std::size_t k = 1; k < inbound.size(); ++k) {
    SCOPED_TRACE(k);
    Driver d;
    d.in(inbound.substr(0, k), 1);
    d.in(inbound.substr(k), 2);
    d.out("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 3);
    const std::string start = request_start < k ? "1" : "2";
    EXPECT_EQ(d.log(), (Log{"anomaly PartialMessageDropped", "started GET /x",
                            "exchange GET /x 200 req=0 resp=0 start=" + start + " end=3"}));
  }
}

TEST(HttpResync, RequestLineSplitInThreeWhileResynchronising) {
  const std::string inbound = "o\"} POST /y HTTP/1.0\r\nContent-Length: 2\r\n\r\nok";
  for (std::size_t i = 1; i < inbound.size(); ++i) {
    for (std::size_t j = i; j < inbound.size(); ++j) {
      SCOPED_TRACE(std::to_string(i) + "," + std::to_string(j));
      Driver d;
      d.in(inbound.substr(0, i), 1);
      d.in(inbound.substr(i, j - i), 2);
      d.in(inbound.substr(j), 3);
      d.out("HTTP/1.0 201 Created\r\nContent-Length: 0\r\n\r\n", 4);
      ASSERT_EQ(d.sink.exchanges.size(), 1u);
      EXPECT_EQ(d.sink.exchanges[0].request.method, "POST");
      EXPECT_EQ(d.sink.exchanges[0].request.target, "/y");
      EXPECT_EQ(d.sink.exchanges[0].request_body_bytes, 2u);
      EXPECT_EQ(d.sink.anomalies, std::vector<HttpAnomaly>{HttpAnomaly::kPartialMessageDropped});
    }
  }
}

TEST(HttpResync, StatusLineSplitAtEveryOffsetWhileResynchronising) {
  const std::string outbound =
      "d of an old body HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnah";
  for (std::size_t k = 1; k < outbound.size(); ++k) {
    SCOPED_TRACE(k);
    Driver d;
    d.in("GET /z HTTP/1.1\r\n\r\n", 1);
    d.out(outbound.substr(0, k), 2);
    d.out(outbound.substr(k), 3);
    EXPECT_EQ(d.log(), (Log{"started GET /z", "anomaly PartialMessageDropped",
                            "exchange GET /z 404 req=0 resp=3 start=1 end=3"}));
  }
}

TEST(HttpResync, KnownMethodIsPreferredAfterBodyWithoutNewline) {
  Driver d;
  d.in("=abc&n=", 1);  // the end of a form body: joined mid-stream
  d.in("12345DELETE /items/9 HTTP/1.1\r\n\r\n", 2);
  d.out("HTTP/1.1 204 No Content\r\n\r\n", 3);
  EXPECT_EQ(d.log(), (Log{"anomaly PartialMessageDropped", "started DELETE /items/9",
                          "exchange DELETE /items/9 204 req=0 resp=0 start=2 end=3"}));
}

}  // namespace
}  // namespace redeye::http::testing
