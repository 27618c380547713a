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
#include "protocols/http/http_conversation.h"
#include "protocols/http/http_events.h"
#include "protocols/http/http_method.h"
#include "protocols/http/http_route.h"

namespace {

using redeye::fuzz::check;
using redeye::fuzz::feed_schedule;
using redeye::fuzz::Rng;
using redeye::fuzz::Schedule;
using redeye::fuzz::Stream;

using redeye::http::HttpAnomaly;
using redeye::http::HttpConversation;
using redeye::http::HttpEventSink;
using redeye::http::HttpExchange;
using redeye::http::HttpRequestHead;
using redeye::protocols::Chunk;
using redeye::protocols::Role;

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

// Feeds the request stream `in` and the response stream `out` in chunks chosen by the
// generator, then closes. A server reads requests; a client writes them.
std::vector<std::string> run(Stream in, Stream out, const Schedule& schedule,
                             Role role = Role::kServer) {
  CheckingSink sink;
  HttpConversation conversation(role, sink);
  const auto requests = [&](const Chunk& chunk) {
    if (role == Role::kServer) {
      conversation.on_inbound(chunk);
    } else {
      conversation.on_outbound(chunk);
    }
  };
  const uint64_t ts = feed_schedule(
      in, out, schedule, 1,
      [&](bool inbound, std::span<const uint8_t> chunk, uint64_t uncaptured, uint64_t at) {
        const Chunk c{.captured = chunk, .uncaptured = uncaptured, .ts_ns = at};
        if (inbound) {
          sink.inbound_bytes += chunk.size() + uncaptured;
          requests(c);
        } else {
          sink.outbound_bytes += chunk.size() + uncaptured;
          if (role == Role::kServer) {
            conversation.on_outbound(c);
          } else {
            conversation.on_inbound(c);
          }
        }
      });
  conversation.on_close(ts);
  check(sink.all_closed());
  // A closed conversation starts afresh and stays consistent.
  requests({.captured = in.bytes, .ts_ns = ts + 1});
  conversation.on_close(ts + 2);
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
  const auto input = redeye::fuzz::decode_conversation_input(data, size);
  if (!input) return 0;
  const Schedule& options = input->schedule;
  const std::span<const uint8_t> payload = input->payload;
  const Stream in = input->first;
  const Stream out = input->second;

  // The client side sees the same exchanges as the server side, directions swapped.
  check(run(in, out, options) == run(in, out, options, Role::kClient));

  // Chunking invariance: without gaps and with all requests first, the events must not depend on
  // where the chunks are cut.
  Schedule chunked = options;
  chunked.gaps = false;
  chunked.interleave = false;
  Schedule whole = chunked;
  whole.max_chunk = 0;
  check(run(in, out, chunked) == run(in, out, whole));

  Rng rng(options.seed);
  check_routes(payload, rng);
  return 0;
}
