#include "protocols/http2/http2_metrics.h"

#include "metrics/buckets.h"
#include "metrics/service_labels.h"

namespace redeye::http2 {
namespace {

// Messages per call: 1, 2, 4, ... 1024.
const metrics::Histogram::BucketBoundaries kMessageBuckets = {1,  2,   4,   8,   16,  32,
                                                              64, 128, 256, 512, 1024};

metrics::Family<metrics::Histogram>& histogram(metrics::Registry& registry, const char* name,
                                               const char* help) {
  return registry.histogram_family(name, help);
}

}  // namespace

Http2Metrics::Http2Metrics(metrics::Registry& registry, uint32_t method_limit, uint32_t port_limit,
                           SelfMetrics& self)
    : method_limit_(method_limit),
      method_overflows_(self.protocol_counter(
          "redeye_rpc_method_overflow_total",
          "gRPC calls whose rpc_method was reported as _OTHER because their service already "
          "had route_limit distinct methods.")),
      port_overflows_(self.server_port_overflows("http2")),
      unresolved_(registry.counter_family(
          "redeye_http2_unresolved_total",
          "gRPC calls reported with rpc_method or rpc_response_status_code _OTHER because the "
          "header field was not decoded (a dynamic-table reference from before the agent "
          "joined the connection, a lost header block) or is no /service/method path, by "
          "what.")),
      unresolved_method_(unresolved_.Add({{"what", "method"}})),
      unresolved_status_(unresolved_.Add({{"what", "status"}})),
      client_{histogram(registry, "rpc_client_call_duration_seconds",
                        "Duration of gRPC calls seen from the client: from the write of the "
                        "request HEADERS to the read of the response's END_STREAM."),
              histogram(registry, "rpc_client_requests_per_rpc",
                        "Request messages per gRPC call seen from the client."),
              histogram(registry, "rpc_client_responses_per_rpc",
                        "Response messages per gRPC call seen from the client."),
              metrics::ServicePortLimits(port_limit)},
      server_{histogram(registry, "rpc_server_call_duration_seconds",
                        "Duration of gRPC calls seen from the server: from the read of the "
                        "request HEADERS to the write of the response's END_STREAM."),
              histogram(registry, "rpc_server_requests_per_rpc",
                        "Request messages per gRPC call seen from the server."),
              histogram(registry, "rpc_server_responses_per_rpc",
                        "Response messages per gRPC call seen from the server."),
              metrics::ServicePortLimits(port_limit)} {}

std::string_view Http2Metrics::method_label(const ServiceIdentity& service, std::string_view method,
                                            bool& overflowed) {
  overflowed = false;
  if (method.empty()) return kOtherLabel;
  auto known = methods_.find(service);
  if (known == methods_.end())
    known = methods_.emplace(service, std::set<std::string, std::less<>>()).first;
  auto& methods = known->second;
  const auto it = methods.find(method);
  if (it != methods.end()) return *it;
  if (methods.size() >= method_limit_) {
    overflowed = true;
    return kOtherLabel;
  }
  return *methods.emplace(method).first;
}

const Http2Metrics::Series& Http2Metrics::series(const RpcEndpoint& endpoint,
                                                 std::string_view method, std::string_view status) {
  const std::string port = std::to_string(endpoint.server_port);
  std::string key = series_key(endpoint.service, {endpoint.client ? "c" : "s",
                                                  endpoint.server_address, port, method, status});
  auto it = series_.find(key);
  if (it == series_.end()) {
    Side& side = endpoint.client ? client_ : server_;
    prometheus::Labels labels = service_labels(endpoint.service);
    labels.emplace("rpc_system_name", "grpc");
    labels.emplace("rpc_method", std::string(method));
    labels.emplace("rpc_response_status_code", std::string(status));
    const auto port_label = side.ports.label(identity_of(endpoint.service), endpoint.server_port);
    labels.emplace("server_port", port_label.value);
    if (endpoint.client) labels.emplace("server_address", endpoint.server_address);
    const Series created{&side.duration.Add(labels, metrics::kDurationBuckets),
                         &side.requests.Add(labels, kMessageBuckets),
                         &side.responses.Add(labels, kMessageBuckets), port_label.overflowed};
    it = series_.emplace(std::move(key), created).first;
  }
  return it->second;
}

Http2Metrics::Target Http2Metrics::target(const RpcEndpoint& endpoint, std::string_view method,
                                          std::string_view status) {
  Target t{};
  const std::string_view method_value = method_label(endpoint.service, method, t.method_overflowed);
  t.method_unresolved = method.empty();
  t.status_unresolved = status.empty();
  t.series = &series(endpoint, method_value, status.empty() ? kOtherLabel : status);
  return t;
}

void Http2Metrics::record(const Target& t, const GrpcCall& call) {
  if (t.method_unresolved) unresolved_method_.Increment();
  if (t.status_unresolved) unresolved_status_.Increment();
  if (t.method_overflowed) method_overflows_.fetch_add(1, std::memory_order_relaxed);
  if (t.series->port_overflowed) port_overflows_.fetch_add(1, std::memory_order_relaxed);
  t.series->duration->Observe(static_cast<double>(call.end_ns - call.start_ns) / 1e9);
  if (call.requests) t.series->requests->Observe(*call.requests);
  if (call.responses) t.series->responses->Observe(*call.responses);
}

void Http2Metrics::forget_service(const ServiceIdentity& service) {
  erase_service_keys(series_, service);
  methods_.erase(service);
  client_.ports.forget(service);
  server_.ports.forget(service);
}

}  // namespace redeye::http2
