// HTTP server RED metrics under OpenTelemetry semantic-convention names, as Prometheus exports
// them. Series are created on first use and cached, so a request costs one hash lookup.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "discovery/service_registry.h"
#include "metrics/self_metrics.h"
#include "protocols/http/http_events.h"
#include "protocols/http/http_route.h"

namespace redeye {

// Who served a request: the labels that come from the connection, not the bytes.
struct ServerIdentity {
  const ServiceInfo& service;
  uint16_t server_port;
};

class HttpServerMetrics {
 public:
  HttpServerMetrics(prometheus::Registry& registry, uint32_t route_limit, SelfMetrics& self);

  void request_started(const ServerIdentity& server, std::string_view method);
  void request_ended(const ServerIdentity& server, std::string_view method);
  void record(const ServerIdentity& server, const http::HttpExchange& exchange);

 private:
  struct Series {
    prometheus::Histogram* duration;
    prometheus::Histogram* request_body;
    prometheus::Histogram* response_body;
  };
  prometheus::Gauge& active_gauge(const ServerIdentity& server, std::string_view method);
  const std::string& route_for(const ServiceInfo& service, std::string_view target);

  uint32_t route_limit_;
  SelfMetrics& self_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Histogram>& request_body_;
  prometheus::Family<prometheus::Histogram>& response_body_;
  prometheus::Family<prometheus::Gauge>& active_;
  std::unordered_map<std::string, Series> series_;
  std::unordered_map<std::string, prometheus::Gauge*> active_series_;
  std::unordered_map<const ServiceInfo*, http::RouteLimiter> routes_;  // per service instance
};

}  // namespace redeye
