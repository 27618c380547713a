// Test helpers: a sink that records every event as a line of text, and a conversation driver.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/http/http_conversation.h"
#include "protocols/http/http_events.h"
#include "protocols/protocol.h"

namespace redeye::http::testing {

inline std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// One read or write of `bytes` (a view: `bytes` must outlive the chunk) at `ts`.
inline protocols::Chunk chunk(std::string_view bytes, uint64_t ts, uint64_t uncaptured = 0) {
  return {.captured = as_bytes(bytes), .uncaptured = uncaptured, .ts_ns = ts};
}

// A std::string from a literal that may contain NUL bytes.
template <std::size_t N>
std::string bin(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

inline const char* test_anomaly_label(HttpAnomaly anomaly) {
  switch (anomaly) {
    case HttpAnomaly::kPartialMessageDropped:
      return "PartialMessageDropped";
    case HttpAnomaly::kMalformedRequest:
      return "MalformedRequest";
    case HttpAnomaly::kMalformedResponse:
      return "MalformedResponse";
    case HttpAnomaly::kCaptureGap:
      return "CaptureGap";
    case HttpAnomaly::kUnmatchedResponse:
      return "UnmatchedResponse";
    case HttpAnomaly::kHeadTooLarge:
      return "HeadTooLarge";
    case HttpAnomaly::kTooManyPipelined:
      return "TooManyPipelined";
  }
  return "?";
}

// "exchange GET /a 200 req=0 resp=5 start=1 end=2"
inline std::string describe(const HttpExchange& e) {
  return "exchange " + e.request.method + " " + e.request.target + " " +
         std::to_string(e.status_code) + " req=" + std::to_string(e.request_body_bytes) +
         " resp=" + std::to_string(e.response_body_bytes) + " start=" + std::to_string(e.start_ns) +
         " end=" + std::to_string(e.end_ns);
}

class RecordingSink : public HttpEventSink {
 public:
  void on_request_started(const HttpRequestHead& head) override {
    log.push_back("started " + head.method + " " + head.target);
  }
  void on_exchange(const HttpExchange& exchange) override {
    exchanges.push_back(exchange);
    log.push_back(describe(exchange));
  }
  void on_request_abandoned(const HttpRequestHead& head) override {
    log.push_back("abandoned " + head.method + " " + head.target);
  }
  void on_anomaly(HttpAnomaly anomaly) override {
    anomalies.push_back(anomaly);
    log.push_back(std::string("anomaly ") + test_anomaly_label(anomaly));
  }

  std::vector<std::string> log;
  std::vector<HttpExchange> exchanges;
  std::vector<HttpAnomaly> anomalies;
};

// Drives one server-side conversation and records its events.
struct Driver {
  void in(std::string_view bytes, uint64_t ts, uint64_t uncaptured = 0) {
    conversation.on_inbound(chunk(bytes, ts, uncaptured));
  }
  void out(std::string_view bytes, uint64_t ts, uint64_t uncaptured = 0) {
    conversation.on_outbound(chunk(bytes, ts, uncaptured));
  }
  void close(uint64_t ts) { conversation.on_close(ts); }
  const std::vector<std::string>& log() const { return sink.log; }

  RecordingSink sink;
  HttpConversation conversation{protocols::Role::kServer, sink};
};

using Log = std::vector<std::string>;

}  // namespace redeye::http::testing
