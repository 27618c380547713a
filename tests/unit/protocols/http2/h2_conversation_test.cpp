// The HTTP/2 conversation, both roles: gRPC calls from the preface (nghttp2's inflater) and on
// joined connections (the late-join decoder, blocks made by nghttp2's deflater), split and
// interleaved input, CONTINUATION, trailers-only, HTTP status fallback, RST_STREAM, GOAWAY,
// SETTINGS, message counts, gaps and resync, and the anomalies bad input is counted as.
#include "protocols/http2/h2_conversation.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "h2_test_util.h"

namespace redeye::http2 {
namespace {

using protocols::Role;
using test::Recorder;

struct Piece {
  bool to_server;
  std::string bytes;
  uint64_t uncaptured = 0;
};

// A connection's bytes as the two peers write them, with their HPACK encoders.
class Wire {
 public:
  // indexing: encoders that index every field, as grpc-go's do (else nghttp2's deflaters).
  explicit Wire(bool indexing = false)
      : client_owned(make_encoder(indexing)), server_owned(make_encoder(indexing)) {}
  static std::unique_ptr<test::Encoder> make_encoder(bool indexing) {
    if (indexing) return std::make_unique<test::IndexingEncoder>();
    return std::make_unique<test::Deflater>();
  }
  void client(std::string b, uint64_t uncaptured = 0) {
    pieces.push_back({true, std::move(b), uncaptured});
  }
  void server(std::string b, uint64_t uncaptured = 0) {
    pieces.push_back({false, std::move(b), uncaptured});
  }
  void handshake() {
    client(test::kPreface + test::settings());
    server(test::settings() + test::settings_ack());
    client(test::settings_ack());
  }
  std::string request(uint32_t stream, const std::string& path, const std::string& body = "hi") {
    return test::headers(stream, client_enc.block(test::grpc_request(path)), false) +
           test::data(stream, test::message(body), true);
  }
  std::string response(uint32_t stream, int status, const std::string& body = "ok") {
    return test::headers(stream, server_enc.block(test::grpc_response()), false) +
           test::data(stream, test::message(body), false) +
           test::headers(stream, server_enc.block(test::grpc_trailers(status)), true);
  }
  // One unary call: the request write, the response write.
  void call(uint32_t stream, const std::string& path, int status) {
    client(request(stream, path));
    server(response(stream, status));
  }

