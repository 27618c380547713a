// Start lines, message heads and resynchronisation boundaries.
#include <gtest/gtest.h>

#include <string>

#include "http_test_support.h"
#include "protocols/http/http_boundary_finder.h"
#include "protocols/http/http_message_head.h"
#include "protocols/http/http_start_line.h"

namespace redeye::http::testing {
namespace {

TEST(HttpStartLine, RequestLines) {
  struct Case {
    std::string line;
    LineVerdict verdict;
  };
  const Case cases[] = {
      {"GET / HTTP/1.1\r\n", LineVerdict::kComplete},
      {"M-SEARCH * HTTP/1.0\r\n", LineVerdict::kComplete},
      {"GET /caf\xc3\xa9 HTTP/1.1\r\n", LineVerdict::kComplete},
      {"GET / HTTP/1.1\r", LineVerdict::kNeedMore},
      {"GET / HTTP/1.", LineVerdict::kNeedMore},
      {"GET /path", LineVerdict::kNeedMore},
      {"GET", LineVerdict::kNeedMore},
      {"", LineVerdict::kNeedMore},
      {"GET / HTTP/1.1\n", LineVerdict::kInvalid},
      {"GET / HTTP/2.0\r\n", LineVerdict::kInvalid},
      {"GET / http/1.1\r\n", LineVerdict::kInvalid},
      {"GET  / HTTP/1.1\r\n", LineVerdict::kInvalid},
      {"GET / HTTP/1.1 \r\n", LineVerdict::kInvalid},
      {" GET / HTTP/1.1\r\n", LineVerdict::kInvalid},
      {"GET /a b HTTP/1.1\r\n", LineVerdict::kInvalid},
      {"GET /a\tb HTTP/1.1\r\n", LineVerdict::kInvalid},
      {"GE(T / HTTP/1.1\r\n", LineVerdict::kInvalid},
      {"GET / HTTP/1.x\r\n", LineVerdict::kInvalid},
      {"GET / HTTP/1.1\r\r", LineVerdict::kInvalid},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    RequestLineScan scan;
    EXPECT_EQ(scan_request_line(as_bytes(c.line), scan), c.verdict);
    // Resumable: byte-by-byte scanning reaches the same verdict.
    RequestLineScan incremental;
    LineVerdict verdict = LineVerdict::kNeedMore;
    for (std::size_t i = 1; i <= c.line.size() && verdict == LineVerdict::kNeedMore; ++i) {
      verdict = scan_request_line(as_bytes(std::string_view(c.line).substr(0, i)), incremental);
    }
    EXPECT_EQ(verdict, c.verdict);
  }
}

TEST(HttpStartLine, ParseRequestLine) {
  const auto line = parse_request_line(as_bytes("PATCH /x?y=1 HTTP/1.0\r\nHost: h\r\n"));
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(line->method, "PATCH");
  EXPECT_EQ(line->target, "/x?y=1");
  EXPECT_EQ(line->minor_version, 0);
  EXPECT_EQ(line->length, 23u);
}

TEST(HttpStartLine, StatusLines) {
  struct Case {
    std::string line;
    int status;  // 0: invalid or incomplete
  };
  const Case cases[] = {
      {"HTTP/1.1 200 OK\r\n", 200}, {"HTTP/1.0 404 Not Found\r\n", 404},
      {"HTTP/1.1 204\r\n", 204},    {"HTTP/1.1 500 \r\n", 500},
      {"HTTP/1.1 999 x\r\n", 999},  {"HTTP/1.1 200 O\tK\r\n", 200},
      {"HTTP/1.1 099 Low\r\n", 0},  {"HTTP/1.1 2000 OK\r\n", 0},
      {"HTTP/1.1 20 OK\r\n", 0},    {"HTTP/2 200 OK\r\n", 0},
      {"HTTP/1.1 200 OK\n", 0},     {"HTTP/1.1 200 O\x01K\r\n", 0},
      {"HTTP/1.1 200 OK", 0},       {"HTTP/1.1  200 OK\r\n", 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    const auto line = parse_status_line(as_bytes(c.line));
    EXPECT_EQ(line.has_value() ? line->status_code : 0, c.status);
  }
  EXPECT_EQ(scan_status_line_prefix(as_bytes("HTTP/1.1 20")), LineVerdict::kNeedMore);
  EXPECT_EQ(scan_status_line_prefix(as_bytes("HTTP/1.1 200")), LineVerdict::kNeedMore);
  EXPECT_EQ(scan_status_line_prefix(as_bytes("HTTP/1.1 200\r")), LineVerdict::kComplete);
  EXPECT_EQ(scan_status_line_prefix(as_bytes("HTTP/1.1 2x")), LineVerdict::kInvalid);
}

TEST(HttpMessageHead, RequestFields) {
  const auto head =
      parse_request_head(as_bytes("POST /p HTTP/1.1\r\nHost: h\r\ncontent-length:  42 \r\n"
                                  "Connection: keep-alive, Upgrade\r\nUpgrade: h2c\r\n\r\n"));
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->method, "POST");
  EXPECT_EQ(head->target, "/p");
  EXPECT_EQ(head->minor_version, 1);
  EXPECT_EQ(head->content_length, std::optional<uint64_t>(42));
  EXPECT_FALSE(head->has_transfer_encoding);
  EXPECT_TRUE(head->connection_keep_alive);
  EXPECT_TRUE(head->connection_upgrade);
  EXPECT_TRUE(head->has_upgrade);
  EXPECT_FALSE(head->connection_close);
  EXPECT_TRUE(head->keep_alive());
  const BodyFraming framing = request_body_framing(*head);
  EXPECT_EQ(framing.kind, BodyKind::kLength);
  EXPECT_EQ(framing.length, 42u);
}

TEST(HttpMessageHead, ChunkedWinsOverContentLength) {
  const auto head = parse_request_head(as_bytes(
      "POST /p HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"));
  ASSERT_TRUE(head.has_value());
  EXPECT_TRUE(head->chunked);
  EXPECT_EQ(request_body_framing(*head).kind, BodyKind::kChunked);
}

TEST(HttpMessageHead, KeepAliveRules) {
  auto keep_alive = [](const std::string& head) {
    return parse_request_head(as_bytes(head))->keep_alive();
  };
  EXPECT_TRUE(keep_alive("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep_alive("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"));
}

TEST(HttpMessageHead, InvalidHeads) {
  const std::string invalid[] = {
      "GET / HTTP/1.1\r\n",                                              // no blank line
      "GET / HTTP/1.1\r\n\r\nextra",                                     // bytes after the head
      "GET / HTTP/1.1\r\nHost : h\r\n\r\n",                              // space before colon
      "GET / HTTP/1.1\r\n: v\r\n\r\n",                                   // empty name
      "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",                            // obs-fold
      "GET / HTTP/1.1\r\nA: b\x01\r\n\r\n",                              // control byte in a value
      "GET / HTTP/1.1\r\nA: b\n\r\n",                                    // bare LF
      "GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",                    // not a number
      "GET / HTTP/1.1\r\nContent-Length: \r\n\r\n",                      // empty
      "GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",  // > 19 digits
      "GET / HTTP/1.1\r\nContent-Length: 1,2\r\n\r\n",                   // conflicting list
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",     // length unknown
  };
  for (const std::string& head : invalid) {
    SCOPED_TRACE(head);
    EXPECT_FALSE(parse_request_head(as_bytes(head)).has_value());
  }
}

TEST(HttpMessageHead, ResponseFraming) {
  auto framing = [](const std::string& head, bool req_head = false, bool req_connect = false) {
    const auto parsed = parse_response_head(as_bytes(head));
    EXPECT_TRUE(parsed.has_value()) << head;
    return response_body_framing(*parsed, req_head, req_connect);
  };
  const std::string cl = "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n";
  EXPECT_EQ(framing(cl).kind, BodyKind::kLength);
  EXPECT_EQ(framing(cl).length, 7u);
  EXPECT_EQ(framing(cl, true).kind, BodyKind::kNone);
  EXPECT_EQ(framing(cl, false, true).kind, BodyKind::kNone);
  EXPECT_EQ(framing("HTTP/1.1 407 P\r\nContent-Length: 7\r\n\r\n", false, true).kind,
            BodyKind::kLength);
  EXPECT_EQ(framing("HTTP/1.1 100 Continue\r\n\r\n").kind, BodyKind::kNone);
  EXPECT_EQ(framing("HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n").kind, BodyKind::kNone);
  EXPECT_EQ(framing("HTTP/1.1 304 NM\r\nTransfer-Encoding: chunked\r\n\r\n").kind, BodyKind::kNone);
  EXPECT_EQ(framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").kind,
            BodyKind::kChunked);
  EXPECT_EQ(framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n").kind,
            BodyKind::kUntilClose);
  EXPECT_EQ(framing("HTTP/1.0 200 OK\r\n\r\n").kind, BodyKind::kUntilClose);
}

TEST(HttpBoundary, RequestBoundaries) {
  struct Case {
    std::string bytes;
    Boundary::Kind kind;
    std::size_t pos;
  };
  const std::string long_token(100, 'x');
  const Case cases[] = {
      {"GET / HTTP/1.1\r\n", Boundary::Kind::kFound, 0},
      {"xx GET / HTTP/1.1\r\n", Boundary::Kind::kFound, 3},
      {"1234GET /a HTTP/1.1\r\n", Boundary::Kind::kFound, 4},
      {"}{FOO /a HTTP/1.0\r\n", Boundary::Kind::kFound, 2},
      {"GET / HTTP/1.1\r\nGET / HTTP/1.1\r\n", Boundary::Kind::kFound, 0},
      {"a b c\r\nPUT /x HTTP/1.1\r\n", Boundary::Kind::kFound, 7},
      {long_token + " / HTTP/1.1\r\n", Boundary::Kind::kFound, 36},
      {"GET / HTTP/1.1", Boundary::Kind::kPartial, 0},
      {"body\x01 POST /upl", Boundary::Kind::kPartial, 6},
      {"zzzz", Boundary::Kind::kPartial, 0},
      {long_token, Boundary::Kind::kPartial, 36},
      {"a b c\r\n", Boundary::Kind::kNone, 7},
      {bin("\x00\x01\x02"), Boundary::Kind::kNone, 3},
      {"", Boundary::Kind::kNone, 0},
      {"GET / HTTP/1.1\n", Boundary::Kind::kNone, 15},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.bytes);
    const Boundary b = find_request_boundary(as_bytes(c.bytes));
    EXPECT_EQ(b.kind, c.kind);
    EXPECT_EQ(b.pos, c.pos);
  }
}

TEST(HttpBoundary, ResponseBoundaries) {
  struct Case {
    std::string bytes;
    Boundary::Kind kind;
    std::size_t pos;
  };
  const Case cases[] = {
      {"HTTP/1.1 200 OK\r\n", Boundary::Kind::kFound, 0},
      {"xxHTTP/1.0 404\r\n", Boundary::Kind::kFound, 2},
      {"HTTP/1.1 2000 HTTP/1.1 301 M", Boundary::Kind::kFound, 14},
      {"abcHTTP/1.", Boundary::Kind::kPartial, 3},
      {"HTTP/1.1 20", Boundary::Kind::kPartial, 0},
      {"HTTP/2 200 OK\r\n", Boundary::Kind::kNone, 15},
      {"HTTP/1.1 099 x", Boundary::Kind::kNone, 14},
      {"no status here", Boundary::Kind::kNone, 14},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.bytes);
    const Boundary b = find_response_boundary(as_bytes(c.bytes));
    EXPECT_EQ(b.kind, c.kind);
    EXPECT_EQ(b.pos, c.pos);
  }
}

}  // namespace
}  // namespace redeye::http::testing
