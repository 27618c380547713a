// PostgreSQL operation durations under OpenTelemetry database semantic-convention names, as
// Prometheus exports them: db_client_operation_duration_seconds for services that query a
// database, db_server_operation_duration_seconds for the database's own processes. Series are
// created on first use and cached.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "discovery/service_info.h"
#include "metrics/port_limits.h"
#include "metrics/self_metrics.h"
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
  // port_limit: distinct server_port values per service and side (the rest are "_OTHER").
  PostgresMetrics(metrics::Registry& registry, uint32_t port_limit, SelfMetrics& self);

  // One operation name and error type ("" = success): its histogram, and whether its
  // server_port was folded into "_OTHER". Valid until forget_service of its service.
  struct Series {
    metrics::Histogram* histogram;
    bool port_overflowed;
  };
  const Series& series(const DbEndpoint& endpoint, std::string_view operation,
                       std::string_view error_type);
  // Records one operation of `seconds` in `series`.
  void observe(const Series& series, double seconds);

  // Drops the cached series pointers and port budgets of `service`.
  void forget_service(const ServiceIdentity& service);

 private:
  std::atomic<uint64_t>& port_overflows_;
  metrics::ServicePortLimits client_ports_;
  metrics::ServicePortLimits server_ports_;
  metrics::Family<metrics::Histogram>& client_;
  metrics::Family<metrics::Histogram>& server_;
  std::unordered_map<std::string, Series> series_;
};

}  // namespace redeye::postgres
