#include "protocols/http/http_protocol.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "config/config.h"
#include "discovery/service_info.h"
#include "metrics/self_metrics.h"
#include "protocols/http/http_client_metrics.h"
#include "protocols/http/http_conversation.h"
#include "protocols/http/http_server_metrics.h"
#include "protocols/http/http_user_metrics.h"
#include "redeye/abi.h"

namespace redeye::http {
namespace {

constexpr const char* kProtocolLabel = "http";
// redeye_requests_not_measured_total{protocol="http", reason}: a response whose request was
// not seen (its bytes not captured, or sent before the agent started), a request past the
// pipelining limit, a request whose response was not seen (lost, or the connection ended).
constexpr const char* kRequestNotCaptured = "request_not_captured";
constexpr const char* kPipeliningLimit = "pipelining_limit";
constexpr const char* kResponseNotSeen = "response_not_seen";

// Anomalies that mean one request went unmeasured.
void count_anomaly(SelfMetrics& self, HttpAnomaly anomaly) {
  self.parse_error(kProtocolLabel, std::string(anomaly_name(anomaly)));
  if (anomaly == HttpAnomaly::kUnmatchedResponse) {
    self.request_not_measured(kProtocolLabel, kRequestNotCaptured);
  } else if (anomaly == HttpAnomaly::kTooManyPipelined) {
    self.request_not_measured(kProtocolLabel, kPipeliningLimit);
  }
}

// Routes one connection's parser output to the metrics, with the connection's identity.
class ServerSink : public HttpEventSink {
 public:
  // `users`: the service's per-user counting, or nullptr when it has none.
  ServerSink(const protocols::ConnectionInfo& conn, HttpServerMetrics& metrics, SelfMetrics& self,
             HttpUserMetrics::ServiceUsers* users)
      : server_(metrics.server({conn.service, conn.local_port})),
        metrics_(metrics),
        self_(self),
        users_(users),
        client_address_(users ? conn.remote_address : std::string()) {}
  void on_request_started(const HttpRequestHead& head) override {
    metrics_.request_started(server_, head.method);
  }
  void on_exchange(const HttpExchange& exchange) override {
    metrics_.request_ended(server_, exchange.request.method);
    metrics_.record(server_, exchange);
    if (users_) {
      users_->record(exchange.request.user_identity_source, client_address_, exchange.status_code);
    }
  }
  void on_request_abandoned(const HttpRequestHead& head) override {
    metrics_.request_ended(server_, head.method);
    self_.request_not_measured(kProtocolLabel, kResponseNotSeen);
  }
  void on_anomaly(HttpAnomaly anomaly) override { count_anomaly(self_, anomaly); }

 private:
  HttpServerMetrics::Server& server_;  // conn.service outlives the connection
  HttpServerMetrics& metrics_;
  SelfMetrics& self_;
  HttpUserMetrics::ServiceUsers* users_;
  std::string client_address_;
};

// The calling side: exchanges go to the client metrics; active requests are a server notion.
class ClientSink : public HttpEventSink {
 public:
  ClientSink(const protocols::ConnectionInfo& conn, HttpClientMetrics& metrics, SelfMetrics& self)
      : service_(conn.service),
        server_address_(conn.remote_address),
        server_port_(conn.remote_port),
        metrics_(metrics),
        self_(self) {}
  void on_request_started(const HttpRequestHead&) override {}
  void on_exchange(const HttpExchange& exchange) override {
    metrics_.record({service_, server_address_, server_port_}, exchange);
  }
  void on_request_abandoned(const HttpRequestHead&) override {
    self_.request_not_measured(kProtocolLabel, kResponseNotSeen);
  }
  void on_anomaly(HttpAnomaly anomaly) override { count_anomaly(self_, anomaly); }

