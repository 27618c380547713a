// HttpConversation: well-formed traffic (framing, pairing, timestamps, chunking).
#include <gtest/gtest.h>

#include <string>

#include "http_test_support.h"

namespace redeye::http::testing {
namespace {

const std::string kGetA = "GET /a HTTP/1.1\r\nHost: example\r\n\r\n";
const std::string kOkHello = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

TEST(HttpConversation, SimpleExchange) {
  Driver d;
  d.in(kGetA, 10);
  EXPECT_EQ(d.log(), Log{"started GET /a"});
  d.out(kOkHello, 20);
  d.close(30);
  EXPECT_EQ(d.log(), (Log{"started GET /a", "exchange GET /a 200 req=0 resp=5 start=10 end=20"}));
}

TEST(HttpConversation, RequestSplitAtEveryOffset) {
  const std::string request =
      "POST /submit?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world";
  for (std::size_t k = 1; k < request.size(); ++k) {
    SCOPED_TRACE(k);
    Driver d;
    d.in(request.substr(0, k), 100);
    d.in(request.substr(k), 200);
    d.out(kOkHello, 300);
    EXPECT_EQ(d.log(), (Log{"started POST /submit?x=1",
                            "exchange POST /submit?x=1 200 req=11 resp=5 start=100 end=300"}));
  }
}

TEST(HttpConversation, ChunkedRequestSplitAtEveryPairOfOffsets) {
  const std::string request =
      "PUT /doc HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4;ext=1\r\nabcd\r\n2\r\nef\r\n0\r\nDigest: x\r\n\r\n";
  for (std::size_t i = 1; i < request.size(); ++i) {
    for (std::size_t j = i; j < request.size(); ++j) {
      SCOPED_TRACE(std::to_string(i) + "," + std::to_string(j));
      Driver d;
      d.in(request.substr(0, i), 1);
      d.in(request.substr(i, j - i), 2);
      d.in(request.substr(j), 3);
      d.out("HTTP/1.1 204 No Content\r\n\r\n", 4);
      ASSERT_EQ(d.log(),
                (Log{"started PUT /doc", "exchange PUT /doc 204 req=6 resp=0 start=1 end=4"}));
    }
  }
}

TEST(HttpConversation, ResponseSplitAtEveryOffset) {
  const std::string response =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=val\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\n";
  for (std::size_t k = 1; k < response.size(); ++k) {
    SCOPED_TRACE(k);
    Driver d;
    d.in(kGetA, 1);
    d.out(response.substr(0, k), 2);
    EXPECT_EQ(d.log(), Log{"started GET /a"});
    d.out(response.substr(k), 3);
    EXPECT_EQ(d.log(), (Log{"started GET /a", "exchange GET /a 200 req=0 resp=31 start=1 end=3"}));
  }
}

TEST(HttpConversation, ByteByByteTimestampsAreThoseOfFirstAndLastBytes) {
  const std::string requests =
      "GET /one HTTP/1.1\r\n\r\nPOST /two HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz";
  const std::string responses =
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 201 Created\r\n"
      "Transfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n";
  Driver d;
  for (std::size_t i = 0; i < requests.size(); ++i) d.in(requests.substr(i, 1), 1000 + i);
  for (std::size_t i = 0; i < responses.size(); ++i) d.out(responses.substr(i, 1), 2000 + i);
  const std::size_t second_request = requests.find("POST");
  const std::size_t first_response_end = responses.find("HTTP/1.1 201") - 1;
  EXPECT_EQ(
      d.log(),
      (Log{"started GET /one", "started POST /two",
           "exchange GET /one 200 req=0 resp=2 start=1000 end=" +
               std::to_string(2000 + first_response_end),
           "exchange POST /two 201 req=3 resp=1 start=" + std::to_string(1000 + second_request) +
               " end=" + std::to_string(2000 + responses.size() - 1)}));
}

TEST(HttpConversation, PipelinedRequestsInOneChunk) {
  Driver d;
  d.in(
      "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /3 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
      5);
  d.out(
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
      "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
      9);
  d.out("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\nEE", 12);
  EXPECT_EQ(d.log(), (Log{"started GET /1", "started GET /2", "started POST /3",
                          "exchange GET /1 200 req=0 resp=1 start=5 end=9",
                          "exchange GET /2 404 req=0 resp=0 start=5 end=9",
                          "exchange POST /3 500 req=3 resp=2 start=5 end=12"}));
}

TEST(HttpConversation, PipelinedStreamSplitAtEveryOffset) {
  const std::string requests =
      "GET /1 HTTP/1.1\r\n\r\nDELETE /2 HTTP/1.1\r\nContent-Length: 2\r\n\r\nzz"
      "OPTIONS * HTTP/1.1\r\n\r\n";
  const std::size_t starts[] = {0, requests.find("DELETE"), requests.find("OPTIONS")};
  for (std::size_t k = 1; k < requests.size(); ++k) {
    SCOPED_TRACE(k);
    Driver d;
    d.in(requests.substr(0, k), 1);
    d.in(requests.substr(k), 2);
    d.out(
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: "
        "0\r\n\r\n",
        3);
    d.out("HTTP/1.1 200 OK\r\nAllow: GET\r\nContent-Length: 0\r\n\r\n", 4);
    auto start = [&](int i) { return std::string(starts[i] < k ? "1" : "2"); };
    EXPECT_EQ(d.log(), (Log{"started GET /1", "started DELETE /2", "started OPTIONS *",
                            "exchange GET /1 200 req=0 resp=0 start=" + start(0) + " end=3",
                            "exchange DELETE /2 202 req=2 resp=0 start=" + start(1) + " end=3",
                            "exchange OPTIONS * 200 req=0 resp=0 start=" + start(2) + " end=4"}));
  }
}

TEST(HttpConversation, KeepAliveManyExchanges) {
  Driver d;
  for (int i = 0; i < 100; ++i) {
    const std::string body(static_cast<std::size_t>(i), 'b');
    d.in("GET /item/" + std::to_string(i) + " HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", 10 * i);
    d.out("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(i) + "\r\n\r\n" + body,
          10 * i + 5);
  }
  d.close(5000);
  ASSERT_EQ(d.sink.exchanges.size(), 100u);
  EXPECT_TRUE(d.sink.anomalies.empty());
  for (int i = 0; i < 100; ++i) {
    const HttpExchange& e = d.sink.exchanges[static_cast<std::size_t>(i)];
    EXPECT_EQ(e.request.target, "/item/" + std::to_string(i));
    EXPECT_EQ(e.response_body_bytes, static_cast<uint64_t>(i));
    EXPECT_EQ(e.start_ns, static_cast<uint64_t>(10 * i));
    EXPECT_EQ(e.end_ns, static_cast<uint64_t>(10 * i + 5));
  }
  EXPECT_EQ(d.log().size(), 200u);  // started + exchange each, nothing abandoned at close
}

TEST(HttpConversation, HeadResponseHasNoBody) {
  Driver d;
  d.in("HEAD /h HTTP/1.1\r\n\r\nGET /g HTTP/1.1\r\n\r\n", 1);
  d.out("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", 2);
  d.out("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 3);
  EXPECT_EQ(d.log(), (Log{"started HEAD /h", "started GET /g",
                          "exchange HEAD /h 200 req=0 resp=0 start=1 end=2",
                          "exchange GET /g 200 req=0 resp=2 start=1 end=3"}));
}

TEST(HttpConversation, NoBodyFor204And304EvenWithLengthHeaders) {
  Driver d;
  d.in(
      "DELETE /x HTTP/1.1\r\n\r\nGET /cached HTTP/1.1\r\nIf-None-Match: \"e\"\r\n\r\n"
      "GET /last HTTP/1.1\r\n\r\n",
      1);
  d.out(
      "HTTP/1.1 204 No Content\r\n\r\n"
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 999\r\nETag: \"e\"\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
      2);
  EXPECT_EQ(d.log(), (Log{"started DELETE /x", "started GET /cached", "started GET /last",
                          "exchange DELETE /x 204 req=0 resp=0 start=1 end=2",
                          "exchange GET /cached 304 req=0 resp=0 start=1 end=2",
                          "exchange GET /last 200 req=0 resp=3 start=1 end=2"}));
}

TEST(HttpConversation, InterimResponsesAreSkipped) {
  Driver d;
  d.in("POST /up HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n", 1);
  d.out("HTTP/1.1 100 Continue\r\n\r\n", 2);
  EXPECT_EQ(d.log(), Log{"started POST /up"});
  d.in("data", 3);
  d.out("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n", 4);
  d.out("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 5);
  EXPECT_EQ(d.log(), (Log{"started POST /up", "exchange POST /up 201 req=4 resp=0 start=1 end=5"}));
}

TEST(HttpConversation, SwitchingProtocolsMakesConnectionOpaque) {
  Driver d;
  d.in("GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", 1);
  d.out(bin("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\n\r\n\x81\x05hello"),
        2);
  d.in(bin("\x81\x85\x00\x00\x00\x00GET / HTTP/1.1\r\n\r\n"), 3, 100);
  d.out("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 4, 7);
  d.close(5);
  EXPECT_EQ(d.log(), (Log{"started GET /ws", "exchange GET /ws 101 req=0 resp=0 start=1 end=2"}));
}

TEST(HttpConversation, ConnectTunnelAfter2xxButNotAfterRefusal) {
  Driver d;
  d.in("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 1);
  d.out("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 3\r\n\r\nabc", 2);
  d.in("CONNECT example.com:443 HTTP/1.1\r\nProxy-Authorization: x\r\n\r\n", 3);
  d.out("HTTP/1.1 200 Connection Established\r\n\r\n", 4);
  d.in("\x16\x03\x01 tls client hello", 5);
  d.out("\x16\x03\x03 tls server hello HTTP/1.1 200 OK\r\n", 6);
  d.close(7);
  EXPECT_EQ(d.log(), (Log{"started CONNECT example.com:443",
                          "exchange CONNECT example.com:443 407 req=0 resp=3 start=1 end=2",
                          "started CONNECT example.com:443",
                          "exchange CONNECT example.com:443 200 req=0 resp=0 start=3 end=4"}));
}

TEST(HttpConversation, Http10ResponseIsReadUntilClose) {
  Driver d;
  d.in("GET /old HTTP/1.0\r\n\r\n", 1);
  d.out("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst", 2);
  d.out("second", 3, 10);
  EXPECT_EQ(d.log(), Log{"started GET /old"});
  d.close(50);
  EXPECT_EQ(d.log(),
            (Log{"started GET /old", "exchange GET /old 200 req=0 resp=21 start=1 end=3"}));
}

TEST(HttpConversation, ConnectionCloseWithoutLengthIsReadUntilClose) {
  Driver d;
  d.in("GET /stream HTTP/1.1\r\n\r\n", 1);
  d.out("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", 2);
  d.close(9);
  EXPECT_EQ(d.log(),
            (Log{"started GET /stream", "exchange GET /stream 200 req=0 resp=0 start=1 end=2"}));
}

TEST(HttpConversation, ConnectionCloseWithLengthEndsAtLength) {
  Driver d;
  d.in("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1);
  d.out("HTTP/1.0 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", 2);
  EXPECT_EQ(d.log(), (Log{"started GET /a", "exchange GET /a 200 req=0 resp=2 start=1 end=2"}));
}

TEST(HttpConversation, ResponseTransferEncodingWithoutChunkedIsReadUntilClose) {
  Driver d;
  d.in(kGetA, 1);
  d.out("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\nabcd", 2);
  d.close(3);
  EXPECT_EQ(d.log(), (Log{"started GET /a", "exchange GET /a 200 req=0 resp=4 start=1 end=2"}));
}

TEST(HttpConversation, EmptyLinesBeforeRequestAreIgnored) {
  Driver d;
  d.in("\r\n\r", 5);
  d.in("\nGET /a HTTP/1.1\r\n\r\n", 6);
  d.out("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 7);
  d.in("POST /b HTTP/1.1\r\nContent-Length: 1\r\n\r\nx\r\n", 8);  // stray CRLF after a body
  d.in("GET /c HTTP/1.1\r\n\r\n", 9);
  d.out("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        10);
  EXPECT_EQ(d.log(), (Log{"started GET /a", "exchange GET /a 200 req=0 resp=0 start=6 end=7",
                          "started POST /b", "started GET /c",
                          "exchange POST /b 200 req=1 resp=0 start=8 end=10",
                          "exchange GET /c 200 req=0 resp=0 start=9 end=10"}));
}

TEST(HttpConversation, EarlyResponseBeforeRequestBodyEnds) {
  Driver d;
  d.in("POST /big HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", 1);
  d.out("HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n", 2);
  d.in("defghij", 3);
  d.in("GET /next HTTP/1.1\r\n\r\n", 4);
  d.out("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 5);
  EXPECT_EQ(d.log(),
            (Log{"started POST /big", "exchange POST /big 413 req=3 resp=0 start=1 end=2",
                 "started GET /next", "exchange GET /next 200 req=0 resp=0 start=4 end=5"}));
}

TEST(HttpConversation, OnCloseAbandonsPendingInOrder) {
  Driver d;
  d.in("GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n", 1);
  d.out("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 2);
  d.close(3);
  EXPECT_EQ(d.log(), (Log{"started GET /1", "started GET /2", "started GET /3",
                          "exchange GET /1 200 req=0 resp=0 start=1 end=2", "abandoned GET /2",
                          "abandoned GET /3"}));
}

TEST(HttpConversation, TruncatedResponseIsAbandonedAtClose) {
  Driver d;
  d.in(kGetA, 1);
  d.out("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 2);
  d.close(3);
  EXPECT_EQ(d.log(), (Log{"started GET /a", "abandoned GET /a"}));

  Driver chunked;
  chunked.in(kGetA, 1);
  chunked.out("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", 2);
  chunked.close(3);
  EXPECT_EQ(chunked.log(), (Log{"started GET /a", "abandoned GET /a"}));

  Driver head;
  head.in(kGetA, 1);
  head.out("HTTP/1.1 200 OK\r\nContent-", 2);
  head.close(3);
  EXPECT_EQ(head.log(), (Log{"started GET /a", "abandoned GET /a"}));
}

TEST(HttpConversation, TruncatedRequestHeadIsNeverStarted) {
  Driver d;
  d.in("GET /x HTTP/1.1\r\nHost", 1);
  d.close(2);
  EXPECT_TRUE(d.log().empty());
  // The conversation is reset by on_close and can be reused.
  d.in(kGetA, 3);
  d.out(kOkHello, 4);
  EXPECT_EQ(d.log(), (Log{"started GET /a", "exchange GET /a 200 req=0 resp=5 start=3 end=4"}));
}

TEST(HttpConversation, ClientWritesRequestsAndReadsResponses) {
  RecordingSink sink;
  HttpConversation client(protocols::Role::kClient, sink);
  client.on_outbound(chunk(kGetA, 1));
  client.on_inbound(chunk(kOkHello, 2));
  client.on_outbound(chunk(kGetA, 3));
  client.on_close(4);
  EXPECT_EQ(sink.log, (Log{"started GET /a", "exchange GET /a 200 req=0 resp=5 start=1 end=2",
                           "started GET /a", "abandoned GET /a"}));
  // What a client reads is parsed as responses: a request there is skipped, not started.
  client.on_inbound(chunk(kGetA, 5));
  EXPECT_EQ(sink.log.back(), "anomaly PartialMessageDropped");
}

}  // namespace
}  // namespace redeye::http::testing
