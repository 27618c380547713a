// PostgreSQL operation durations under OpenTelemetry database semantic-convention names, as
// Prometheus exports them: db_client_operation_duration_seconds for services that query a
// database, db_server_operation_duration_seconds for the database's own processes. Series are
// created on first use and cached.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "discovery/service_registry.h"
#include "metrics/single_writer.h"

namespace redeye::postgres {

// Who took part, from the connection: for a client the database it talks to
// (server_address/server_port = the connection's remote end), for the server its own port.
struct DbEndpoint {
  const ServiceInfo& service;
  bool client;
  std::string server_address;  // client only
  uint16_t server_port;
};

class PostgresMetrics {
 public:
  explicit PostgresMetrics(metrics::Registry& registry);

  // The histogram for one operation name and error type ("" = success).
  metrics::Histogram& series(const DbEndpoint& endpoint, std::string_view operation,
                             std::string_view error_type);

 private:
  metrics::Family<metrics::Histogram>& client_;
  metrics::Family<metrics::Histogram>& server_;
  std::unordered_map<std::string, metrics::Histogram*> series_;
};

}  // namespace redeye::postgres
