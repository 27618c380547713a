#include "protocols/http2/grpc_calls.h"

#include <algorithm>

#include "protocols/http2/grpc_status.h"

namespace redeye::http2 {
namespace {

// gRPC streams are opened by the client: odd ids (even ones are server pushes).
bool client_stream(uint32_t id) { return (id & 1u) == 1u; }

}  // namespace

CallTracker::Stream* CallTracker::find(uint32_t id) {
  for (Stream& s : streams_) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

void CallTracker::settle(uint32_t id, H2NotMeasured why) {
  sink_.on_not_measured(why, 1);
  remember(id);
}

void CallTracker::remember(uint32_t id) {
  if (settled_.size() == kMaxSettled) settled_.erase(settled_.begin());
  settled_.push_back(id);
}

bool CallTracker::settled(uint32_t id, bool ended) {
  const auto it = std::find(settled_.begin(), settled_.end(), id);
  if (it == settled_.end()) return false;
  if (ended) settled_.erase(it);
  return true;
}

void CallTracker::note_evidence(const HeaderFacts& facts) {
  if (facts.grpc_evidence()) grpc_connection_ = true;
}

void CallTracker::request_headers(uint32_t id, const HeaderFacts& facts, uint64_t ts_ns) {
  note_evidence(facts);
  if (!client_stream(id) || find(id) != nullptr || id <= max_request_id_) {
    return;  // request trailers, or a stream that already ended
  }
  max_request_id_ = id;
  Kind kind = Kind::kUnknown;
  if (facts.content_type() == Fact::kKnown) {
    kind = facts.grpc_content_type() ? Kind::kGrpc : Kind::kNotGrpc;
  } else if (facts.content_type() == Fact::kAbsent) {
    kind = Kind::kNotGrpc;
  }
  if (facts.method() == Fact::kKnown && !facts.method_is_post()) kind = Kind::kNotGrpc;
  if (kind == Kind::kNotGrpc) {
    settle(id, H2NotMeasured::kNotGrpc);
    return;
  }
  if (streams_.size() >= kMaxStreams) {
    settle(id, H2NotMeasured::kStreamLimit);
    return;
  }
  Stream& s = streams_.emplace_back();
  s.id = id;
  s.start_ns = ts_ns;
  s.kind = kind;
  if (facts.path() == Fact::kKnown) s.method = method_label(facts.path_value());
  ++started_;
}

void CallTracker::response_headers(uint32_t id, const HeaderFacts& facts, bool end_stream,
                                   uint64_t ts_ns) {
  note_evidence(facts);
  if (!client_stream(id)) return;
  Stream* s = find(id);
  if (s == nullptr) {
    if (end_stream && !settled(id, true)) sink_.on_not_measured(H2NotMeasured::kRequestNotSeen, 1);
    return;
  }
  if (!s->response_seen) {
    s->response_seen = true;
    s->http_status = facts.status();
    s->http_status_value = facts.status_value();
    if (s->kind == Kind::kUnknown && facts.content_type() == Fact::kKnown) {
      s->kind = facts.grpc_content_type() ? Kind::kGrpc : Kind::kNotGrpc;
    }
  }
  if (s->kind == Kind::kUnknown && facts.grpc_evidence()) s->kind = Kind::kGrpc;
  if (facts.grpc_status() == Fact::kKnown) {
    s->grpc_status = Fact::kKnown;
    s->grpc_status_value = facts.grpc_status_value();
  } else if (facts.grpc_status() == Fact::kUnresolved && s->grpc_status != Fact::kKnown) {
    s->grpc_status = Fact::kUnresolved;
  }
  if (end_stream) finish(static_cast<size_t>(s - streams_.data()), ts_ns, "");
}

void CallTracker::data(bool request_side, uint32_t id, std::span<const uint8_t> bytes,
                       uint64_t lost) {
  Stream* s = find(id);
  if (s == nullptr) return;
  MessageCounter& counter = request_side ? s->requests : s->responses;
  if (!bytes.empty()) counter.feed(bytes);
  if (lost != 0) counter.lose(lost);
}

void CallTracker::response_data_end(uint32_t id, bool end_stream, uint64_t ts_ns) {
  if (!end_stream || !client_stream(id)) return;
  Stream* s = find(id);
  if (s == nullptr) {
    if (!settled(id, true)) sink_.on_not_measured(H2NotMeasured::kRequestNotSeen, 1);
    return;
  }
  finish(static_cast<size_t>(s - streams_.data()), ts_ns, "");
}

void CallTracker::reset(uint32_t id, uint32_t error_code, uint64_t ts_ns) {
  Stream* s = find(id);
  if (s == nullptr) {
    settled(id, true);  // a reset after the end, or of a stream not seen: nothing to count
    return;
  }
  finish(static_cast<size_t>(s - streams_.data()), ts_ns, grpc_status_for_reset(error_code));
}

void CallTracker::goaway(uint32_t last_id, uint64_t ts_ns) {
  for (size_t i = streams_.size(); i-- > 0;) {
    if (streams_[i].id > last_id) finish(i, ts_ns, kGoawayStatus);
  }
  std::erase_if(settled_, [last_id](uint32_t id) { return id > last_id; });
}

void CallTracker::frames_lost(bool request_side) {
  for (Stream& s : streams_) (request_side ? s.requests : s.responses).make_unknown();
}

void CallTracker::close() {
  if (!streams_.empty()) sink_.on_not_measured(H2NotMeasured::kResponseNotSeen, streams_.size());
  streams_.clear();
  settled_.clear();
}

void CallTracker::finish(size_t index, uint64_t ts_ns, std::string_view forced_status) {
  Stream s = std::move(streams_[index]);
  streams_[index] = std::move(streams_.back());
  streams_.pop_back();
  if (!forced_status.empty()) remember(s.id);

  Kind kind = s.kind;
  if (kind == Kind::kUnknown) {
    // Nothing named the content type: a connection that showed gRPC elsewhere, or a request
    // body that is exactly a sequence of gRPC messages, is taken as gRPC.
    const bool framed = s.requests.count() != 0 && s.requests.at_boundary();
    kind = grpc_connection_ || framed ? Kind::kGrpc : Kind::kUnknown;
  }
  if (kind != Kind::kGrpc) {
    sink_.on_not_measured(
        kind == Kind::kNotGrpc ? H2NotMeasured::kNotGrpc : H2NotMeasured::kContentTypeUnknown, 1);
    return;
  }
  GrpcCall call;
  call.method = s.method;
  if (!forced_status.empty()) {
    call.status = forced_status;
  } else if (s.grpc_status == Fact::kKnown) {
    call.status = grpc_code_name(s.grpc_status_value);
  } else if (s.grpc_status == Fact::kAbsent && s.http_status == Fact::kKnown) {
    call.status = grpc_status_for_http(s.http_status_value);
  }  // else: not decoded
  call.start_ns = s.start_ns;
  call.end_ns = std::max(ts_ns, s.start_ns);
  if (s.requests.known()) call.requests = s.requests.count();
  if (s.responses.known()) call.responses = s.responses.count();
  ++reported_;
  sink_.on_call(call);
}

}  // namespace redeye::http2
