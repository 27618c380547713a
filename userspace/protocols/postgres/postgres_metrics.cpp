#include "protocols/postgres/postgres_metrics.h"

namespace redeye::postgres {
namespace {

// Seconds; the boundaries OpenTelemetry recommends for db.client.operation.duration.
const prometheus::Histogram::BucketBoundaries kDurationBuckets = {0.001, 0.005, 0.01, 0.05, 0.1,
                                                                  0.5,   1,     5,    10};

void append_key(std::string& key, std::string_view part) {
  key.append(part);
  key.push_back('\0');
}

}  // namespace

PostgresMetrics::PostgresMetrics(prometheus::Registry& registry)
    : client_(prometheus::BuildHistogram()
                  .Name("db_client_operation_duration_seconds")
                  .Help("Duration of database operations seen from the client: from the write "
                        "of the request (Query, Execute) to the read of its completion "
                        "(CommandComplete, ErrorResponse).")
                  .Register(registry)),
      server_(prometheus::BuildHistogram()
                  .Name("db_server_operation_duration_seconds")
                  .Help("Duration of database operations seen from the database server: from "
                        "the read of the request to the write of its completion.")
                  .Register(registry)) {}

prometheus::Histogram& PostgresMetrics::series(const DbEndpoint& endpoint,
                                               std::string_view operation,
                                               std::string_view error_type) {
  const std::string port = std::to_string(endpoint.server_port);
  std::string key;
  key.push_back(endpoint.client ? 'c' : 's');
  for (std::string_view part :
       {std::string_view(endpoint.service.name),
        std::string_view(endpoint.service.service_namespace),
        std::string_view(endpoint.service.instance_id), std::string_view(endpoint.server_address),
        std::string_view(port), operation, error_type}) {
    append_key(key, part);
  }
  auto it = series_.find(key);
  if (it == series_.end()) {
    prometheus::Labels labels = {{"service_name", endpoint.service.name},
                                 {"service_namespace", endpoint.service.service_namespace},
                                 {"service_instance_id", endpoint.service.instance_id},
                                 {"db_system_name", "postgresql"},
                                 {"db_operation_name", std::string(operation)},
                                 {"error_type", std::string(error_type)},
                                 {"server_port", port}};
    if (endpoint.client) labels.emplace("server_address", endpoint.server_address);
    auto& family = endpoint.client ? client_ : server_;
    it = series_.emplace(std::move(key), &family.Add(labels, kDurationBuckets)).first;
  }
  return *it->second;
}

}  // namespace redeye::postgres
