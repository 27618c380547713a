// libFuzzer target for the HTTP/2 + gRPC parser (userspace/protocols/http2).
//
// Input layout (fuzz_support.h, decode_conversation_input):
//   byte 0-1  client-to-server stream length L (little endian; clamped to what is there)
//   byte 2-5  seed of the generator that picks chunk sizes, directions and uncaptured counts
//   byte 6    maximum chunk size - 1
//   byte 7    flags: bit 0 = uncaptured gaps, bit 1 = interleave directions randomly,
//             bit 2 = occasionally huge gaps
//   then      L bytes client -> server (the preface, if any, is part of them), the rest
//             server -> client
//
// Checked properties (abort on violation):
//   * calls reported <= calls started, open streams <= CallTracker::kMaxStreams;
//   * every call ends at or after its start, its method is "" or a pkg.Service/Method label,
//     its status "" or a gRPC code name;
//   * the client and the server role report the same calls, anomalies and not-measured
//     counts for the same streams (directions swapped);
//   * for a connection seen from its preface, without uncaptured bytes and with all requests
//     first, when no anomaly was counted the report does not depend on how the streams are
//     chunked.
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "protocols/http2/grpc_calls.h"
#include "protocols/http2/grpc_status.h"
#include "protocols/http2/h2_conversation.h"
#include "protocols/http2/h2_events.h"

namespace {

using redeye::fuzz::check;
using redeye::fuzz::deliver;
using redeye::fuzz::feed_schedule;
using redeye::fuzz::Schedule;
using redeye::fuzz::Stream;
using redeye::http2::CallTracker;
using redeye::http2::GrpcCall;
using redeye::http2::H2Anomaly;
using redeye::http2::H2NotMeasured;
using redeye::http2::Http2Conversation;
using redeye::http2::Http2EventSink;
using redeye::protocols::Chunk;
using redeye::protocols::Role;

bool code_name(std::string_view s) {
  for (int code = 0; code <= 16; ++code) {
    if (redeye::http2::grpc_code_name(code) == s) return true;
  }
  return false;
}

class CheckingSink : public Http2EventSink {
 public:
  void on_call(const GrpcCall& c) override {
    check(c.end_ns >= c.start_ns);
    check(c.method.empty() || redeye::http2::method_label("/" + std::string(c.method)) == c.method);
    check(c.status.empty() || code_name(c.status));
    log.push_back(std::string(c.method) + " " + std::string(c.status) + " " +
                  (c.requests ? std::to_string(*c.requests) : "-") + "/" +
                  (c.responses ? std::to_string(*c.responses) : "-"));
  }
  void on_anomaly(H2Anomaly anomaly, uint64_t n) override {
    check(anomaly < H2Anomaly::kCount);
    anomalies += n;
    log.push_back("! " + std::string(redeye::http2::anomaly_name(anomaly)) + " " +
                  std::to_string(n));
  }
  void on_not_measured(H2NotMeasured why, uint64_t n) override {
    check(why < H2NotMeasured::kCount);
    log.push_back("- " + std::string(redeye::http2::not_measured_name(why)) + " " +
                  std::to_string(n));
  }

  std::vector<std::string> log;
  uint64_t anomalies = 0;
  bool from_preface = false;
};

CheckingSink run(Stream to_server, Stream to_client, const Schedule& options, Role role) {
  CheckingSink sink;
  Http2Conversation conversation(role, sink);
  const uint64_t ts = feed_schedule(
      to_server, to_client, options, 1,
      [&](bool first, std::span<const uint8_t> bytes, uint64_t uncaptured, uint64_t at) {
        deliver(conversation, role, first, Chunk{bytes, uncaptured, at});
        check(conversation.open_streams() <= CallTracker::kMaxStreams);
        check(conversation.calls_reported() <= conversation.calls_started());
      });
  sink.from_preface = conversation.from_preface();
  conversation.on_close(ts);
  check(conversation.open_streams() == 0);
  return sink;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const auto input = redeye::fuzz::decode_conversation_input(data, size);
  if (!input) return 0;
  const Schedule& options = input->schedule;

  const CheckingSink client = run(input->first, input->second, options, Role::kClient);
  const CheckingSink server = run(input->first, input->second, options, Role::kServer);
  check(client.log == server.log);

  Schedule chunked = options;
  chunked.gaps = false;
  chunked.interleave = false;
  Schedule whole = chunked;
  whole.max_chunk = 0;
  const CheckingSink a = run(input->first, input->second, chunked, Role::kServer);
  const CheckingSink b = run(input->first, input->second, whole, Role::kServer);
  if (a.from_preface && b.from_preface && a.anomalies == 0 && b.anomalies == 0) {
    check(a.log == b.log);
  }
  return 0;
}
