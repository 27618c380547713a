// What the HTTP/1.x parser tells its caller. Shared by the server-side conversation
// (request/response matcher) and whoever turns exchanges into metrics.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace redeye::http {

// A request whose head (request line + headers) has been fully parsed.
struct HttpRequestHead {
  std::string method;  // the method token exactly as sent, e.g. "GET"
  std::string target;  // the raw request-target, e.g. "/orders/42?x=1"
  // The value of the header the conversation was asked to keep (HttpConversation's
  // identity_headers), e.g. "Bearer eyJ..." or "user-42"; empty when none was asked for or
  // the request had none.
  std::string user_identity_source;
};

// One request matched with its final (non-1xx) response.
struct HttpExchange {
  HttpRequestHead request;
  int status_code = 0;
  uint64_t request_body_bytes = 0;   // payload bytes (chunked: sum of chunk sizes)
  uint64_t response_body_bytes = 0;  // payload bytes (chunked: sum of chunk sizes)
  uint64_t start_ns = 0;  // timestamp of the inbound chunk carrying the request's first byte
  uint64_t end_ns = 0;    // timestamp of the outbound chunk carrying the response's last byte
};

// Everything that made the parser throw bytes away. Each is counted by the caller.
enum class HttpAnomaly {
  kPartialMessageDropped,  // joined mid-stream / after desync: bytes skipped until a boundary
  kMalformedRequest,       // invalid request line/headers/chunk framing
  kMalformedResponse,      // invalid status line/headers/chunk framing
  kCaptureGap,             // uncaptured bytes fell where framing was needed
  kUnmatchedResponse,      // a response with no pending request
  kHeadTooLarge,           // a head exceeded the per-direction buffer limit
  kTooManyPipelined,       // pending request queue full; request dropped
  kCount,
};

// redeye_parse_errors_total{protocol="http", kind}, indexed by HttpAnomaly.
inline constexpr std::array<std::string_view, static_cast<size_t>(HttpAnomaly::kCount)>
    kHttpAnomalyNames = {
        "partial_message_dropped", "malformed_request", "malformed_response", "capture_gap",
        "unmatched_response",      "head_too_large",    "too_many_pipelined"};

inline std::string_view anomaly_name(HttpAnomaly anomaly) {
  return kHttpAnomalyNames[static_cast<size_t>(anomaly)];
}

class HttpEventSink {
 public:
  virtual ~HttpEventSink() = default;
  // Invariant: every on_request_started is followed by exactly one on_exchange or
  // on_request_abandoned carrying the same head (FIFO order).
  virtual void on_request_started(const HttpRequestHead& head) = 0;
  virtual void on_exchange(const HttpExchange& exchange) = 0;
  virtual void on_request_abandoned(const HttpRequestHead& head) = 0;
  virtual void on_anomaly(HttpAnomaly anomaly) = 0;
};

}  // namespace redeye::http
