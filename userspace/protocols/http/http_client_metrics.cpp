#include "protocols/http/http_client_metrics.h"

#include "metrics/service_labels.h"
#include "protocols/http/http_buckets.h"
#include "protocols/http/http_method.h"

namespace redeye {

HttpClientMetrics::HttpClientMetrics(metrics::Registry& registry, uint32_t port_limit,
                                     SelfMetrics& self)
    : port_overflows_(self.server_port_overflows("http")),
      ports_(port_limit),
      duration_(registry.histogram_family(
          "http_client_request_duration_seconds",
          "Duration of HTTP client requests: from the write of the request's "
          "first byte to the read that completes the response.")),
      request_body_(
          registry.histogram_family("http_client_request_body_size_bytes",
                                    "Size of HTTP client request bodies (payload bytes).")),
      response_body_(
          registry.histogram_family("http_client_response_body_size_bytes",
                                    "Size of HTTP client response bodies (payload bytes).")) {}

void HttpClientMetrics::record(const ClientIdentity& client, const http::HttpExchange& exchange) {
  const std::string_view method = http::canonical_method(exchange.request.method);
  const std::string status = std::to_string(exchange.status_code);
  const std::string port = std::to_string(client.server_port);
  std::string key = series_key(client.service, {method, status, client.server_address, port});
  auto it = series_.find(key);
  if (it == series_.end()) {
    auto labels = service_labels(client.service);
    labels.emplace("http_request_method", std::string(method));
    labels.emplace("http_response_status_code", status);
    labels.emplace("server_address", client.server_address);
    auto port_label = ports_.label(identity_of(client.service), client.server_port);
    labels.emplace("server_port", port_label.value);
    Series series{&duration_.Add(labels, http::kDurationBuckets),
                  &request_body_.Add(labels, http::kBodyBuckets),
                  &response_body_.Add(labels, http::kBodyBuckets), port_label.overflowed};
    it = series_.emplace(std::move(key), series).first;
  }
  if (it->second.port_overflowed) port_overflows_.fetch_add(1, std::memory_order_relaxed);
  const uint64_t nanos =
      exchange.end_ns > exchange.start_ns ? exchange.end_ns - exchange.start_ns : 0;
  it->second.duration->Observe(static_cast<double>(nanos) / 1e9);
  it->second.request_body->Observe(static_cast<double>(exchange.request_body_bytes));
  it->second.response_body->Observe(static_cast<double>(exchange.response_body_bytes));
}

void HttpClientMetrics::forget_service(const ServiceIdentity& service) {
  erase_service_keys(series_, service);
  ports_.forget(service);
}

}  // namespace redeye
