#include "protocols/postgres/postgres_protocol.h"

#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "discovery/service_info.h"
#include "metrics/self_metrics.h"
#include "protocols/postgres/pg_conversation.h"
#include "protocols/postgres/postgres_metrics.h"
#include "redeye/abi.h"

namespace redeye::postgres {
namespace {

constexpr const char* kProtocolLabel = "postgresql";
// redeye_requests_not_measured_total{protocol="postgresql", reason}: statements completed in
// bytes the kernel did not copy (it counts the completions), and statements whose completion
// was not seen when their connection ended.
constexpr const char* kNotCaptured = "not_captured";
constexpr const char* kResponseNotSeen = "response_not_seen";

// Routes one connection's operations to the metrics, with the connection's identity.
class MetricsSink : public PgEventSink {
 public:
  MetricsSink(const protocols::ConnectionInfo& conn, PostgresMetrics& metrics, SelfMetrics& self)
      : endpoint_{conn.service, conn.role == protocols::Role::kClient,
                  conn.role == protocols::Role::kClient ? conn.remote_address : std::string(),
                  conn.role == protocols::Role::kClient ? conn.remote_port : conn.local_port},
        metrics_(metrics),
        self_(self) {}

  void on_operation(const PgOperation& operation) override {
    const double seconds = static_cast<double>(operation.end_ns - operation.start_ns) / 1e9;
    metrics_.observe(series(operation), seconds);
  }
  void on_anomaly(PgAnomaly anomaly, uint64_t n) override {
    self_.parse_error(kProtocolLabel, std::string(anomaly_name(anomaly)), n);
  }
  void on_not_measured(NotMeasured why, uint64_t n) override {
    self_.request_not_measured(
        kProtocolLabel, why == NotMeasured::kNotCaptured ? kNotCaptured : kResponseNotSeen, n);
  }

 private:
  // Successful operations of a connection use a handful of names: cache them here, the
  // rest goes through the shared series map.
  const PostgresMetrics::Series& series(const PgOperation& operation) {
    if (!operation.error_type.empty()) {
      return metrics_.series(endpoint_, op_name(operation.op), operation.error_type);
    }
    for (const auto& [op, series] : ok_series_) {
      if (op == operation.op) return *series;
    }
    const PostgresMetrics::Series& series = metrics_.series(endpoint_, op_name(operation.op), "");
    ok_series_.emplace_back(operation.op, &series);
    return series;
  }

  DbEndpoint endpoint_;
  PostgresMetrics& metrics_;
  SelfMetrics& self_;
  std::vector<std::pair<OpId, const PostgresMetrics::Series*>> ok_series_;
};

class PostgresHandler : public protocols::ProtocolHandler {
 public:
  explicit PostgresHandler(const protocols::ProtocolContext& context)
      : self_(context.self),
        metrics_(context.registry, context.config.server_port_limit, context.self) {}
  std::unique_ptr<protocols::Conversation> open(const protocols::ConnectionInfo& conn) override {
    return std::make_unique<PgConversation>(conn.role,
                                            std::make_unique<MetricsSink>(conn, metrics_, self_));
  }
  void forget_service(const ServiceIdentity& service) override { metrics_.forget_service(service); }

 private:
  SelfMetrics& self_;
  PostgresMetrics metrics_;
};

constexpr std::string_view kNotMeasured[] = {kNotCaptured, kResponseNotSeen};
constexpr std::string_view kFamilies[] = {"db_client_operation_duration_seconds",
                                          "db_server_operation_duration_seconds"};

}  // namespace

std::unique_ptr<protocols::ProtocolHandler> make_postgres_handler(
    const protocols::ProtocolContext& context) {
  return std::make_unique<PostgresHandler>(context);
}

const protocols::ProtocolDescriptor& descriptor() {
  static constexpr protocols::ProtocolDescriptor kDescriptor{
      kProtocolLabel, REDEYE_PROTO_POSTGRES, kPgAnomalyNames, kNotMeasured,
      kFamilies,      &make_postgres_handler};
  return kDescriptor;
}

}  // namespace redeye::postgres
