// HTTP client RED metrics (OpenTelemetry http.client.*): outgoing calls of followed processes,
// labelled by the server they called.
#pragma once

#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>
#include <unordered_map>

#include "discovery/service_registry.h"
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
  explicit HttpClientMetrics(prometheus::Registry& registry);
  void record(const ClientIdentity& client, const http::HttpExchange& exchange);

 private:
  struct Series {
    prometheus::Histogram* duration;
    prometheus::Histogram* request_body;
    prometheus::Histogram* response_body;
  };
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Histogram>& request_body_;
  prometheus::Family<prometheus::Histogram>& response_body_;
  std::unordered_map<std::string, Series> series_;
};

}  // namespace redeye
