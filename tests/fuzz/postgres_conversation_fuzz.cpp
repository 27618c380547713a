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
using redeye::fuzz::deliver;
using redeye::fuzz::feed_schedule;
using redeye::fuzz::Schedule;
using redeye::fuzz::Stream;

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

CheckingSink run(Stream frontend, Stream backend, const Schedule& options, Role role) {
  CheckingSink sink;
  PgConversation conversation(role, sink);
  const uint64_t ts = feed_schedule(
      frontend, backend, options, 1,
      [&](bool front, std::span<const uint8_t> bytes, uint64_t uncaptured, uint64_t at) {
        deliver(conversation, role, front, Chunk{bytes, uncaptured, at});
        check(conversation.pending() <= PgMatcher::kMaxPending);
      });
  conversation.on_close(ts);
  check(conversation.pending() == 0);
  return sink;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const auto input = redeye::fuzz::decode_conversation_input(data, size);
  if (!input) return 0;
  const Schedule& options = input->schedule;
  const Stream frontend = input->first;
  const Stream backend = input->second;

  // Both roles, same chunk schedule: the same result.
  const CheckingSink client = run(frontend, backend, options, Role::kClient);
  const CheckingSink server = run(frontend, backend, options, Role::kServer);
  check(client.log == server.log);

  // Chunking invariance for streams that parse cleanly.
  Schedule chunked = options;
  chunked.gaps = false;
  chunked.interleave = false;
  Schedule whole = chunked;
  whole.max_chunk = 0;
  const CheckingSink a = run(frontend, backend, chunked, Role::kClient);
  const CheckingSink b = run(frontend, backend, whole, Role::kClient);
  if (!a.lost_bytes() && !b.lost_bytes()) check(a.log == b.log);
  return 0;
}
