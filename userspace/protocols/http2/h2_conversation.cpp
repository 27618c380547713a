#include "protocols/http2/h2_conversation.h"

#include <utility>

namespace redeye::http2 {

Http2Conversation::Http2Conversation(protocols::Role role, Http2EventSink& sink)
    : Http2Conversation(role, protocols::SinkRef<Http2EventSink>(sink)) {}

Http2Conversation::Http2Conversation(protocols::Role role, std::unique_ptr<Http2EventSink> sink)
    : Http2Conversation(role, protocols::SinkRef<Http2EventSink>(std::move(sink))) {}

Http2Conversation::Http2Conversation(protocols::Role role, protocols::SinkRef<Http2EventSink> sink)
    : role_(role),
      sink_(std::move(sink)),
      calls_(*sink_),
      to_server_(true, *this),
      to_client_(false, *this) {}

void Http2Conversation::on_inbound(const protocols::Chunk& chunk) {
  if (closed_) return;
  direction(role_ == protocols::Role::kServer).feed(chunk);
}

void Http2Conversation::on_outbound(const protocols::Chunk& chunk) {
  if (closed_) return;
  direction(role_ == protocols::Role::kClient).feed(chunk);
}

void Http2Conversation::on_close(uint64_t /*ts_ns*/) {
  if (closed_) return;
  closed_ = true;
  calls_.close();
}

void Http2Conversation::on_preface() {
  from_preface_ = true;
  to_server_.start_from_preface();
  to_client_.start_from_preface();
}

void Http2Conversation::on_headers(bool request_side, uint32_t stream, const HeaderFacts& facts,
                                   bool end_stream, uint64_t ts_ns) {
  if (request_side) {
    calls_.request_headers(stream, facts, ts_ns);
  } else {
    calls_.response_headers(stream, facts, end_stream, ts_ns);
  }
}

void Http2Conversation::on_data(bool request_side, uint32_t stream, std::span<const uint8_t> bytes,
                                uint64_t lost) {
  calls_.data(request_side, stream, bytes, lost);
}

void Http2Conversation::on_data_end(bool request_side, uint32_t stream, bool end_stream,
                                    uint64_t ts_ns) {
  if (!request_side) calls_.response_data_end(stream, end_stream, ts_ns);
}

void Http2Conversation::on_reset(uint32_t stream, uint32_t error_code, uint64_t ts_ns) {
  calls_.reset(stream, error_code, ts_ns);
}

void Http2Conversation::on_goaway(bool request_side, uint32_t last_stream, uint64_t ts_ns) {
  // The client's GOAWAY names the server's streams (pushes): no call is refused by it.
  if (!request_side) calls_.goaway(last_stream, ts_ns);
}

void Http2Conversation::on_settings(bool request_side, const Settings& settings) {
  // What one peer announces governs what the other sends it.
  direction(!request_side).announce(settings);
}

void Http2Conversation::on_settings_ack(bool request_side) {
  direction(request_side).acknowledged();
}

void Http2Conversation::on_frames_lost(bool request_side) { calls_.frames_lost(request_side); }

void Http2Conversation::on_anomaly(H2Anomaly anomaly) { sink_->on_anomaly(anomaly, 1); }

}  // namespace redeye::http2
