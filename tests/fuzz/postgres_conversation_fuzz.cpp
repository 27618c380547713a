// libFuzzer target for the PostgreSQL parser (userspace/protocols/postgres).
//
// Input layout:
//   byte 0-1  frontend stream length L (little endian; clamped to what is there)
//   byte 2-5  seed of the generator that picks chunk sizes, directions and uncaptured counts
//   byte 6    maximum chunk size - 1 (chunks are 1..byte6+1 bytes)
//   byte 7    flags: bit 0 = insert uncaptured gaps, bit 1 = interleave directions randomly
//             (otherwise all frontend first), bit 2 = occasionally huge gaps
//   then      L bytes of frontend stream (client -> server), the rest is the backend stream
//
// Checked properties (abort on violation):
//   * operations have end >= start, a name from the table and an error type that is "" or a
//     5-character SQLSTATE or OTHER;
//   * the requests in flight never exceed PgMatcher::kMaxPending;
//   * the client and the server role see the same operations and anomalies for the same
//     streams (directions swapped);
//   * without uncaptured bytes and with all requests first, when nothing was malformed the
//     operations do not depend on how the streams are chunked.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "protocols/postgres/pg_conversation.h"
#include "protocols/postgres/pg_events.h"
#include "protocols/postgres/pg_operation.h"

namespace {

using redeye::fuzz::check;
using redeye::fuzz::Rng;

using redeye::postgres::PgAnomaly;
using redeye::postgres::PgConversation;
using redeye::postgres::PgEventSink;
using redeye::postgres::PgMatcher;
using redeye::postgres::PgOperation;
using redeye::protocols::Chunk;
using redeye::protocols::Role;

bool valid_error_type(std::string_view e) {
  if (e.empty() || e == "OTHER") return true;
  if (e.size() != 5) return false;
  return std::all_of(e.begin(), e.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); });
}

class CheckingSink : public PgEventSink {
 public:
  void on_operation(const PgOperation& o) override {
    check(o.end_ns >= o.start_ns);
    const std::string_view name = redeye::postgres::op_name(o.op);
    check(!name.empty());
    check(valid_error_type(o.error_type));
    log.push_back(std::string(name) + " " + std::string(o.error_type));
  }
  void on_anomaly(PgAnomaly anomaly, uint64_t n) override {
    check(anomaly < PgAnomaly::kCount);
    anomalies[static_cast<int>(anomaly)] += n;
    log.push_back("! " + std::string(redeye::postgres::anomaly_name(anomaly)) + " " +
                  std::to_string(n));
  }
  bool lost_bytes() const {
    return anomalies.count(static_cast<int>(PgAnomaly::kCaptureGap)) != 0 ||
           anomalies.count(static_cast<int>(PgAnomaly::kMalformedMessage)) != 0;
  }

  std::vector<std::string> log;
  std::map<int, uint64_t> anomalies;
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

CheckingSink run(Stream frontend, Stream backend, const Options& options, Role role) {
  Rng rng(options.seed);
  CheckingSink sink;
  PgConversation conversation(role, sink);
  uint64_t ts = 1;
  while (!frontend.done() || !backend.done()) {
    bool front = !frontend.done();
    if (options.interleave && !frontend.done() && !backend.done()) front = rng.below(2) == 0;
    Stream& s = front ? frontend : backend;
    const std::size_t left = s.bytes.size() - s.pos;
    const std::size_t size = options.max_chunk == 0
                                 ? left
                                 : std::min<std::size_t>(left, 1 + rng.below(options.max_chunk));
    uint64_t uncaptured = 0;
    if (options.gaps && rng.below(8) == 0) {
      uncaptured = options.huge_gaps && rng.below(4) == 0 ? rng.next() : rng.below(64);
    }
    const Chunk chunk{s.bytes.subspan(s.pos, size), uncaptured, ts};
    s.pos += size + std::min<uint64_t>(uncaptured, s.bytes.size() - s.pos - size);
    // The client writes the frontend stream; the server reads it.
    if (front == (role == Role::kClient)) {
      conversation.on_outbound(chunk);
    } else {
      conversation.on_inbound(chunk);
    }
    check(conversation.pending() <= PgMatcher::kMaxPending);
    ts += 1 + rng.below(3);
  }
  conversation.on_close(ts);
  check(conversation.pending() == 0);
  return sink;
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
  const Stream frontend{payload.first(split)};
  const Stream backend{payload.subspan(split)};

  // Both roles, same chunk schedule: the same result.
  const CheckingSink client = run(frontend, backend, options, Role::kClient);
  const CheckingSink server = run(frontend, backend, options, Role::kServer);
  check(client.log == server.log);

  // Chunking invariance for streams that parse cleanly.
  Options chunked = options;
  chunked.gaps = false;
  chunked.interleave = false;
  Options whole = chunked;
  whole.max_chunk = 0;
  const CheckingSink a = run(frontend, backend, chunked, Role::kClient);
  const CheckingSink b = run(frontend, backend, whole, Role::kClient);
  if (!a.lost_bytes() && !b.lost_bytes()) check(a.log == b.log);
  return 0;
}