 private:
  const ServiceInfo& service_;
  std::string server_address_;
  uint16_t server_port_;
  HttpClientMetrics& metrics_;
  SelfMetrics& self_;
};

class HttpHandler : public protocols::ProtocolHandler {
 public:
  explicit HttpHandler(const protocols::ProtocolContext& context)
      : self_(context.self),
        config_(context.config),
        server_metrics_(context.registry, context.config.route_limit,
                        context.config.server_port_limit, context.self,
                        rule_routes(context.config)),
        client_metrics_(context.registry, context.config.server_port_limit, context.self),
        users_(make_user_metrics(context)) {}
  std::unique_ptr<protocols::Conversation> open(const protocols::ConnectionInfo& conn) override {
    if (conn.role == protocols::Role::kClient) {
      return std::make_unique<HttpConversation>(
          conn.role, std::make_unique<ClientSink>(conn, client_metrics_, self_));
    }
    HttpUserMetrics::ServiceUsers* users =
        users_ ? users_->service(conn.service, user_tracking(conn.service)) : nullptr;
    return std::make_unique<HttpConversation>(
        conn.role, std::make_unique<ServerSink>(conn, server_metrics_, self_, users),
        users ? users->identity_headers() : std::vector<std::string>());
  }
  void forget_service(const ServiceIdentity& service) override {
    server_metrics_.forget_service(service);
    client_metrics_.forget_service(service);
    if (users_) users_->forget_service(service);
  }

 private:
  // The explicit http_route patterns of each services[] rule, by index.
  static std::vector<RoutePatterns> rule_routes(const Config& config) {
    std::vector<RoutePatterns> routes;
    for (const ServiceRule& rule : config.services) routes.emplace_back(rule.routes);
    return routes;
  }
  // The per-user setting of the rule that named `service`, nullptr when no rule did.
  const UserTracking* user_tracking(const ServiceInfo& service) const {
    return service.rule && *service.rule < config_.services.size()
               ? &config_.services[*service.rule].users
               : nullptr;
  }

  // Per-user counting, when a rule asks for it.
  static std::shared_ptr<HttpUserMetrics> make_user_metrics(
      const protocols::ProtocolContext& context) {
    const Config& config = context.config;
    if (std::none_of(config.services.begin(), config.services.end(),
                     [](const ServiceRule& rule) { return rule.users.enabled(); })) {
      return nullptr;
    }
    if (config.users_hash_key.empty()) {
      spdlog::info(
          "users: no users_hash_key_file: user labels are hashed with a random key and change "
          "when redeye restarts");
    }
    auto users = std::make_shared<HttpUserMetrics>(config.users_hash_key, context.self);
    if (context.add_collectable) context.add_collectable(users);
    return users;
  }

  SelfMetrics& self_;
  const Config& config_;
  HttpServerMetrics server_metrics_;
  HttpClientMetrics client_metrics_;
  std::shared_ptr<HttpUserMetrics> users_;
};

constexpr std::string_view kNotMeasured[] = {kRequestNotCaptured, kPipeliningLimit,
                                             kResponseNotSeen};
constexpr std::string_view kFamilies[] = {
    "http_server_request_duration_seconds",
    "http_server_request_body_size_bytes",
    "http_server_response_body_size_bytes",
    "http_server_active_requests",
    "http_client_request_duration_seconds",
    "http_client_request_body_size_bytes",
    "http_client_response_body_size_bytes",
    "redeye_http_server_user_requests_total",
    "redeye_http_server_user_unidentified_requests_total",
    "redeye_http_server_user_auth_failures_total",
    "redeye_http_server_distinct_users",
    "redeye_http_server_distinct_users_interval_seconds",
    "redeye_http_server_user_count_error_bound",
    "redeye_http_route_overflow_total",
};

}  // namespace

std::unique_ptr<protocols::ProtocolHandler> make_http_handler(
    const protocols::ProtocolContext& context) {
  return std::make_unique<HttpHandler>(context);
}

const protocols::ProtocolDescriptor& descriptor() {
  static constexpr protocols::ProtocolDescriptor kDescriptor{kProtocolLabel,    REDEYE_PROTO_HTTP1,
                                                             kHttpAnomalyNames, kNotMeasured,
                                                             kFamilies,         &make_http_handler};
  return kDescriptor;
}

}  // namespace redeye::http
