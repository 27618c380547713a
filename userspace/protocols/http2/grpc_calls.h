// The calls of one connection, by stream: a call starts at its request HEADERS and ends at its
// response's END_STREAM (trailers, trailers-only, or DATA), a RST_STREAM, a GOAWAY that says it
// was not processed, or the end of the connection (then it is counted as not measured). The
// streams tracked are bounded (kMaxStreams); streams already counted as not measured (not
// gRPC, over the limit) are remembered by id (kMaxSettled) so their end is not counted again.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/http2/grpc_message_counter.h"
#include "protocols/http2/h2_events.h"
#include "protocols/http2/h2_header_facts.h"

namespace redeye::http2 {

class CallTracker {
 public:
  static constexpr size_t kMaxStreams = 128;
  static constexpr size_t kMaxSettled = 256;

  explicit CallTracker(Http2EventSink& sink) : sink_(sink) {}

  void request_headers(uint32_t id, const HeaderFacts& facts, uint64_t ts_ns);
  void response_headers(uint32_t id, const HeaderFacts& facts, bool end_stream, uint64_t ts_ns);
  void data(bool request_side, uint32_t id, std::span<const uint8_t> bytes, uint64_t lost);
  void response_data_end(uint32_t id, bool end_stream, uint64_t ts_ns);
  void reset(uint32_t id, uint32_t error_code, uint64_t ts_ns);
  // A GOAWAY from the server: streams above `last_id` were not processed.
  void goaway(uint32_t last_id, uint64_t ts_ns);
  // Frames of one side were lost: the message counts of every open call are unknown.
  void frames_lost(bool request_side);
  void close();

  size_t open_streams() const { return streams_.size(); }
  uint64_t started() const { return started_; }
  uint64_t reported() const { return reported_; }

 private:
  enum class Kind : uint8_t { kUnknown, kGrpc, kNotGrpc };
  struct Stream {
    uint32_t id = 0;
    uint64_t start_ns = 0;
    Kind kind = Kind::kUnknown;
    std::string method;  // the label; "" when not decoded
    bool response_seen = false;
    Fact http_status = Fact::kUnresolved;
    int http_status_value = 0;
    Fact grpc_status = Fact::kAbsent;
    int grpc_status_value = -1;
    MessageCounter requests;
    MessageCounter responses;
  };

  Stream* find(uint32_t id);
  // Counts `id` as not measured for `why` now; its later frames are ignored.
  void settle(uint32_t id, H2NotMeasured why);
  // Ignores the later frames of `id` (a call ended by RST_STREAM or GOAWAY: the peer may still
  // send the response's end it wrote before it saw the reset).
  void remember(uint32_t id);
  // Whether `id` was settled; forgets it when its stream ends.
  bool settled(uint32_t id, bool ended);
  // Reports the call (or why it is not one) and forgets the stream. `forced_status`: the
  // status a reset or GOAWAY gives, "" to take it from the response.
  void finish(size_t index, uint64_t ts_ns, std::string_view forced_status);
  void note_evidence(const HeaderFacts& facts);

  Http2EventSink& sink_;
  std::vector<Stream> streams_;
  std::vector<uint32_t> settled_;  // oldest first
  uint32_t max_request_id_ = 0;
  bool grpc_connection_ = false;  // a block of this connection showed gRPC
  uint64_t started_ = 0;
  uint64_t reported_ = 0;
};

}  // namespace redeye::http2
