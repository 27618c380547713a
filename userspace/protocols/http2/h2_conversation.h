// One HTTP/2 connection seen from the followed process, and the gRPC calls on it. The server
// reads requests (inbound) and writes responses (outbound); the client the reverse: the role
// maps the two directions onto the client-to-server and server-to-client streams, and
// everything else is the same for both.
//
// A connection seen from its preface is decoded by nghttp2's HPACK inflater in each direction,
// so every call's method and status are known. A connection joined mid-stream (opened before
// the agent, or the kernel classified it late) is decoded by the late-join decoder: fields
// that refer to dynamic-table entries from before the join are unknown, so a call's method or
// status may be undecoded (reported empty; the metrics say _OTHER). A direction that loses
// bytes where framing or a header block was needed restarts late-join decoding from there.
#pragma once

#include <cstdint>
#include <memory>

#include "protocols/http2/grpc_calls.h"
#include "protocols/http2/h2_direction.h"
#include "protocols/http2/h2_events.h"
#include "protocols/protocol.h"
#include "protocols/sink_ref.h"

namespace redeye::http2 {

class Http2Conversation : public protocols::Conversation, private DirectionEvents {
 public:
  Http2Conversation(protocols::Role role, Http2EventSink& sink);
  Http2Conversation(protocols::Role role, std::unique_ptr<Http2EventSink> sink);
  Http2Conversation(const Http2Conversation&) = delete;
  Http2Conversation& operator=(const Http2Conversation&) = delete;

  void on_inbound(const protocols::Chunk& chunk) override;
  void on_outbound(const protocols::Chunk& chunk) override;
  void on_close(uint64_t ts_ns) override;

  bool from_preface() const { return from_preface_; }
  // Calls tracked now, started (request HEADERS seen), and reported (on_call).
  size_t open_streams() const { return calls_.open_streams(); }
  uint64_t calls_started() const { return calls_.started(); }
  uint64_t calls_reported() const { return calls_.reported(); }
  // Each direction's HPACK decoding: nghttp2's inflater (false) or the late-join decoder.
  bool requests_late_join() const { return to_server_.hpack().late_join(); }
  bool responses_late_join() const { return to_client_.hpack().late_join(); }

 private:
  Http2Conversation(protocols::Role role, protocols::SinkRef<Http2EventSink> sink);

  void on_preface() override;
  void on_headers(bool request_side, uint32_t stream, const HeaderFacts& facts, bool end_stream,
                  uint64_t ts_ns) override;
  void on_data(bool request_side, uint32_t stream, std::span<const uint8_t> bytes,
               uint64_t lost) override;
  void on_data_end(bool request_side, uint32_t stream, bool end_stream, uint64_t ts_ns) override;
  void on_reset(uint32_t stream, uint32_t error_code, uint64_t ts_ns) override;
  void on_goaway(bool request_side, uint32_t last_stream, uint64_t ts_ns) override;
  void on_settings(bool request_side, const Settings& settings) override;
  void on_settings_ack(bool request_side) override;
  void on_frames_lost(bool request_side) override;
  void on_anomaly(H2Anomaly anomaly) override;

  H2Direction& direction(bool request_side) { return request_side ? to_server_ : to_client_; }

  protocols::Role role_;
  protocols::SinkRef<Http2EventSink> sink_;
  CallTracker calls_;
  H2Direction to_server_;  // client -> server: requests
  H2Direction to_client_;  // server -> client: responses
  bool from_preface_ = false;
  bool closed_ = false;
};

}  // namespace redeye::http2
