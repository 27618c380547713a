// What the PostgreSQL conversation reports: completed operations and parse anomalies.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "protocols/postgres/pg_operation.h"

namespace redeye::postgres {

// One statement execution seen from request to completion. String views are valid only
// during the callback.
struct PgOperation {
  OpId op = kOpOther;
  std::string_view error_type;  // "" = success, else the SQLSTATE (or OTHER)
  uint64_t start_ns = 0;        // the chunk carrying the request (Query, Execute, ...)
  uint64_t end_ns = 0;          // the chunk carrying its completion
};

// Bytes or messages the parser could not use: redeye_parse_errors_total{protocol="postgresql"}.
enum class PgAnomaly : uint8_t {
  kCaptureGap,          // bytes not captured where framing was needed: resync
  kMalformedMessage,    // bytes that do not start a message: skipped, resync
  kUnmatchedResponse,   // a response (or its absence) that no request explains
  kTls,                 // SSLRequest accepted: the rest of the connection is TLS
  kGssEncryption,       // GSSENCRequest accepted: the rest is GSSAPI-encrypted
  kStatementCacheFull,  // a prepared statement name was forgotten to make room
  kTooManyPending,      // more requests in flight than tracked: forgotten
  kCount,
};

inline constexpr std::array<std::string_view, static_cast<size_t>(PgAnomaly::kCount)>
    kPgAnomalyNames = {"capture_gap", "malformed_message",    "unmatched_response", "tls",
                       "gssenc",      "statement_cache_full", "too_many_pending"};

inline std::string_view anomaly_name(PgAnomaly anomaly) {
  return kPgAnomalyNames[static_cast<size_t>(anomaly)];
}

// Why operations went unmeasured: redeye_requests_not_measured_total{protocol="postgresql"}.
enum class NotMeasured : uint8_t {
  kNotCaptured,      // completed in bytes the kernel did not copy (it counted the completions)
  kResponseNotSeen,  // still waiting for a completion when the connection ended
};

class PgEventSink {
 public:
  virtual ~PgEventSink() = default;
  virtual void on_operation(const PgOperation& operation) = 0;
  virtual void on_anomaly(PgAnomaly anomaly, uint64_t n) = 0;
  // `n` operations happened, or were requested, but will never be reported (see
  // NotMeasured).
  virtual void on_not_measured(NotMeasured /*why*/, uint64_t /*n*/) {}
};

}  // namespace redeye::postgres
