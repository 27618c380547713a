// The parser's fast paths: byte classes from one table, word-at-a-time scans, and heads parsed
// in place when a chunk holds all of them. Each must behave exactly like the byte-by-byte,
// line-by-line reading it short-cuts.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "http_test_support.h"
#include "protocols/http/http_char_class.h"
#include "protocols/http/http_limits.h"
#include "protocols/http/http_message_head.h"
#include "protocols/http/http_method.h"

namespace redeye::http::testing {
namespace {

// The definitions the table replaces (RFC 9110 section 5.6.2, 5.5; RFC 9112 section 3.2).
bool reference_tchar(int c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}
bool reference_target(int c) { return c > 0x20 && c != 0x7f; }
bool reference_field_value(int c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

TEST(HttpCharClass, TableMatchesTheDefinitions) {
  for (int c = 0; c < 256; ++c) {
    SCOPED_TRACE(c);
    const auto b = static_cast<uint8_t>(c);
    EXPECT_EQ(is_tchar(b), reference_tchar(c));
    EXPECT_EQ(is_target_char(b), reference_target(c));
    EXPECT_EQ(is_field_value_char(b), reference_field_value(c));
  }
}

std::size_t reference_skip(const std::vector<uint8_t>& bytes, std::size_t from, bool (*pred)(int)) {
  std::size_t i = from;
  while (i < bytes.size() && pred(bytes[i])) ++i;
  return i;
}

TEST(HttpCharClass, WordScansStopAtTheFirstByteOutsideTheClass) {
  // Every byte value at every position of a buffer that is otherwise in both classes.
  for (std::size_t size = 1; size <= 20; ++size) {
    for (std::size_t at = 0; at < size; ++at) {
      for (int c = 0; c < 256; ++c) {
        std::vector<uint8_t> bytes(size, 'a');
        bytes[at] = static_cast<uint8_t>(c);
        for (std::size_t from : {std::size_t{0}, std::size_t{1}}) {
          if (from > size) continue;
          ASSERT_EQ(skip_field_value(bytes.data(), from, size),
                    reference_skip(bytes, from, reference_field_value))
              << size << " " << at << " " << c;
          ASSERT_EQ(skip_tchars(bytes.data(), from, size),
                    reference_skip(bytes, from, reference_tchar))
              << size << " " << at << " " << c;
        }
      }
    }
  }
  // Random buffers drawn mostly from the classes.
  std::mt19937 rng(7);
  const std::string common = "abcXYZ09-_.: /\t";
  for (int round = 0; round < 20000; ++round) {
    std::vector<uint8_t> bytes(rng() % 40);
    for (auto& b : bytes) {
      b = rng() % 8 == 0 ? static_cast<uint8_t>(rng())
                         : static_cast<uint8_t>(common[rng() % common.size()]);
    }
    const std::size_t from = bytes.empty() ? 0 : rng() % (bytes.size() + 1);
    ASSERT_EQ(skip_field_value(bytes.data(), from, bytes.size()),
              reference_skip(bytes, from, reference_field_value));
    ASSERT_EQ(skip_tchars(bytes.data(), from, bytes.size()),
              reference_skip(bytes, from, reference_tchar));
  }
}

TEST(HttpCharClass, MethodIndexAgreesWithCanonicalMethod) {
  for (std::string_view m :
       {"GET",     "HEAD",    "POST",  "PUT",   "DELETE", "CONNECT",  "OPTIONS", "TRACE",
        "PATCH",   "get",     "GETS",  "GE",    "",       "PROPFIND", "POSTS",   "DELETe",
        "CONNECt", "OPTIONs", "TRACe", "PATCh", "HEAd",   "PUt"}) {
    SCOPED_TRACE(m);
    const std::size_t index = canonical_method_index(m);
    ASSERT_LT(index, kMethodLabelCount);
    EXPECT_EQ(method_label(index), canonical_method(m));
    EXPECT_EQ(canonical_method(m) == m, index + 1 < kMethodLabelCount);
  }
}

TEST(HttpMessageHead, PrefixParseReportsTheHeadLength) {
  const std::string head = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string more = head + "GET /b";
  std::size_t length = 0;
  const auto request = parse_request_head_prefix(as_bytes(more), {}, length);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(length, head.size());
  EXPECT_EQ(request->method, "GET");  // views into `more`
  EXPECT_EQ(request->target, "/a");
  EXPECT_FALSE(parse_request_head(as_bytes(more)).has_value());
  EXPECT_FALSE(parse_request_head_prefix(as_bytes(head.substr(0, head.size() - 1)), {}, length));

  const std::string response = "HTTP/1.1 204 No Content\r\nServer: s\r\n\r\n";
  const std::string responses = response + "HTTP/1.1";
  const auto parsed = parse_response_head_prefix(as_bytes(responses), length);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(length, response.size());
  EXPECT_EQ(parsed->status_code, 204);
}

// Feeds all of `inbound`, then all of `outbound`, then closes: in one chunk per direction (heads
// parsed in place) or in chunks of `piece` bytes (heads read line by line). Same timestamps per
// direction, so the logs must be equal.
Log run(const std::string& inbound, const std::string& outbound, std::size_t piece) {
  Driver d;
  for (std::size_t at = 0; at < inbound.size(); at += piece) d.in(inbound.substr(at, piece), 1);
  for (std::size_t at = 0; at < outbound.size(); at += piece) d.out(outbound.substr(at, piece), 2);
  d.close(3);
  return d.log();
}

TEST(HttpInPlaceHeads, SameEventsAsLineByLineReading) {
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  const std::vector<std::pair<std::string, std::string>> cases = {
      // The benchmark's exchange: wrk's request, nginx's response.
      {"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
       "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
       "Content-Type: application/octet-stream\r\nContent-Length: 2\r\n"
       "Connection: keep-alive\r\n\r\nok"},
      // Pipelined requests, bodies, and a leading empty line.
      {"\r\nGET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
       "PUT /c HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n",
       ok + ok +
           "HTTP/1.0 201 Created\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"},
      // Runs of empty lines before requests, some cut by chunks.
      {"\r\n\r\n\r\nGET /a HTTP/1.1\r\n\r\n\r\n\r\n\rGET /b HTTP/1.1\r\n\r\n\r\n\r\n\r\nGET /c "
       "HTTP/1.1\r\n\r\n\r\n",
       ok + ok + ok},
      // Field values with HTAB, obs-text, empty values, OWS around the colon's value.
      {"GET /t HTTP/1.1\r\nX-A:\t v\xe9\xff \t\r\nX-B:\r\nX-C: a\tb\r\n\r\n", ok},
      // Invalid heads at a trusted boundary: obs-fold, space before the colon, bare LF, CR
      // inside a value, DEL, no colon, non-chunked Transfer-Encoding, conflicting lengths.
      {"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\nA: b\r\n c\r\n\r\nGET /3 HTTP/1.1\r\n\r\n",
       ok + ok + ok},
      {"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\nA : b\r\n\r\n", ok + ok},
      {"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\nA: b\n\r\n", ok + ok},
      {"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\nA: b\rc\r\n\r\n", ok + ok},
      {"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\nA: b\x7f\r\n\r\n", ok + ok},
      {"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\nnocolon\r\n\r\n", ok + ok},
      {"GET /1 HTTP/1.1\r\n\r\nPOST /2 HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", ok + ok},
      {"GET /1 HTTP/1.1\r\n\r\nPOST /2 HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\nx", ok + ok},
      {"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.2\r\n\r\n", ok + ok},
      {"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\n\r\n", ok + ok},
      // Invalid responses.
      {"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n",
       ok + "HTTP/1.1 200 OK\r\nBad Field: x\r\n\r\n" + ok},
      {"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", ok + "HTTP/1.1 200 O\x01K\r\n\r\n" + ok},
      {"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", "HTTP/1.1 200\r\n\r\n" + ok},
      // Joined mid-stream.
      {"ders HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n", "gth: 3\r\n\r\nabc" + ok},
      // Interim, HEAD, Upgrade.
      {"HEAD /h HTTP/1.1\r\n\r\nGET /u HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: ws\r\n\r\n",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"
       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: ws\r\n\r\n\x81\x00"},
  };
  for (const auto& [inbound, outbound] : cases) {
    SCOPED_TRACE(inbound + " | " + outbound);
    const Log whole = run(inbound, outbound, inbound.size() + outbound.size());
    EXPECT_EQ(run(inbound, outbound, 1), whole);
    EXPECT_EQ(run(inbound, outbound, 3), whole);
    EXPECT_EQ(run(inbound, outbound, 7), whole);
  }
}

TEST(HttpInPlaceHeads, HeadSizeCapIsTheSameInOneChunk) {
  const std::string start = "GET /big HTTP/1.1\r\nX-Fill: ";
  const std::string end = "\r\n\r\n";
  for (std::size_t total : {kMaxHeadBytes - 1, kMaxHeadBytes, kMaxHeadBytes + 1}) {
    SCOPED_TRACE(total);
    const std::string head = start + std::string(total - start.size() - end.size(), 'f') + end;
    ASSERT_EQ(head.size(), total);
    const std::string next = "GET /next HTTP/1.1\r\n\r\n";
    const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    const Log whole = run(head + next, ok + ok, head.size() + next.size() + 2 * ok.size());
    EXPECT_EQ(run(head + next, ok + ok, 1000), whole);
    const bool fits = total <= kMaxHeadBytes;
    EXPECT_EQ(whole.front(), fits ? "started GET /big" : "anomaly HeadTooLarge");
  }
}

TEST(HttpPendingQueue, PairsInOrderAcrossWrapAroundGrowthAndShrinking) {
  Driver d;
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  std::size_t next_request = 0;
  std::size_t next_response = 0;
  uint64_t ts = 1;
  // {requests, how many stay unanswered}: the ring wraps around, grows, empties (which gives a
  // big ring back) and grows again.
  const std::vector<std::pair<std::size_t, std::size_t>> rounds = {
      {1, 1}, {2, 1}, {3, 2}, {2, 0}, {5, 1}, {20, 3}, {1, 0}, {40, 1}, {3, 0}, {9, 2}, {17, 0}};
  for (const auto& [requests, unanswered] : rounds) {
    for (std::size_t k = 0; k < requests; ++k) {
      d.in("GET /" + std::to_string(next_request++) + " HTTP/1.1\r\n\r\n", ts++);
    }
    while (next_response + unanswered < next_request) {
      d.out(ok, ts++);
      ASSERT_EQ(d.sink.exchanges.size(), next_response + 1);
      EXPECT_EQ(d.sink.exchanges.back().request.target, "/" + std::to_string(next_response));
      ++next_response;
    }
  }
  EXPECT_EQ(next_response, next_request);
  EXPECT_TRUE(d.sink.anomalies.empty());
}

}  // namespace
}  // namespace redeye::http::testing
