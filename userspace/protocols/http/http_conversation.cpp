// The request/response matcher. Semantics (beyond http_events.h):
//  * A request is started (on_request_started) when its head is complete and valid. A request
//    whose start line was valid but whose head was then lost (kCaptureGap, kHeadTooLarge, or
//    kMalformedRequest at a trusted boundary) is started too, right after that anomaly, with
//    request_body_bytes 0: the server will most likely answer it (e.g. 400/431), and this keeps
//    later responses paired with the right requests.
//  * start_ns: timestamp of the chunk carrying the request's first byte (its method's first
//    byte). end_ns: timestamp of the chunk carrying the final response's last byte; for a
//    response read until close, the last response chunk before on_close.
//  * An exchange is reported when its final response ends; request_body_bytes is what the
//    request body had delivered by then (all of it, unless the server answered early).
//  * 1xx responses other than 101 are skipped. 101, and a 2xx answer to CONNECT, complete the
//    exchange at the end of the response head; then both directions become opaque: all further
//    bytes are ignored and any other pending request is abandoned at once.
//  * A response with no pending request: kUnmatchedResponse, then it is parsed (as if answering
//    a GET) and dropped.
//  * At most kMaxPendingRequests requests are pending. A further request is still parsed but not
//    started (kTooManyPipelined); its response is parsed and dropped without any event. Its
//    response is framed as if it answered a GET.
//  * If a response is lost (kCaptureGap, kHeadTooLarge, or kMalformedResponse at a trusted
//    boundary), the oldest pending request is abandoned (on_request_abandoned); the next
//    response found by resynchronisation is paired with the next request.
//  * kPartialMessageDropped: resynchronisation discarded bytes (once per resynchronisation and
//    direction) -- when joining mid-stream, or after any anomaly above that lost a message.
//  * on_close: a read-until-close response completes; every other pending request is abandoned
//    in FIFO order; then the conversation is reset to its initial state.
//  * Known limitation: bytes a client sends after an Upgrade/CONNECT request but before the
//    server's 101/2xx are parsed as HTTP (clients normally wait for the answer).
#include "protocols/http/http_conversation.h"

#include <string_view>
#include <utility>
#include <vector>

#include "protocols/http/http_limits.h"
#include "protocols/http/http_message_reader.h"

namespace redeye::http {

namespace {

struct Pending {
  bool tracked = true;           // false: requests dropped for kTooManyPipelined
  uint64_t untracked_count = 0;  // how many dropped requests this entry stands for
  uint64_t seq = 0;
  HttpRequestHead head;
  uint64_t start_ns = 0;
  uint64_t body_bytes = 0;
  bool is_head = false;
  bool is_connect = false;
};

// FIFO of pending requests in a ring of slots that grows as needed (to hold at most
// 2 * kMaxPendingRequests + 1 entries: tracked ones and the placeholders between them) and
// shrinks only once it is empty, so that a keep-alive connection does not allocate per request.
// The strings of a slot are moved out when its request completes or is abandoned, so slots hold
// no heap memory after.
class PendingQueue {
 public:
  bool empty() const { return size_ == 0; }
  Pending& front() { return slots_[head_]; }
  Pending& back() { return slots_[(head_ + size_ - 1) & (slots_.size() - 1)]; }
  // Appends a slot reset to a default Pending (strings cleared, capacity kept).
  Pending& push_back() {
    if (size_ == slots_.size()) grow();
    Pending& slot = slots_[(head_ + size_) & (slots_.size() - 1)];
    ++size_;
    slot.tracked = true;
    slot.untracked_count = 0;
    slot.seq = 0;
    slot.head.method.clear();
    slot.head.target.clear();
    slot.head.user_identity_source.clear();
    slot.start_ns = 0;
    slot.body_bytes = 0;
    slot.is_head = false;
    slot.is_connect = false;
    return slot;
  }
  void pop_front() {
    head_ = (head_ + 1) & (slots_.size() - 1);
    if (--size_ == 0 && slots_.size() > kKeepSlots) {
      // A burst of pipelined requests is over: give its slots back.
      std::vector<Pending>().swap(slots_);
      head_ = 0;
    }
  }

