#include "protocols/http/http_server_metrics.h"

#include "metrics/service_labels.h"
#include "protocols/http/http_buckets.h"
#include "protocols/http/http_method.h"

namespace redeye {
using http::kBodyBuckets;
using http::kDurationBuckets;

HttpServerMetrics::HttpServerMetrics(prometheus::Registry& registry, uint32_t route_limit,
                                     SelfMetrics& self)
    : route_limit_(route_limit),
      self_(self),
      duration_(prometheus::BuildHistogram()
                    .Name("http_server_request_duration_seconds")
                    .Help("Duration of HTTP server requests: from the read of the request's first "
                          "byte to the write that completes the response.")
                    .Register(registry)),
      request_body_(prometheus::BuildHistogram()
                        .Name("http_server_request_body_size_bytes")
                        .Help("Size of HTTP server request bodies (payload bytes).")
                        .Register(registry)),
      response_body_(prometheus::BuildHistogram()
                         .Name("http_server_response_body_size_bytes")
                         .Help("Size of HTTP server response bodies (payload bytes).")
                         .Register(registry)),
      active_(prometheus::BuildGauge()
                  .Name("http_server_active_requests")
                  .Help("HTTP server requests received and not yet answered.")
                  .Register(registry)) {}

prometheus::Gauge& HttpServerMetrics::active_gauge(const ServerIdentity& server,
                                                   std::string_view method) {
  const std::string_view canonical = http::canonical_method(method);
  const std::string port = std::to_string(server.server_port);
  std::string key = series_key(server.service, {canonical, port});
  auto it = active_series_.find(key);
  if (it == active_series_.end()) {
    auto labels = service_labels(server.service);
    labels.emplace("http_request_method", std::string(canonical));
    labels.emplace("server_port", port);
    auto& gauge = active_.Add(labels);
    it = active_series_.emplace(std::move(key), &gauge).first;
  }
  return *it->second;
}

void HttpServerMetrics::request_started(const ServerIdentity& server, std::string_view method) {
  active_gauge(server, method).Increment();
}

void HttpServerMetrics::request_ended(const ServerIdentity& server, std::string_view method) {
  active_gauge(server, method).Decrement();
}

const std::string& HttpServerMetrics::route_for(const ServiceInfo& service,
                                                std::string_view target) {
  // Keyed by address: a ServiceInfo lives as long as any connection of it (shared_ptr), and
  // a service that went away and came back starts a fresh route budget.
  auto it = routes_.find(&service);
  if (it == routes_.end()) it = routes_.emplace(&service, http::RouteLimiter(route_limit_)).first;
  http::RouteLimiter& limiter = it->second;
  const size_t overflowed_before = limiter.overflowed();
  auto explicit_route = service.routes.match(target);
  const std::string& route =
      limiter.admit(explicit_route ? *explicit_route : http::normalize_route(target));
  if (limiter.overflowed() != overflowed_before) self_.route_overflowed();
  return route;
}

void HttpServerMetrics::record(const ServerIdentity& server, const http::HttpExchange& exchange) {
  const std::string_view method = http::canonical_method(exchange.request.method);
  const std::string& route = route_for(server.service, exchange.request.target);
  const std::string status = std::to_string(exchange.status_code);
  const std::string port = std::to_string(server.server_port);
  std::string key = series_key(server.service, {method, route, status, port});
  auto it = series_.find(key);
  if (it == series_.end()) {
    auto labels = service_labels(server.service);
    labels.emplace("http_request_method", std::string(method));
    labels.emplace("http_route", route);
    labels.emplace("http_response_status_code", status);
    labels.emplace("server_port", port);
    Series series{&duration_.Add(labels, kDurationBuckets), &request_body_.Add(labels, kBodyBuckets),
                  &response_body_.Add(labels, kBodyBuckets)};
    it = series_.emplace(std::move(key), series).first;
  }
  const uint64_t nanos = exchange.end_ns > exchange.start_ns ? exchange.end_ns - exchange.start_ns : 0;
  it->second.duration->Observe(static_cast<double>(nanos) / 1e9);
  it->second.request_body->Observe(static_cast<double>(exchange.request_body_bytes));
  it->second.response_body->Observe(static_cast<double>(exchange.response_body_bytes));
}

}  // namespace redeye
