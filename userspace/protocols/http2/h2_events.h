// What the HTTP/2 conversation reports: gRPC calls, parse anomalies, and what it could not
// measure.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace redeye::http2 {

// One gRPC call, from its request HEADERS to its response's END_STREAM (or the RST_STREAM or
// GOAWAY that ended it), unary and streaming alike. Views are valid during the callback only.
struct GrpcCall {
  std::string_view method;  // "pkg.Service/Method"; "" when not decoded or not of that shape
  std::string_view status;  // "OK", "NOT_FOUND", ...; "" when not decoded
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  // Messages from the 5-byte gRPC length prefixes, when every prefix was captured.
  std::optional<uint32_t> requests;
  std::optional<uint32_t> responses;
};

// redeye_parse_errors_total{protocol="http2", kind}.
enum class H2Anomaly : uint8_t {
  kCaptureGap,              // bytes not captured where a frame header or header block was needed
  kBadPreface,              // a client preface that did not match, or no SETTINGS after it
  kFrameTooLarge,           // a frame over the direction's SETTINGS_MAX_FRAME_SIZE
  kMalformedFrame,          // a frame breaking its type's rules, or CONTINUATION out of place
  kHeaderBlockTooLarge,     // a header block over the kept maximum
  kHeaderBlockUndecodable,  // a header block HPACK could not decode
  kTableSizeOverLimit,      // a dynamic table size update over SETTINGS_HEADER_TABLE_SIZE
  kCount,
};

inline constexpr std::array<std::string_view, static_cast<size_t>(H2Anomaly::kCount)>
    kH2AnomalyNames = {"capture_gap",
                       "bad_preface",
                       "frame_too_large",
                       "malformed_frame",
                       "header_block_too_large",
                       "header_block_undecodable",
                       "table_size_over_limit"};

inline std::string_view anomaly_name(H2Anomaly anomaly) {
  return kH2AnomalyNames[static_cast<size_t>(anomaly)];
}

// redeye_requests_not_measured_total{protocol="http2", reason}.
enum class H2NotMeasured : uint8_t {
  kNotGrpc,             // an HTTP/2 stream that is not gRPC (not measured yet)
  kContentTypeUnknown,  // joined mid-stream: nothing showed whether the stream was gRPC
  kRequestNotSeen,      // a response ended whose request HEADERS were not seen
  kResponseNotSeen,     // a call still open when the connection ended
  kStreamLimit,         // a stream past the per-connection limit of tracked streams
  kCount,
};

inline constexpr std::array<std::string_view, static_cast<size_t>(H2NotMeasured::kCount)>
    kH2NotMeasuredNames = {"not_grpc", "content_type_unknown", "request_not_seen",
                           "response_not_seen", "stream_limit"};

inline std::string_view not_measured_name(H2NotMeasured why) {
  return kH2NotMeasuredNames[static_cast<size_t>(why)];
}

class Http2EventSink {
 public:
  virtual ~Http2EventSink() = default;
  virtual void on_call(const GrpcCall& call) = 0;
  virtual void on_anomaly(H2Anomaly anomaly, uint64_t n) = 0;
  virtual void on_not_measured(H2NotMeasured why, uint64_t n) = 0;
};

}  // namespace redeye::http2
