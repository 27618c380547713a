// HttpConversation: traffic the parser has to drop, resynchronise on, or give up on.
#include <gtest/gtest.h>

#include <string>

#include "http_test_support.h"
#include "protocols/http/http_limits.h"

namespace redeye::http::testing {
namespace {

const std::string kGetA = "GET /a HTTP/1.1\r\nHost: example\r\n\r\n";
const std::string kOkHello = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
const std::string kOkEmpty = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
const std::string kExchangeA = "exchange GET /a 200 req=0 resp=5 start=1 end=2";

TEST(HttpConversationAnomaly, JoinedMidStreamInboundIsReportedOnceThenNextMeasured) {
  Driver d;
  d.in("o\": \"tail of a json body\"}", 1);
  d.in("more body bytes without newline", 2);
  d.in("GET /next HTTP/1.1\r\nHost: a\r\n\r\n", 3);  // "newlineGET": resync on the known method
  d.out("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 4);
  EXPECT_EQ(d.log(), (Log{"anomaly PartialMessageDropped", "started GET /next",
                          "exchange GET /next 200 req=0 resp=2 start=3 end=4"}));
}

TEST(HttpConversationAnomaly, JoinedMidStreamOutbound) {
  Driver d;
  d.in(kGetA, 1);
  d.out("rest of an earlier response body\n", 2);
  d.out("more of it", 3);
  d.out(kOkHello, 4);
  EXPECT_EQ(d.log(), (Log{"started GET /a", "anomaly PartialMessageDropped",
                          "exchange GET /a 200 req=0 resp=5 start=1 end=4"}));
}

TEST(HttpConversationAnomaly, UncapturedBytesAtStreamStartAreSkipped) {
  Driver d;
  d.in("", 1, 50);
  d.in("", 2, 50);
  d.in(kGetA, 3);
  d.out(kOkHello, 4);
  EXPECT_EQ(d.log(), (Log{"anomaly PartialMessageDropped", "started GET /a",
                          "exchange GET /a 200 req=0 resp=5 start=3 end=4"}));
}

TEST(HttpConversationAnomaly, BinaryGarbageAtStartIsSkippedOnce) {
  Driver d;
  d.in(bin("\x00\x01\x02\xff"
           "binary\x00"),
       1);
  d.in(bin("\xde\xad\xbe\xef GET"), 2);
  d.in(kGetA, 3);
  d.out(kOkHello, 4);
  EXPECT_EQ(d.log(), (Log{"anomaly PartialMessageDropped", "started GET /a",
                          "exchange GET /a 200 req=0 resp=5 start=3 end=4"}));
}

TEST(HttpConversationAnomaly, GarbageAfterAnExchangeIsMalformedThenSkipped) {
  Driver d;
  d.in(kGetA, 1);
  d.out(kOkHello, 2);
  d.in(bin("\x16\x03\x01\x00\xa5\x01\x00"), 3);
  d.in("GET /b HTTP/1.1\r\n\r\n", 4);
  d.out(kOkHello, 5);
  EXPECT_EQ(d.log(), (Log{"started GET /a", kExchangeA, "anomaly MalformedRequest",
                          "anomaly PartialMessageDropped", "started GET /b",
                          "exchange GET /b 200 req=0 resp=5 start=4 end=5"}));
}

TEST(HttpConversationAnomaly, GarbageBeforeRequestInSameChunkIsSkipped) {
  Driver d;
  d.in(kGetA, 1);
  d.out(kOkHello, 2);
  d.in(bin("\x00\x01junk GET /b HTTP/1.1\r\n\r\n"), 3);
  d.out(kOkHello, 4);
  EXPECT_EQ(d.log(), (Log{"started GET /a", kExchangeA, "anomaly MalformedRequest",
                          "anomaly PartialMessageDropped", "started GET /b",
                          "exchange GET /b 200 req=0 resp=5 start=3 end=4"}));
}

TEST(HttpConversationAnomaly, UncapturedRequestBodyKeepsExactSize) {
  Driver d;
  d.in("POST /upload HTTP/1.1\r\nContent-Length: 100000\r\n\r\n" + std::string(1000, 'x'), 1,
       99000);
  d.in("GET /next HTTP/1.1\r\n\r\n", 2);
  d.out("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 3);
  d.out(kOkHello, 4);
  EXPECT_EQ(d.log(), (Log{"started POST /upload", "started GET /next",
                          "exchange POST /upload 201 req=100000 resp=0 start=1 end=3",
                          "exchange GET /next 200 req=0 resp=5 start=2 end=4"}));
}

TEST(HttpConversationAnomaly, UncapturedResponseBodyEndsAtChunkCarryingLastByte) {
  Driver d;
  d.in(kGetA, 1);
  d.out("HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n", 5, 524288);
  d.out("", 6, 524288);
  d.in(kGetA, 7);
  d.out(kOkHello, 8);
  EXPECT_EQ(d.log(), (Log{"started GET /a", "exchange GET /a 200 req=0 resp=1048576 start=1 end=6",
                          "started GET /a", "exchange GET /a 200 req=0 resp=5 start=7 end=8"}));
}

TEST(HttpConversationAnomaly, UncapturedBytesInsideChunkDataAreConsumed) {
  Driver d;
  d.in(kGetA, 1);
  d.out("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n0123456789", 2, 4086);
  d.out("\r\n0\r\n\r\n", 3);
  EXPECT_EQ(d.log(), (Log{"started GET /a", "exchange GET /a 200 req=0 resp=4096 start=1 end=3"}));
}

TEST(HttpConversationAnomaly, UncapturedChunkFramingIsGapThenResync) {
  Driver d;
  d.in("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 1);
  d.out("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello", 2, 7);
  d.out("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 3);
  EXPECT_EQ(d.log(), (Log{"started GET /a", "started GET /b", "anomaly CaptureGap",
                          "abandoned GET /a", "exchange GET /b 404 req=0 resp=0 start=1 end=3"}));
}

TEST(HttpConversationAnomaly, UncapturedBytesPastBodyEndLoseNextMessage) {
  Driver d;
  d.in("GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", 1);
  d.out("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", 2, 10 + 60);
  d.in("GET /3 HTTP/1.1\r\n\r\n", 3);
  d.out(kOkHello, 4);
  EXPECT_EQ(d.log(), (Log{"started GET /1", "started GET /2",
                          "exchange GET /1 200 req=0 resp=10 start=1 end=2", "anomaly CaptureGap",
                          "abandoned GET /2", "started GET /3",
                          "exchange GET /3 200 req=0 resp=5 start=3 end=4"}));
}

TEST(HttpConversationAnomaly, UncapturedRequestHeadIsGapButRequestStillMeasured) {
  Driver d;
  d.in("GET /big HTTP/1.1\r\nHost: a\r\nCookie: aaaa", 1, 500);
  d.in("GET /next HTTP/1.1\r\n\r\n", 2);
  d.out(kOkHello, 3);
  d.out("HTTP/1.1 204 No Content\r\n\r\n", 4);
  EXPECT_EQ(d.log(), (Log{"anomaly CaptureGap", "started GET /big", "started GET /next",
                          "exchange GET /big 200 req=0 resp=5 start=1 end=3",
                          "exchange GET /next 204 req=0 resp=0 start=2 end=4"}));
}

TEST(HttpConversationAnomaly, UncapturedRequestLineIsGapThenResync) {
  Driver d;
  d.in(kGetA, 1);
  d.out(kOkHello, 2);
  d.in("GET /very-long-", 3, 100);
  d.in("more-of-the-url HTTP/1.1\r\nHost: a\r\n\r\n", 4);
  d.in("GET /c HTTP/1.1\r\n\r\n", 5);
  d.out(kOkHello, 6);
  EXPECT_EQ(d.log(), (Log{"started GET /a", kExchangeA, "anomaly CaptureGap",
                          "anomaly PartialMessageDropped", "started GET /c",
                          "exchange GET /c 200 req=0 resp=5 start=5 end=6"}));
}

TEST(HttpConversationAnomaly, UncapturedWholeRequestMakesItsResponseUnmatched) {
  Driver d;
  d.in(kGetA, 1);
  d.out(kOkHello, 2);
  d.in("", 3, 300);
  d.out(kOkHello, 4);
  d.in("GET /c HTTP/1.1\r\n\r\n", 5);
  d.out(kOkEmpty, 6);
  EXPECT_EQ(d.log(),
            (Log{"started GET /a", kExchangeA, "anomaly CaptureGap", "anomaly UnmatchedResponse",
                 "started GET /c", "exchange GET /c 200 req=0 resp=0 start=5 end=6"}));
}

TEST(HttpConversationAnomaly, UncapturedResponseHeadAbandonsItsRequest) {
  Driver d;
  d.in("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 1);
  d.out("HTTP/1.1 200 OK\r\nSet-Cookie: aaaa", 2, 3000);
  d.out(kOkEmpty, 3);
  EXPECT_EQ(d.log(), (Log{"started GET /a", "started GET /b", "anomaly CaptureGap",
                          "abandoned GET /a", "exchange GET /b 200 req=0 resp=0 start=1 end=3"}));
}

TEST(HttpConversationAnomaly, RequestHeadTooLargeStillPairsTheAnswer) {
  Driver d;
  d.in("GET /huge HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n", 1);
  d.out("HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n\r\n", 2);
  d.in("GET /after HTTP/1.1\r\n\r\n", 3);
  d.out(kOkHello, 4);
  EXPECT_EQ(d.log(),
            (Log{"anomaly HeadTooLarge", "started GET /huge", "anomaly PartialMessageDropped",
                 "exchange GET /huge 431 req=0 resp=0 start=1 end=2", "started GET /after",
                 "exchange GET /after 200 req=0 resp=5 start=3 end=4"}));
}

TEST(HttpConversationAnomaly, RequestLineTooLarge) {
  Driver d;
  d.in("GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n", 1);
  d.out("HTTP/1.1 414 URI Too Long\r\nContent-Length: 0\r\n\r\n", 2);
  EXPECT_EQ(d.log(), (Log{"anomaly HeadTooLarge", "anomaly PartialMessageDropped",
                          "anomaly UnmatchedResponse"}));
}

TEST(HttpConversationAnomaly, HeadExactlyAtLimitIsAccepted) {
  const std::string start = "GET /a HTTP/1.1\r\nX: ";
  const std::string end = "\r\n\r\n";
  const std::string head =
      start + std::string(kMaxHeadBytes - start.size() - end.size(), 'v') + end;
  ASSERT_EQ(head.size(), kMaxHeadBytes);
  Driver ok;
  ok.in(head, 1);
  EXPECT_EQ(ok.log(), Log{"started GET /a"});

  Driver too_large;
  too_large.in(start + "v" + head.substr(start.size()), 1);
  EXPECT_EQ(too_large.log(),
            (Log{"anomaly HeadTooLarge", "started GET /a", "anomaly PartialMessageDropped"}));
}

TEST(HttpConversationAnomaly, ResponseHeadTooLargeAbandonsItsRequest) {
  Driver d;
  d.in("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 1);
  d.out("HTTP/1.1 200 OK\r\nX-Big: " + std::string(20000, 'a') + "\r\nContent-Length: 0\r\n\r\n",
        2);
  d.out(kOkEmpty, 3);
  EXPECT_EQ(d.log(), (Log{"started GET /a", "started GET /b", "anomaly HeadTooLarge",
                          "abandoned GET /a", "anomaly PartialMessageDropped",
                          "exchange GET /b 200 req=0 resp=0 start=1 end=3"}));
}

TEST(HttpConversationAnomaly, TooManyPipelinedRequestsKeepPairing) {
  std::string requests;
  std::string responses;
  for (std::size_t i = 0; i <= kMaxPendingRequests; ++i) {
    requests += "GET /r" + std::to_string(i) + " HTTP/1.1\r\n\r\n";
    responses += "HTTP/1.1 " + std::to_string(400 + i) + " X\r\nContent-Length: 1\r\n\r\nz";
  }
  Driver d;
  d.in(requests, 1);
  ASSERT_EQ(d.log().size(), kMaxPendingRequests + 1);
  EXPECT_EQ(d.log().back(), "anomaly TooManyPipelined");
  d.out(responses, 2);
  d.in("GET /after HTTP/1.1\r\n\r\n", 3);
  d.out("HTTP/1.1 299 X\r\nContent-Length: 0\r\n\r\n", 4);
  d.close(5);
  ASSERT_EQ(d.sink.exchanges.size(), kMaxPendingRequests + 1);
  for (std::size_t i = 0; i < kMaxPendingRequests; ++i) {
    EXPECT_EQ(d.sink.exchanges[i].request.target, "/r" + std::to_string(i));
    EXPECT_EQ(d.sink.exchanges[i].status_code, static_cast<int>(400 + i));
  }
  EXPECT_EQ(describe(d.sink.exchanges.back()),
            "exchange GET /after 299 req=0 resp=0 start=3 end=4");
  EXPECT_EQ(d.sink.anomalies, std::vector<HttpAnomaly>{HttpAnomaly::kTooManyPipelined});
}

TEST(HttpConversationAnomaly, UnmatchedResponseIsFramedAndDropped) {
  Driver d;
  d.out("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 1);
  d.in(kGetA, 2);
  d.out("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 3);
  EXPECT_EQ(d.log(), (Log{"anomaly UnmatchedResponse", "started GET /a",
                          "exchange GET /a 201 req=0 resp=0 start=2 end=3"}));
}

TEST(HttpConversationAnomaly, MalformedChunkFramingAbandonsResponse) {
  Driver d;
  d.in("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 1);
  d.out("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 2);
  d.out(kOkEmpty, 3);
  EXPECT_EQ(d.log(), (Log{"started GET /a", "started GET /b", "anomaly MalformedResponse",
                          "abandoned GET /a", "anomaly PartialMessageDropped",
                          "exchange GET /b 200 req=0 resp=0 start=1 end=3"}));
}

TEST(HttpConversationAnomaly, MalformedRequestHeadAfterValidLineIsStartedForPairing) {
  const std::string bad_heads[] = {
      "POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
      "POST /x HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n",
      "POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
      "POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
      "POST /x HTTP/1.1\r\nX-Folded: a\r\n b\r\n\r\n",
      "POST /x HTTP/1.1\r\nBad Name: v\r\n\r\n",
      "POST /x HTTP/1.1\r\nNoColon\r\n\r\n",
      "POST /x HTTP/1.1\r\nBare: lf\n\r\n",
  };
  for (const std::string& bad : bad_heads) {
    SCOPED_TRACE(bad);
    Driver d;
    d.in(kGetA, 1);
    d.out(kOkHello, 2);
    d.in(bad, 3);
    d.out("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 4);
    EXPECT_EQ(d.log(), (Log{"started GET /a", kExchangeA, "anomaly MalformedRequest",
                            "started POST /x", "anomaly PartialMessageDropped",
                            "exchange POST /x 400 req=0 resp=0 start=3 end=4"}));
  }
}

TEST(HttpConversationAnomaly, RepeatedEqualContentLengthIsAccepted) {
  Driver d;
  d.in("POST /x HTTP/1.1\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc", 1);
  d.out(kOkEmpty, 2);
  EXPECT_EQ(d.log(), (Log{"started POST /x", "exchange POST /x 200 req=3 resp=0 start=1 end=2"}));
}

TEST(HttpConversationAnomaly, MalformedFirstMessageCountsAsJoinedMidStream) {
  Driver d;
  d.in("GET /a HTTP/1.1\r\nBad Header\r\n\r\n", 1);
  d.out("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 2);
  EXPECT_EQ(d.log(), (Log{"anomaly PartialMessageDropped", "anomaly UnmatchedResponse"}));
}

TEST(HttpConversationAnomaly, MalformedStatusLineAbandonsFront) {
  Driver d;
  d.in("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 1);
  d.out(kOkEmpty, 2);  // a trusted boundary follows
  d.out("HTTP/1.1 2000 Weird\r\n\r\n", 3);
  d.out(kOkEmpty, 4);
  EXPECT_EQ(d.log(), (Log{"started GET /a", "started GET /b",
                          "exchange GET /a 200 req=0 resp=0 start=1 end=2",
                          "anomaly MalformedResponse", "abandoned GET /b",
                          "anomaly PartialMessageDropped", "anomaly UnmatchedResponse"}));
}

TEST(HttpConversationAnomaly, TrailerSectionTooLargeAbandonsResponse) {
  Driver d;
  d.in("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 1);
  d.out("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " +
            std::string(kMaxHeadBytes, 't') + "\r\n\r\n",
        2);
  d.out(kOkEmpty, 3);
  EXPECT_EQ(d.log(), (Log{"started GET /a", "started GET /b", "anomaly HeadTooLarge",
                          "abandoned GET /a", "anomaly PartialMessageDropped",
                          "exchange GET /b 200 req=0 resp=0 start=1 end=3"}));
}

TEST(HttpConversationAnomaly, ResyncCandidateCutShortIsDropped) {
  Driver d;
  d.in("xyz\"GET /x", 1);  // joined mid-stream; "GET /x" may still become a request-line
  d.in(bin("\x01\n"), 2);  // ... but does not
  d.in(kGetA, 3);
  d.out(kOkHello, 4);
  EXPECT_EQ(d.log(), (Log{"anomaly PartialMessageDropped", "started GET /a",
                          "exchange GET /a 200 req=0 resp=5 start=3 end=4"}));
}

TEST(HttpConversationAnomaly, DroppedPipelinedRequestsAreNeverReported) {
  std::string requests;
  std::string responses;
  for (std::size_t i = 0; i < kMaxPendingRequests + 2; ++i) {
    requests += "GET /r" + std::to_string(i) + " HTTP/1.1\r\n\r\n";
    if (i < kMaxPendingRequests) responses += kOkEmpty;
  }
  Driver d;
  d.in(requests, 1);
  d.out(responses, 2);
  d.out("HTTP/1.1 200 OK\r\nX: y", 3, 100);  // the first dropped request's response is lost
  d.in("GET /after HTTP/1.1\r\n\r\n", 4);
  d.out(kOkEmpty, 5);  // the second dropped request's response
  d.out(kOkEmpty, 6);
  d.close(7);
  ASSERT_GE(d.log().size(), 4u);
  const Log tail(d.log().end() - 4, d.log().end());
  EXPECT_EQ(tail,
            (Log{"exchange GET /r63 200 req=0 resp=0 start=1 end=2", "anomaly CaptureGap",
                 "started GET /after", "exchange GET /after 200 req=0 resp=0 start=4 end=6"}));
  EXPECT_EQ(d.sink.exchanges.size(), kMaxPendingRequests + 1);
  EXPECT_EQ(d.sink.anomalies,
            (std::vector<HttpAnomaly>{HttpAnomaly::kTooManyPipelined,
                                      HttpAnomaly::kTooManyPipelined, HttpAnomaly::kCaptureGap}));
}

TEST(HttpConversationAnomaly, OnCloseDropsPlaceholdersSilently) {
  std::string requests;
  for (std::size_t i = 0; i < kMaxPendingRequests + 3; ++i) {
    requests += "GET /r" + std::to_string(i) + " HTTP/1.1\r\n\r\n";
  }
  Driver d;
  d.in(requests, 1);
  d.close(2);
  ASSERT_EQ(d.log().size(), 2 * kMaxPendingRequests + 3);
  for (std::size_t i = 0; i < kMaxPendingRequests; ++i) {
    EXPECT_EQ(d.log()[kMaxPendingRequests + 3 + i], "abandoned GET /r" + std::to_string(i));
  }
}

TEST(HttpConversationAnomaly, UnmatchedResponseReadUntilCloseProducesNoExchange) {
  Driver d;
  d.out("HTTP/1.0 200 OK\r\n\r\nbody", 1);
  d.close(2);
  EXPECT_EQ(d.log(), Log{"anomaly UnmatchedResponse"});
}

}  // namespace
}  // namespace redeye::http::testing
