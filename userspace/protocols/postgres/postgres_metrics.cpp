#include "protocols/postgres/postgres_metrics.h"

#include "metrics/service_labels.h"

namespace redeye::postgres {
namespace {

// Seconds; the boundaries OpenTelemetry recommends for db.client.operation.duration.
const metrics::Histogram::BucketBoundaries kDurationBuckets = {0.001, 0.005, 0.01, 0.05, 0.1,
                                                               0.5,   1,     5,    10};

}  // namespace

PostgresMetrics::PostgresMetrics(metrics::Registry& registry, uint32_t port_limit,
                                 SelfMetrics& self)
    : port_overflows_(self.server_port_overflows("postgresql")),
      client_ports_(port_limit),
      server_ports_(port_limit),
      client_(registry.histogram_family(
          "db_client_operation_duration_seconds",
          "Duration of database operations seen from the client: from the write "
          "of the request (Query, Execute) to the read of its completion "
          "(CommandComplete, ErrorResponse).")),
      server_(registry.histogram_family(
          "db_server_operation_duration_seconds",
          "Duration of database operations seen from the database server: from "
          "the read of the request to the write of its completion.")) {}

const PostgresMetrics::Series& PostgresMetrics::series(const DbEndpoint& endpoint,
                                                       std::string_view operation,
                                                       std::string_view error_type) {
  const std::string port = std::to_string(endpoint.server_port);
  std::string key = series_key(
      endpoint.service,
      {endpoint.client ? "c" : "s", endpoint.server_address, port, operation, error_type});
  auto it = series_.find(key);
  if (it == series_.end()) {
    prometheus::Labels labels = service_labels(endpoint.service);
    labels.emplace("db_system_name", "postgresql");
    labels.emplace("db_operation_name", std::string(operation));
    labels.emplace("error_type", std::string(error_type));
    auto& ports = endpoint.client ? client_ports_ : server_ports_;
    auto port_label = ports.label(identity_of(endpoint.service), endpoint.server_port);
    labels.emplace("server_port", port_label.value);
    if (endpoint.client) labels.emplace("server_address", endpoint.server_address);
    auto& family = endpoint.client ? client_ : server_;
    const Series created{&family.Add(labels, kDurationBuckets), port_label.overflowed};
    it = series_.emplace(std::move(key), created).first;
  }
  return it->second;
}

void PostgresMetrics::observe(const Series& series, double seconds) {
  series.histogram->Observe(seconds);
  if (series.port_overflowed) port_overflows_.fetch_add(1, std::memory_order_relaxed);
}

void PostgresMetrics::forget_service(const ServiceIdentity& service) {
  erase_service_keys(series_, service);
  client_ports_.forget(service);
  server_ports_.forget(service);
}

}  // namespace redeye::postgres
