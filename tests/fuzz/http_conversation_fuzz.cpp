// libFuzzer target for the HTTP/1.x parser (userspace/protocols/http).
//
// Input layout:
//   byte 0-1  inbound stream length L (little endian; clamped to what is there)
//   byte 2-5  seed of the generator that picks chunk sizes, directions and uncaptured counts
//   byte 6    maximum chunk size - 1 (chunks are 1..byte6+1 bytes)
//   byte 7    flags: bit 0 = insert uncaptured gaps, bit 1 = interleave directions randomly
//             (otherwise all inbound first), bit 2 = occasionally huge gaps
//   then      L bytes of inbound stream (requests), the rest is the outbound stream (responses)
//
// Checked properties (abort on violation):
//   * every on_request_started is followed by exactly one on_exchange or on_request_abandoned
//     for the same head, in FIFO order; nothing is left open after on_close;
//   * end_ns >= start_ns; body sizes never exceed the bytes that went by;
//   * without uncaptured bytes, the events do not depend on how the streams are chunked;
//   * normalize_route output is printable ASCII, bounded, and idempotent.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "protocols/http/http_events.h"
#include "protocols/http/http_method.h"
#include "protocols/http/http_route.h"
#include "protocols/http/http_server_conversation.h"

namespace {

using redeye::fuzz::check;
using redeye::fuzz::Rng;

using redeye::http::HttpAnomaly;
using redeye::http::HttpEventSink;
using redeye::http::HttpExchange;
using redeye::http::HttpRequestHead;
using redeye::http::HttpServerConversation;

// Checks the sink invariants and records the events without timestamps.
class CheckingSink : public HttpEventSink {
 public:
  void on_request_started(const HttpRequestHead& head) override {
    open_.push_back(head);
    log.push_back("S " + head.method + " " + head.target);
  }
  void on_exchange(const HttpExchange& e) override {
    close_front(e.request);
    check(e.end_ns >= e.start_ns);
    check(e.request_body_bytes <= inbound_bytes);
    check(e.response_body_bytes <= outbound_bytes);
    log.push_back("X " + e.request.method + " " + e.request.target + " " +
                  std::to_string(e.status_code) + " " + std::to_string(e.request_body_bytes) + " " +
                  std::to_string(e.response_body_bytes));
  }
  void on_request_abandoned(const HttpRequestHead& head) override {
    close_front(head);
    log.push_back("A " + head.method + " " + head.target);
  }
  void on_anomaly(HttpAnomaly anomaly) override {
    log.push_back("N " + std::to_string(static_cast<int>(anomaly)));
  }
  bool all_closed() const { return open_.empty(); }

  std::vector<std::string> log;
  uint64_t inbound_bytes = 0;  // captured + uncaptured bytes fed so far
  uint64_t outbound_bytes = 0;

 private:
  void close_front(const HttpRequestHead& head) {
    check(!open_.empty());
    check(open_.front().method == head.method && open_.front().target == head.target);
    open_.pop_front();
  }
  std::deque<HttpRequestHead> open_;
};

struct Stream {
  std::span<const uint8_t> bytes;
  std::size_t pos = 0;
  bool done() const { return pos >= bytes.size(); }
};

struct Options {
  uint32_t seed = 0;
  uint32_t max_chunk = 1;  // 0: each stream in one chunk
  bool gaps = false;
  bool interleave = false;
  bool huge_gaps = false;
};

// Feeds both streams in chunks chosen by the generator, then closes.
std::vector<std::string> run(Stream in, Stream out, const Options& options) {
  Rng rng(options.seed);
  HttpServerConversation conversation;
  CheckingSink sink;
  uint64_t ts = 1;
  while (!in.done() || !out.done()) {
    bool inbound = !in.done();
    if (options.interleave && !in.done() && !out.done()) inbound = rng.below(2) == 0;
    Stream& s = inbound ? in : out;
    const std::size_t left = s.bytes.size() - s.pos;
    const std::size_t size = options.max_chunk == 0
                                 ? left
                                 : std::min<std::size_t>(left, 1 + rng.below(options.max_chunk));
    uint64_t uncaptured = 0;
    if (options.gaps && rng.below(8) == 0) {
      uncaptured = options.huge_gaps && rng.below(4) == 0 ? rng.next() : rng.below(64);
    }
    const std::span<const uint8_t> chunk = s.bytes.subspan(s.pos, size);
    // The uncaptured bytes are part of the stream: skip as many of the following bytes.
    s.pos += size + std::min<uint64_t>(uncaptured, s.bytes.size() - s.pos - size);
    if (inbound) {
      sink.inbound_bytes += size + uncaptured;
      conversation.on_inbound(chunk, uncaptured, ts, sink);
    } else {
      sink.outbound_bytes += size + uncaptured;
      conversation.on_outbound(chunk, uncaptured, ts, sink);
    }
    ts += 1 + rng.below(3);
  }
  conversation.on_close(ts, sink);
  check(sink.all_closed());
  // A closed conversation starts afresh and stays consistent.
  conversation.on_inbound(in.bytes, 0, ts + 1, sink);
  conversation.on_close(ts + 2, sink);
  check(sink.all_closed());
  return std::move(sink.log);
}

bool printable(std::string_view s) {
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x21 || b > 0x7e) return false;
  }
  return true;
}

void check_routes(std::span<const uint8_t> bytes, Rng& rng) {
  redeye::http::RouteLimiter limiter(4);
  for (int i = 0; i < 8 && !bytes.empty(); ++i) {
    const std::size_t start = rng.below(static_cast<uint32_t>(bytes.size()));
    const std::size_t length = rng.below(static_cast<uint32_t>(bytes.size() - start) + 1);
    const std::string_view slice(reinterpret_cast<const char*>(bytes.data()) + start, length);
    const std::string route = redeye::http::normalize_route(slice);
    check(!route.empty() && route.size() <= 17 * (redeye::http::kMaxSegmentLength + 1));
    check(printable(route));
    check(redeye::http::normalize_route(route) == route);
    const std::string& admitted = limiter.admit(route);
    check(admitted == route || admitted == redeye::http::kOverflowRoute);
    const std::string_view method = redeye::http::canonical_method(slice.substr(0, 8));
    check(method == slice.substr(0, 8) || method == redeye::http::kOtherMethod);
  }
  check(limiter.size() <= 4);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 8) return 0;
  const std::size_t declared = static_cast<std::size_t>(data[0]) | (std::size_t{data[1]} << 8);
  Options options;
  options.seed = static_cast<uint32_t>(data[2]) | (static_cast<uint32_t>(data[3]) << 8) |
                 (static_cast<uint32_t>(data[4]) << 16) | (static_cast<uint32_t>(data[5]) << 24);
  options.max_chunk = static_cast<uint32_t>(data[6]) + 1;
  options.gaps = (data[7] & 1) != 0;
  options.interleave = (data[7] & 2) != 0;
  options.huge_gaps = (data[7] & 4) != 0;

  const std::span<const uint8_t> payload(data + 8, size - 8);
  const std::size_t split = std::min(declared, payload.size());
  const Stream in{payload.first(split)};
  const Stream out{payload.subspan(split)};

  run(in, out, options);

  // Chunking invariance: without gaps and with all requests first, the events must not depend on
  // where the chunks are cut.
  Options chunked = options;
  chunked.gaps = false;
  chunked.interleave = false;
  Options whole = chunked;
  whole.max_chunk = 0;
  check(run(in, out, chunked) == run(in, out, whole));

  Rng rng(options.seed);
  check_routes(payload, rng);
  return 0;
}