 private:
  void grow() {
    std::vector<Pending> bigger(slots_.empty() ? 2 : slots_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) {
      bigger[i] = std::move(slots_[(head_ + i) & (slots_.size() - 1)]);
    }
    slots_ = std::move(bigger);
    head_ = 0;
  }

  static constexpr std::size_t kKeepSlots = 8;
  std::vector<Pending> slots_;  // size 0 or a power of two
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace

struct HttpConversation::State {
  State(std::shared_ptr<const std::vector<std::string>> identity_headers, HttpEventSink& events)
      : select(std::move(identity_headers)), sink(&events) {
    if (select) requests.select_fields(*select);
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  struct RequestListener : MessageReaderListener {
    explicit RequestListener(State& s) : state(s) {}
    BodyFraming on_head(const MessageHead& head, uint64_t first_byte_ts) override {
      state.start_request(head.method, head.target, first_byte_ts, head.selected_value);
      return request_body_framing(head);
    }
    void on_body(uint64_t n) override { state.add_request_body(n); }
    void on_message_end(uint64_t) override { state.request_seq = 0; }
    void on_message_lost(HttpAnomaly cause, const MessageHead* start_line, uint64_t first_byte_ts,
                         bool head_delivered) override {
      state.sink->on_anomaly(cause);
      if (!head_delivered && start_line != nullptr) {
        state.start_request(start_line->method, start_line->target, first_byte_ts, {});
      }
      state.request_seq = 0;
    }
    void on_bytes_skipped() override {
      state.sink->on_anomaly(HttpAnomaly::kPartialMessageDropped);
    }
    State& state;
  };

  struct ResponseListener : MessageReaderListener {
    explicit ResponseListener(State& s) : state(s) {}
    BodyFraming on_head(const MessageHead& head, uint64_t) override {
      return state.response_head(head);
    }
    void on_body(uint64_t n) override { state.response_body += n; }
    void on_message_end(uint64_t ts) override { state.response_end(ts); }
    void on_message_lost(HttpAnomaly cause, const MessageHead*, uint64_t,
                         bool head_delivered) override {
      state.sink->on_anomaly(cause);
      const bool lost_response_of_front = head_delivered
                                              ? state.response_active && state.response_attributed
                                              : !state.pending.empty();
      state.response_active = false;
      if (lost_response_of_front) state.abandon_front();
    }
    void on_bytes_skipped() override {
      state.sink->on_anomaly(HttpAnomaly::kPartialMessageDropped);
    }
    State& state;
  };

  void start_request(std::string_view method, std::string_view target, uint64_t ts,
                     std::string_view identity_source) {
    request_seq = 0;
    if (tracked_count >= kMaxPendingRequests) {
      sink->on_anomaly(HttpAnomaly::kTooManyPipelined);
      if (pending.empty() || pending.back().tracked) pending.push_back().tracked = false;
      ++pending.back().untracked_count;
      return;
    }
    Pending& p = pending.push_back();
    p.seq = next_seq++;
    p.head.method.assign(method);
    p.head.target.assign(target);
    p.head.user_identity_source.assign(identity_source);
    p.start_ns = ts;
    p.is_head = method == "HEAD";
    p.is_connect = method == "CONNECT";
    ++tracked_count;
    request_seq = p.seq;
    sink->on_request_started(p.head);
  }

  void add_request_body(uint64_t n) {
    if (request_seq != 0 && !pending.empty() && pending.back().seq == request_seq) {
      pending.back().body_bytes += n;
    }
  }

  BodyFraming response_head(const MessageHead& head) {
    response_active = true;
    response_body = 0;
    response_status = head.status_code;
    response_attributed = !pending.empty();
    if (!response_attributed) sink->on_anomaly(HttpAnomaly::kUnmatchedResponse);
    const Pending* front =
        response_attributed && pending.front().tracked ? &pending.front() : nullptr;
    const bool request_was_head = front != nullptr && front->is_head;
    const bool request_was_connect = front != nullptr && front->is_connect;
    response_interim = response_status < 200 && response_status != 101;
    response_switches = response_status == 101 ||
                        (request_was_connect && response_status >= 200 && response_status < 300);
    return response_body_framing(head, request_was_head, request_was_connect);
  }

  void response_end(uint64_t ts) {
    if (!response_active) return;
    response_active = false;
    if (response_interim) return;
    if (response_attributed) complete_front(ts);
    if (response_switches) {
      requests.make_opaque();
      responses.make_opaque();
      abandon_all();
    }
  }

  void complete_front(uint64_t end_ns) {
    Pending& front = pending.front();
    if (!front.tracked) {
      if (--front.untracked_count == 0) pending.pop_front();
      return;
    }
    HttpExchange exchange;
    exchange.request = std::move(front.head);
    exchange.status_code = response_status;
    exchange.request_body_bytes = front.body_bytes;
    exchange.response_body_bytes = response_body;
    exchange.start_ns = front.start_ns;
    exchange.end_ns = end_ns;
    pending.pop_front();
    --tracked_count;
    sink->on_exchange(exchange);
  }

  void abandon_front() {
    Pending& front = pending.front();
    if (!front.tracked) {
      if (--front.untracked_count == 0) pending.pop_front();
      return;
    }
    const HttpRequestHead head = std::move(front.head);
    pending.pop_front();
    --tracked_count;
    sink->on_request_abandoned(head);
  }

  void abandon_all() {
    while (!pending.empty()) abandon_front();
  }

  std::shared_ptr<const std::vector<std::string>> select;  // kept alive for `requests`
  HttpEventSink* sink;
  RequestListener request_listener{*this};
  ResponseListener response_listener{*this};
  MessageReader requests{StreamRole::kRequests};
  MessageReader responses{StreamRole::kResponses};

  PendingQueue pending;
  std::size_t tracked_count = 0;
  uint64_t next_seq = 1;
  uint64_t request_seq = 0;  // the pending request whose body `requests` is reading

  bool response_active = false;  // a response head was parsed and its body has not ended
  bool response_attributed = false;
  bool response_interim = false;
  bool response_switches = false;
  int response_status = 0;
  uint64_t response_body = 0;
  uint64_t last_response_ts = 0;
};

HttpConversation::HttpConversation(protocols::Role role, HttpEventSink& sink,
                                   std::vector<std::string> identity_headers)
    : role_(role),
      sink_(sink),
      identity_headers_(identity_headers.empty() ? nullptr
                                                 : std::make_shared<const std::vector<std::string>>(
                                                       std::move(identity_headers))),
      state_(std::make_unique<State>(identity_headers_, *sink_)) {}

HttpConversation::HttpConversation(protocols::Role role, std::unique_ptr<HttpEventSink> sink,
                                   std::vector<std::string> identity_headers)
    : role_(role),
      sink_(std::move(sink)),
      identity_headers_(identity_headers.empty() ? nullptr
                                                 : std::make_shared<const std::vector<std::string>>(
                                                       std::move(identity_headers))),
      state_(std::make_unique<State>(identity_headers_, *sink_)) {}

HttpConversation::~HttpConversation() = default;

void HttpConversation::on_inbound(const protocols::Chunk& chunk) {
  if (role_ == protocols::Role::kServer) {
    requests(chunk);
  } else {
    responses(chunk);
  }
}

void HttpConversation::on_outbound(const protocols::Chunk& chunk) {
  if (role_ == protocols::Role::kServer) {
    responses(chunk);
  } else {
    requests(chunk);
  }
}

void HttpConversation::requests(const protocols::Chunk& chunk) {
  if (chunk.captured.empty() && chunk.uncaptured == 0) return;
  state_->requests.feed(chunk.captured, chunk.uncaptured, chunk.ts_ns, state_->request_listener);
}

void HttpConversation::responses(const protocols::Chunk& chunk) {
  if (chunk.captured.empty() && chunk.uncaptured == 0) return;
  state_->last_response_ts = chunk.ts_ns;
  state_->responses.feed(chunk.captured, chunk.uncaptured, chunk.ts_ns, state_->response_listener);
}

void HttpConversation::on_close(uint64_t) {
  State& s = *state_;
  if (s.responses.in_until_close_body()) s.response_end(s.last_response_ts);
  s.abandon_all();
  state_ = std::make_unique<State>(identity_headers_, *sink_);
}

}  // namespace redeye::http
