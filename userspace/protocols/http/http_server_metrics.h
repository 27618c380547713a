// HTTP server RED metrics under OpenTelemetry semantic-convention names, as Prometheus exports
// them. Series are created on first use and cached per server (service instance + port), so a
// request costs no label building and no string hashing: a connection finds its Server once,
// then each request looks its series up by small integers and the interned route.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "discovery/service_info.h"
#include "metrics/port_limits.h"
#include "metrics/self_metrics.h"
#include "metrics/single_writer.h"
#include "protocols/http/http_events.h"
#include "protocols/http/http_route.h"
#include "protocols/http/route_patterns.h"

namespace redeye {

// Who served a request: the labels that come from the connection, not the bytes.
struct ServerIdentity {
  const ServiceInfo& service;
  uint16_t server_port;
};

class HttpServerMetrics {
 public:
  // `rule_routes[i]`: the explicit http_route patterns of Config::services[i], for services
  // that rule named (ServiceInfo::rule).
  HttpServerMetrics(metrics::Registry& registry, uint32_t route_limit, uint32_t port_limit,
                    SelfMetrics& self, std::vector<http::RoutePatterns> rule_routes = {});
  ~HttpServerMetrics();
  HttpServerMetrics(const HttpServerMetrics&) = delete;
  HttpServerMetrics& operator=(const HttpServerMetrics&) = delete;

  // The cached series of one server (service identity and port). A reference stays valid
  // until forget_service() of its service.
  class Server;
  Server& server(const ServerIdentity& server);

  void request_started(Server& server, std::string_view method);
  void request_ended(Server& server, std::string_view method);
  void record(Server& server, const http::HttpExchange& exchange);

  // The same, finding the server on each call.
  void request_started(const ServerIdentity& server, std::string_view method);
  void request_ended(const ServerIdentity& server, std::string_view method);
  void record(const ServerIdentity& server, const http::HttpExchange& exchange);

  // Drops every cached series pointer and budget of `service` (no connection of it is open).
  void forget_service(const ServiceIdentity& service);

 private:
  metrics::Gauge& active_gauge(Server& server, std::size_t method);
  const std::string& route_for(Server& server, std::string_view target);

  uint32_t route_limit_;
  std::vector<http::RoutePatterns> rule_routes_;
  std::atomic<uint64_t>& route_overflows_;
  std::atomic<uint64_t>& port_overflows_;
  metrics::Family<metrics::Histogram>& duration_;
  metrics::Family<metrics::Histogram>& request_body_;
  metrics::Family<metrics::Histogram>& response_body_;
  metrics::Family<metrics::Gauge>& active_;
  std::map<std::pair<ServiceIdentity, uint16_t>, std::unique_ptr<Server>> servers_;
  std::map<ServiceIdentity, http::RouteLimiter> routes_;  // per service
  metrics::ServicePortLimits ports_;
};

}  // namespace redeye
