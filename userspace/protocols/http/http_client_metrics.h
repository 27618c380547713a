// HTTP client RED metrics (OpenTelemetry http.client.*): outgoing calls of followed processes,
// labelled by the server they called.
#pragma once

#include <string>
#include <unordered_map>

#include "discovery/service_info.h"
#include "metrics/port_limits.h"
#include "metrics/self_metrics.h"
#include "metrics/single_writer.h"
#include "protocols/http/http_events.h"

namespace redeye {

// The calling side of a connection: the labels that come from it, not from the bytes.
struct ClientIdentity {
  const ServiceInfo& service;
  const std::string& server_address;
  uint16_t server_port;
};

class HttpClientMetrics {
 public:
  // port_limit: distinct server_port values per calling service (the rest are "_OTHER").
  HttpClientMetrics(metrics::Registry& registry, uint32_t port_limit, SelfMetrics& self);
  void record(const ClientIdentity& client, const http::HttpExchange& exchange);
  // Drops the cached series pointers and port budget of `service`.
  void forget_service(const ServiceIdentity& service);

 private:
  struct Series {
    metrics::Histogram* duration;
    metrics::Histogram* request_body;
    metrics::Histogram* response_body;
    bool port_overflowed;
  };
  std::atomic<uint64_t>& port_overflows_;
  metrics::ServicePortLimits ports_;
  metrics::Family<metrics::Histogram>& duration_;
  metrics::Family<metrics::Histogram>& request_body_;
  metrics::Family<metrics::Histogram>& response_body_;
  std::unordered_map<std::string, Series> series_;
};

}  // namespace redeye