  std::vector<Piece> pieces;
  std::unique_ptr<test::Encoder> client_owned;
  std::unique_ptr<test::Encoder> server_owned;
  test::Encoder& client_enc = *client_owned;
  test::Encoder& server_enc = *server_owned;
};

Recorder run(const std::vector<Piece>& pieces, Role role) {
  Recorder r;
  Http2Conversation c(role, r);
  uint64_t ts = 1000;
  for (const Piece& p : pieces) {
    const protocols::Chunk ch = test::chunk(p.bytes, ts, p.uncaptured);
    if (p.to_server == (role == Role::kServer)) {
      c.on_inbound(ch);
    } else {
      c.on_outbound(ch);
    }
    ts += 1000;
  }
  EXPECT_LE(c.calls_reported(), c.calls_started());
  c.on_close(ts);
  return r;
}

// Both roles see the same connection with the directions swapped: the same report.
Recorder both(const std::vector<Piece>& pieces) {
  Recorder server = run(pieces, Role::kServer);
  Recorder client = run(pieces, Role::kClient);
  EXPECT_EQ(server.calls, client.calls);
  EXPECT_EQ(server.anomalies, client.anomalies);
  EXPECT_EQ(server.not_measured, client.not_measured);
  EXPECT_EQ(server.durations, client.durations);
  return server;
}

TEST(Http2Conversation, UnaryCallFromThePreface) {
  Wire w;
  w.handshake();
  w.call(1, "/helloworld.Greeter/SayHello", 0);
  w.call(3, "/helloworld.Greeter/SayHello", 0);
  w.call(5, "/helloworld.Greeter/SayBye", 5);
  const Recorder r = both(w.pieces);
  EXPECT_EQ(r.calls, (std::vector<std::string>{"helloworld.Greeter/SayHello OK 1/1",
                                               "helloworld.Greeter/SayHello OK 1/1",
                                               "helloworld.Greeter/SayBye NOT_FOUND 1/1"}));
  EXPECT_EQ(r.durations, (std::vector<uint64_t>{1000, 1000, 1000}));
  EXPECT_TRUE(r.anomalies.empty());
  EXPECT_TRUE(r.not_measured.empty());

  Recorder sink;
  Http2Conversation c(Role::kServer, sink);
  c.on_inbound(test::chunk(w.pieces[0].bytes, 1));
  EXPECT_TRUE(c.from_preface());
  EXPECT_FALSE(c.requests_late_join());
  EXPECT_FALSE(c.responses_late_join());
}

// Each direction as one stream cut in two at every offset: the same calls.
TEST(Http2Conversation, SplitAtEveryOffset) {
  Wire w;
  w.handshake();
  w.call(1, "/a.B/C", 0);
  w.call(3, "/a.B/D", 14);
  std::string to_server, to_client;
  for (const Piece& p : w.pieces) (p.to_server ? to_server : to_client) += p.bytes;
  const Recorder whole = run({{true, to_server}, {false, to_client}}, Role::kServer);
  ASSERT_EQ(whole.calls, (std::vector<std::string>{"a.B/C OK 1/1", "a.B/D UNAVAILABLE 1/1"}));
  for (size_t cut = 1; cut < to_server.size(); ++cut) {
    const Recorder r =
        run({{true, to_server.substr(0, cut)}, {true, to_server.substr(cut)}, {false, to_client}},
            Role::kServer);
    std::string why;
    for (const auto& [k, v] : r.anomalies) why += k + "=" + std::to_string(v) + " ";
    for (const auto& [k, v] : r.not_measured) why += k + "=" + std::to_string(v) + " ";
    ASSERT_EQ(r.calls, whole.calls) << cut << " " << why;
    ASSERT_TRUE(r.anomalies.empty()) << cut;
  }
  for (size_t cut = 1; cut < to_client.size(); ++cut) {
    const Recorder r =
        run({{true, to_server}, {false, to_client.substr(0, cut)}, {false, to_client.substr(cut)}},
            Role::kClient);
    ASSERT_EQ(r.calls, whole.calls) << cut;
    ASSERT_TRUE(r.anomalies.empty()) << cut;
  }
}

TEST(Http2Conversation, ConcurrentStreamsAndTrailersOnly) {
  Wire w;
  w.handshake();
  w.client(w.request(1, "/s.S/One") + w.request(3, "/s.S/Two") + w.request(5, "/s.S/Three"));
  // Stream 5 answers first, trailers-only (UNIMPLEMENTED); 1 and 3 interleave their frames.
  const std::string only = test::headers(
      5,
      w.server_enc.block(
          {{":status", "200"}, {"content-type", "application/grpc"}, {"grpc-status", "12"}}),
      true);
  const std::string h1 = test::headers(1, w.server_enc.block(test::grpc_response()), false);
  const std::string h3 = test::headers(3, w.server_enc.block(test::grpc_response()), false);
  const std::string t3 = test::headers(3, w.server_enc.block(test::grpc_trailers(0)), true);
  const std::string t1 = test::headers(1, w.server_enc.block(test::grpc_trailers(13)), true);
  w.server(only + h1 + h3 + test::data(3, test::message("a") + test::message("b"), false) +
           test::data(1, test::message("c"), false) + test::ping() + t3);
  w.server(t1);
  const Recorder r = both(w.pieces);
  EXPECT_EQ(r.calls, (std::vector<std::string>{"s.S/Three UNIMPLEMENTED 1/0", "s.S/Two OK 1/2",
                                               "s.S/One INTERNAL 1/1"}));
  EXPECT_TRUE(r.anomalies.empty());
}

TEST(Http2Conversation, ContinuationFrames) {
  Wire w;
  w.handshake();
  const std::string block = w.client_enc.block(test::grpc_request("/x.Y/Z"));
  w.client(test::headers(1, block.substr(0, 5), false, false) +
           test::continuation(1, block.substr(5, 7), false) +
           test::continuation(1, block.substr(12), true) + test::data(1, "", true));
  w.server(w.response(1, 0));
  const Recorder r = both(w.pieces);
  EXPECT_EQ(r.calls, (std::vector<std::string>{"x.Y/Z OK 0/1"}));
  EXPECT_TRUE(r.anomalies.empty());
}

TEST(Http2Conversation, HttpStatusWhenThereIsNoGrpcStatus) {
  Wire w;
  w.handshake();
  w.client(w.request(1, "/p.S/A") + w.request(3, "/p.S/B") + w.request(5, "/p.S/C"));
  w.server(test::headers(1, w.server_enc.block({{":status", "503"}}), true));
  w.server(test::headers(
      3, w.server_enc.block({{":status", "404"}, {"content-type", "text/plain"}}), true));
  // 200, a message, and END_STREAM on DATA: no trailers at all.
  w.server(test::headers(5, w.server_enc.block(test::grpc_response()), false) +
           test::data(5, test::message("x"), true));
  const Recorder r = both(w.pieces);
  EXPECT_EQ(r.calls, (std::vector<std::string>{"p.S/A UNAVAILABLE 1/0", "p.S/B UNIMPLEMENTED 1/0",
                                               "p.S/C UNKNOWN 1/1"}));
}

TEST(Http2Conversation, RstStreamEndsTheCall) {
  Wire w;
  w.handshake();
  w.client(w.request(1, "/r.S/A") + w.request(3, "/r.S/B") + w.request(5, "/r.S/C") +
           w.request(7, "/r.S/D"));
  w.server(test::rst_stream(1, 0x8) + test::rst_stream(3, 0x7) + test::rst_stream(5, 0xb));
  w.client(test::rst_stream(7, 0x2));  // the client resets it
  w.server(test::rst_stream(1, 0x8));  // a reset after the end: nothing more
  // The server's trailers for stream 7, written before it saw the client's reset.
  w.server(test::headers(7, w.server_enc.block(test::grpc_trailers(4)), true));
  const Recorder r = both(w.pieces);
  EXPECT_EQ(r.calls,
            (std::vector<std::string>{"r.S/A CANCELLED 1/0", "r.S/B UNAVAILABLE 1/0",
                                      "r.S/C RESOURCE_EXHAUSTED 1/0", "r.S/D INTERNAL 1/0"}));
  EXPECT_TRUE(r.not_measured.empty());
}

TEST(Http2Conversation, GoawayRefusesTheStreamsAboveLastStreamId) {
  Wire w;
  w.handshake();
  w.client(w.request(1, "/g.S/A") + w.request(3, "/g.S/B") + w.request(5, "/g.S/C"));
  w.server(test::goaway(1, 0));
  w.server(w.response(1, 0));
  const Recorder r = both(w.pieces);
  ASSERT_EQ(r.calls.size(), 3u);
  EXPECT_EQ(r.calls[2], "g.S/A OK 1/1");
  EXPECT_EQ(r.calls[0].substr(6), "UNAVAILABLE 1/0");
  EXPECT_EQ(r.calls[1].substr(6), "UNAVAILABLE 1/0");
}

TEST(Http2Conversation, PlainHttp2IsCountedNotMeasured) {
  Wire w;
  w.handshake();
  w.client(test::headers(1,
                         w.client_enc.block({{":method", "GET"},
                                             {":scheme", "https"},
                                             {":path", "/index.html"},
                                             {":authority", "x"}}),
                         true));
  w.client(test::headers(3,
                         w.client_enc.block({{":method", "POST"},
                                             {":scheme", "https"},
                                             {":path", "/form"},
                                             {":authority", "x"},
                                             {"content-type", "application/json"}}),
                         false) +
           test::data(3, "{}", true));
  w.server(test::headers(1, w.server_enc.block({{":status", "200"}}), false) +
           test::data(1, "<html>", true));
  w.server(test::headers(3, w.server_enc.block({{":status", "201"}}), true));
  const Recorder r = both(w.pieces);
  EXPECT_TRUE(r.calls.empty());
  EXPECT_EQ(r.not_measured, (std::map<std::string, uint64_t>{{"not_grpc", 2}}));
}

// Joined after some calls: the blocks refer to dynamic entries from before the join, so method
// and status are not decoded, but the call is counted; a call in flight at the join is counted
// as request_not_seen.
TEST(Http2Conversation, LateJoinCountsCallsWithUndecodedLabels) {
  Wire before(/*indexing=*/true);
  before.handshake();
  before.call(1, "/helloworld.Greeter/SayHello", 0);
  before.call(3, "/helloworld.Greeter/SayHello", 0);
  before.client(before.request(5, "/helloworld.Greeter/SayHello"));  // in flight at the join
  before.pieces.clear();
  before.server(before.response(5, 0));
  before.call(7, "/helloworld.Greeter/SayHello", 0);
  before.call(9, "/helloworld.Greeter/SayHello", 0);
  const Recorder r = both(before.pieces);
  EXPECT_EQ(r.calls, (std::vector<std::string>{"? ? 1/1", "? ? 1/1"}));
  EXPECT_EQ(r.unmeasured("request_not_seen"), 1u);
  EXPECT_TRUE(r.anomalies.empty());

  Recorder sink;
  Http2Conversation c(Role::kServer, sink);
  c.on_inbound(test::chunk(before.pieces[1].bytes, 1));
  EXPECT_FALSE(c.from_preface());
  EXPECT_TRUE(c.requests_late_join());
}

// nghttp2's deflater never indexes :path: joined late, the method is decoded, the status (a
// reference to the server's earlier grpc-status entry) is not.
TEST(Http2Conversation, LateJoinWithNghttp2Blocks) {
  Wire w;
  w.handshake();
  w.call(1, "/a.B/C", 0);
  w.call(3, "/a.B/C", 0);
  w.pieces.clear();
  w.call(5, "/a.B/C", 0);
  w.call(7, "/a.B/D", 0);
  const Recorder r = both(w.pieces);
  EXPECT_EQ(r.calls, (std::vector<std::string>{"a.B/C ? 1/1", "a.B/D ? 1/1"}));
  EXPECT_TRUE(r.anomalies.empty());
}

// grpc-timeout literals churn the client's table: :path is sent as a literal again and the
// method is decoded from there on; a new field name seen after the join is decoded too.
TEST(Http2Conversation, LateJoinRecoversTheMethodAfterChurn) {
  Wire w(/*indexing=*/true);
  w.handshake();
  auto call = [&w](uint32_t stream, int i) {
    w.client(test::headers(stream,
                           w.client_enc.block(test::grpc_request("/helloworld.Greeter/SayHello",
                                                                 std::to_string(10000 + i) + "u")),
                           false) +
             test::data(stream, test::message("hi"), true));
    w.server(w.response(stream, 0));
  };
  call(1, 0);
  w.pieces.clear();
  for (int i = 1; i < 200; ++i) call(static_cast<uint32_t>(2 * i + 1), i);
  const Recorder r = both(w.pieces);
  ASSERT_EQ(r.calls.size(), 199u);
  EXPECT_EQ(r.calls.front(), "? ? 1/1");
  EXPECT_EQ(r.calls.back(), "helloworld.Greeter/SayHello ? 1/1");
}

TEST(Http2Conversation, GapInAHeaderBlockSwitchesToLateJoin) {
  Wire w;
  w.handshake();
  w.call(1, "/a.B/C", 0);
  const std::string req = w.request(3, "/a.B/C");
  // Only the frame header and 2 block bytes of stream 3's HEADERS were captured.
  const size_t block_len = req.size() - 9 - (9 + 7);
  w.client(req.substr(0, 11), block_len - 2);
  w.client(test::data(3, test::message("hi"), true));
  w.server(w.response(3, 0));
  w.call(5, "/a.B/C", 0);
  Recorder r = both(w.pieces);
  EXPECT_EQ(r.anomaly("capture_gap"), 1u);
  ASSERT_EQ(r.calls.size(), 3u);
  EXPECT_EQ(r.calls[0], "a.B/C OK 1/1");
  EXPECT_EQ(r.calls[1].substr(0, 2), "? ");  // its block was lost
  Recorder sink;
  Http2Conversation c(Role::kServer, sink);
  for (const Piece& p : w.pieces) {
    if (p.to_server) c.on_inbound(test::chunk(p.bytes, 1, p.uncaptured));
  }
  EXPECT_TRUE(c.requests_late_join());
  EXPECT_FALSE(c.responses_late_join());
}

TEST(Http2Conversation, UndecodableBlockAndTableSizeOverLimit) {
  Wire w;
  w.handshake();
  w.client(test::headers(1, "\x80", false) + test::data(1, test::message("x"), true));  // index 0
  // A table size update to 8192 over the client's (default) 4096.
  w.server(test::headers(1, std::string("\x3f\xe1\x3f\x88", 4), true));
  const Recorder r = both(w.pieces);
  EXPECT_EQ(r.anomaly("header_block_undecodable"), 1u);
  EXPECT_EQ(r.anomaly("table_size_over_limit"), 1u);
  // Not known to be gRPC (no content type, no earlier call), yet a framed request: a call with
  // neither label decoded.
  EXPECT_EQ(r.calls, (std::vector<std::string>{"? ? 1/0"}));
}

TEST(Http2Conversation, FrameOverMaxFrameSizeAndSettingsThatRaiseIt) {
  Wire w;
  w.handshake();
  w.client(w.request(1, "/f.S/A"));
  w.server(test::headers(1, w.server_enc.block(test::grpc_response()), false) +
           test::data(1, std::string(20000, 'x'), false));
  Recorder r = both(w.pieces);
  EXPECT_EQ(r.anomaly("frame_too_large"), 1u);
  EXPECT_EQ(r.unmeasured("response_not_seen"), 1u);

  Wire big;
  big.client(test::kPreface + test::settings({{5, 32768}}));
  big.server(test::settings() + test::settings_ack());
  big.client(test::settings_ack());
  big.client(big.request(1, "/f.S/A"));
  big.server(test::headers(1, big.server_enc.block(test::grpc_response()), false) +
             test::data(1, test::message(std::string(20000, 'x')), false) +
             test::headers(1, big.server_enc.block(test::grpc_trailers(0)), true));
  r = both(big.pieces);
  EXPECT_TRUE(r.anomalies.empty());
  EXPECT_EQ(r.calls, (std::vector<std::string>{"f.S/A OK 1/1"}));
}

// The client lowers SETTINGS_HEADER_TABLE_SIZE; the server acknowledges and its encoder sends
// the size update: nghttp2's inflater follows, nothing is counted.
TEST(Http2Conversation, HeaderTableSizeLoweredAndAcknowledged) {
  Wire w;
  w.handshake();
  w.call(1, "/t.S/A", 0);
  w.client(test::settings({{1, 256}}));
  w.server(test::settings_ack());
  w.server_enc.change_table_size(256);
  w.call(3, "/t.S/A", 0);
  w.call(5, "/t.S/A", 4);
  const Recorder r = both(w.pieces);
  EXPECT_TRUE(r.anomalies.empty());
  EXPECT_EQ(r.calls, (std::vector<std::string>{"t.S/A OK 1/1", "t.S/A OK 1/1",
                                               "t.S/A DEADLINE_EXCEEDED 1/1"}));
}

TEST(Http2Conversation, MessagesAcrossFramesAndUncapturedBytes) {
  Wire w;
  w.handshake();
  const std::string m1 = test::message("0123456789");
  w.client(test::headers(1, w.client_enc.block(test::grpc_request("/m.S/A")), false) +
           test::data(1, m1.substr(0, 7), false) + test::data(1, m1.substr(7), false) +
           test::data(1, test::message("z"), true));
  w.server(w.response(1, 0));
  // Stream 3: a 3000-byte message of which only the first bytes are captured (inside its
  // body: the count stays known).
  const std::string big = test::data(3, test::message(std::string(3000, 'b')), true);
  w.client(test::headers(3, w.client_enc.block(test::grpc_request("/m.S/B")), false));
  w.client(big.substr(0, 100), big.size() - 100);
  w.server(w.response(3, 0));
  // Stream 5: two messages; the second's prefix falls in uncaptured bytes: unknown count.
  const std::string two = test::data(5, test::message("aaaa") + test::message("bbbb"), true);
  w.client(test::headers(5, w.client_enc.block(test::grpc_request("/m.S/C")), false));
  w.client(two.substr(0, 9 + 11), two.size() - 20);
  w.server(w.response(5, 0));
  const Recorder r = both(w.pieces);
  EXPECT_EQ(r.calls, (std::vector<std::string>{"m.S/A OK 2/1", "m.S/B OK 1/1", "m.S/C OK -/1"}));
  EXPECT_TRUE(r.anomalies.empty());
}

TEST(Http2Conversation, StreamLimitAndCallsOpenAtClose) {
  Wire w;
  w.handshake();
  std::string requests;
  for (uint32_t i = 0; i < CallTracker::kMaxStreams + 1; ++i) {
    requests += w.request(2 * i + 1, "/l.S/A");
  }
  w.client(requests);
  w.server(w.response(2 * CallTracker::kMaxStreams + 1, 0));  // the one not tracked ends
  const Recorder r = both(w.pieces);
  EXPECT_TRUE(r.calls.empty());
  EXPECT_EQ(r.unmeasured("stream_limit"), 1u);
  EXPECT_EQ(r.unmeasured("request_not_seen"), 0u);
  EXPECT_EQ(r.unmeasured("response_not_seen"), CallTracker::kMaxStreams);
}

TEST(Http2Conversation, GarbageAfterThePrefaceAndGarbageBytes) {
  Wire w;
  w.client(test::kPreface + "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  w.server(std::string(200, '\xff'));
  Recorder r = both(w.pieces);
  EXPECT_EQ(r.anomaly("bad_preface"), 1u);
  EXPECT_TRUE(r.calls.empty());
  // Resync: a later write that starts with frames is read again (joined-connection decoding).
  w.client(w.request(1, "/z.S/A"));
  w.server(w.response(1, 0));
  r = both(w.pieces);
  EXPECT_EQ(r.calls.size(), 1u);
}

}  // namespace
}  // namespace redeye::http2
