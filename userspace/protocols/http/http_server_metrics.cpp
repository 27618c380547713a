#include "protocols/http/http_server_metrics.h"

#include <array>
#include <functional>

#include "metrics/service_labels.h"
#include "protocols/http/http_buckets.h"
#include "protocols/http/http_method.h"

namespace redeye {
using http::kBodyBuckets;
using http::kDurationBuckets;

namespace {

struct Series {
  metrics::Histogram* duration;
  metrics::Histogram* request_body;
  metrics::Histogram* response_body;
};

// A series of one server: its route (a string interned by the server's RouteLimiter, or the
// overflow route, compared by address), status code and method label index.
struct SeriesKey {
  const std::string* route = nullptr;
  int status = 0;
  uint32_t method = 0;
  bool operator==(const SeriesKey&) const = default;
};

struct SeriesKeyHash {
  std::size_t operator()(const SeriesKey& key) const {
    const uint64_t small =
        (static_cast<uint64_t>(static_cast<uint32_t>(key.status)) << 8) | key.method;
    const uint64_t mixed =
        (reinterpret_cast<uintptr_t>(key.route) ^ (small << 40) ^ small) * 0x9e3779b97f4a7c15ull;
    return static_cast<std::size_t>(mixed ^ (mixed >> 29));
  }
};

}  // namespace

class HttpServerMetrics::Server {
 public:
  Server(const ServiceIdentity& service, metrics::ServicePortLimits::Label port,
         http::RouteLimiter& routes, const http::RoutePatterns* patterns)
      : identity(service),
        port_label(std::move(port.value)),
        port_overflowed(port.overflowed),
        routes(&routes),
        patterns(patterns) {}

  const ServiceIdentity identity;  // what the cached series are labelled with
  std::string port_label;
  bool port_overflowed;  // port_label is the overflow value
  http::RouteLimiter* routes;
  const http::RoutePatterns* patterns;  // the naming rule's explicit routes, or nullptr
  std::array<metrics::Gauge*, http::kMethodLabelCount> active{};  // by method index
  std::unordered_map<SeriesKey, Series, SeriesKeyHash> series;
  SeriesKey last_key;  // the most recently used series (keep-alive traffic repeats itself)
  Series* last_series = nullptr;
};

HttpServerMetrics::HttpServerMetrics(metrics::Registry& registry, uint32_t route_limit,
                                     uint32_t port_limit, SelfMetrics& self,
                                     std::vector<http::RoutePatterns> rule_routes)
    : route_limit_(route_limit),
      rule_routes_(std::move(rule_routes)),
      route_overflows_(self.protocol_counter(
          "redeye_http_route_overflow_total",
          "Requests whose route was folded into _OTHER by the per-service route limit.")),
      port_overflows_(self.server_port_overflows("http")),
      duration_(registry.histogram_family(
          "http_server_request_duration_seconds",
          "Duration of HTTP server requests: from the read of the request's first "
          "byte to the write that completes the response.")),
      request_body_(
          registry.histogram_family("http_server_request_body_size_bytes",
                                    "Size of HTTP server request bodies (payload bytes).")),
      response_body_(
          registry.histogram_family("http_server_response_body_size_bytes",
                                    "Size of HTTP server response bodies (payload bytes).")),
      active_(registry.gauge_family("http_server_active_requests",
                                    "HTTP server requests received and not yet answered.")),
      ports_(port_limit) {}

HttpServerMetrics::~HttpServerMetrics() = default;

HttpServerMetrics::Server& HttpServerMetrics::server(const ServerIdentity& identity) {
  const ServiceInfo& service = identity.service;
  const ServiceIdentity& labels = identity_of(service);
  auto [it, inserted] = servers_.try_emplace({labels, identity.server_port});
  if (inserted) {
    auto routes = routes_.try_emplace(labels, route_limit_).first;
    const http::RoutePatterns* patterns =
        service.rule && *service.rule < rule_routes_.size() && !rule_routes_[*service.rule].empty()
            ? &rule_routes_[*service.rule]
            : nullptr;
    it->second = std::make_unique<Server>(labels, ports_.label(labels, identity.server_port),
                                          routes->second, patterns);
  }
  return *it->second;
}

void HttpServerMetrics::forget_service(const ServiceIdentity& service) {
  std::erase_if(servers_, [&service](const auto& entry) { return entry.first.first == service; });
  routes_.erase(service);
  ports_.forget(service);
}

metrics::Gauge& HttpServerMetrics::active_gauge(Server& server, std::size_t method) {
  metrics::Gauge*& gauge = server.active[method];
  if (gauge == nullptr) {
    auto labels = service_labels(server.identity);
    labels.emplace("http_request_method", std::string(http::method_label(method)));
    labels.emplace("server_port", server.port_label);
    gauge = &active_.Add(labels);
  }
  return *gauge;
}

void HttpServerMetrics::request_started(Server& server, std::string_view method) {
  active_gauge(server, http::canonical_method_index(method)).Increment();
}

void HttpServerMetrics::request_ended(Server& server, std::string_view method) {
  active_gauge(server, http::canonical_method_index(method)).Decrement();
}

const std::string& HttpServerMetrics::route_for(Server& server, std::string_view target) {
  http::RouteLimiter& limiter = *server.routes;
  const size_t overflowed_before = limiter.overflowed();
  auto explicit_route = server.patterns ? server.patterns->match(target) : std::nullopt;
  const std::string& route =
      limiter.admit(explicit_route ? *explicit_route : http::normalize_route(target));
  if (limiter.overflowed() != overflowed_before)
    route_overflows_.fetch_add(1, std::memory_order_relaxed);
  return route;
}

void HttpServerMetrics::record(Server& server, const http::HttpExchange& exchange) {
  const std::size_t method = http::canonical_method_index(exchange.request.method);
  const std::string& route = route_for(server, exchange.request.target);
  if (server.port_overflowed) port_overflows_.fetch_add(1, std::memory_order_relaxed);
  const SeriesKey key{&route, exchange.status_code, static_cast<uint32_t>(method)};
  Series* series = server.last_series;
  if (series == nullptr || !(server.last_key == key)) {
    auto it = server.series.find(key);
    if (it == server.series.end()) {
      const std::string status = std::to_string(exchange.status_code);
      auto labels = service_labels(server.identity);
      labels.emplace("http_request_method", std::string(http::method_label(method)));
      labels.emplace("http_route", route);
      labels.emplace("http_response_status_code", status);
      labels.emplace("server_port", server.port_label);
      const Series created{&duration_.Add(labels, kDurationBuckets),
                           &request_body_.Add(labels, kBodyBuckets),
                           &response_body_.Add(labels, kBodyBuckets)};
      it = server.series.emplace(key, created).first;
    }
    series = &it->second;
    server.last_key = key;
    server.last_series = series;
  }
  const uint64_t nanos =
      exchange.end_ns > exchange.start_ns ? exchange.end_ns - exchange.start_ns : 0;
  series->duration->Observe(static_cast<double>(nanos) / 1e9);
  series->request_body->Observe(static_cast<double>(exchange.request_body_bytes));
  series->response_body->Observe(static_cast<double>(exchange.response_body_bytes));
}

void HttpServerMetrics::request_started(const ServerIdentity& identity, std::string_view method) {
  request_started(server(identity), method);
}

void HttpServerMetrics::request_ended(const ServerIdentity& identity, std::string_view method) {
  request_ended(server(identity), method);
}

void HttpServerMetrics::record(const ServerIdentity& identity, const http::HttpExchange& exchange) {
  record(server(identity), exchange);
}

}  // namespace redeye
