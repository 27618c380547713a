#include "protocols/http2/http2_protocol.h"

#include <string>
#include <tuple>
#include <vector>

#include "config/config.h"
#include "discovery/service_info.h"
#include "metrics/self_metrics.h"
#include "protocols/http2/h2_conversation.h"
#include "protocols/http2/http2_metrics.h"
#include "redeye/abi.h"

namespace redeye::http2 {
namespace {

constexpr const char* kProtocolLabel = "http2";

// Routes one connection's calls to the metrics, with the connection's identity.
class MetricsSink : public Http2EventSink {
 public:
  MetricsSink(const protocols::ConnectionInfo& conn, Http2Metrics& metrics, SelfMetrics& self)
      : endpoint_{conn.service, conn.role == protocols::Role::kClient,
                  conn.role == protocols::Role::kClient ? conn.remote_address : std::string(),
                  conn.role == protocols::Role::kClient ? conn.remote_port : conn.local_port},
        metrics_(metrics),
        self_(self) {}

  void on_call(const GrpcCall& call) override { metrics_.record(target(call), call); }
  void on_anomaly(H2Anomaly anomaly, uint64_t n) override {
    self_.parse_error(kProtocolLabel, std::string(anomaly_name(anomaly)), n);
  }
  void on_not_measured(H2NotMeasured why, uint64_t n) override {
    self_.request_not_measured(kProtocolLabel, std::string(not_measured_name(why)), n);
  }

 private:
  // A connection's calls use a few methods and statuses: their targets are kept here (valid
  // while the connection lives: forget_service comes only once it is closed).
  static constexpr size_t kCachedTargets = 8;
  Http2Metrics::Target target(const GrpcCall& call) {
    for (const auto& [method, status, t] : cache_) {
      if (method == call.method && status == call.status) return t;
    }
    const Http2Metrics::Target t = metrics_.target(endpoint_, call.method, call.status);
    if (cache_.size() < kCachedTargets) {
      cache_.emplace_back(std::string(call.method), std::string(call.status), t);
    }
    return t;
  }

  RpcEndpoint endpoint_;
  Http2Metrics& metrics_;
  SelfMetrics& self_;
  std::vector<std::tuple<std::string, std::string, Http2Metrics::Target>> cache_;
};

class Http2Handler : public protocols::ProtocolHandler {
 public:
  explicit Http2Handler(const protocols::ProtocolContext& context)
      : self_(context.self),
        metrics_(context.registry, context.config.route_limit, context.config.server_port_limit,
                 context.self) {}
  std::unique_ptr<protocols::Conversation> open(const protocols::ConnectionInfo& conn) override {
    return std::make_unique<Http2Conversation>(
        conn.role, std::make_unique<MetricsSink>(conn, metrics_, self_));
  }
  void forget_service(const ServiceIdentity& service) override { metrics_.forget_service(service); }

 private:
  SelfMetrics& self_;
  Http2Metrics metrics_;
};

constexpr std::string_view kFamilies[] = {
    "rpc_server_call_duration_seconds", "rpc_server_requests_per_rpc",
    "rpc_server_responses_per_rpc",     "rpc_client_call_duration_seconds",
    "rpc_client_requests_per_rpc",      "rpc_client_responses_per_rpc",
    "redeye_http2_unresolved_total",    "redeye_rpc_method_overflow_total",
};

}  // namespace

std::unique_ptr<protocols::ProtocolHandler> make_http2_handler(
    const protocols::ProtocolContext& context) {
  return std::make_unique<Http2Handler>(context);
}

const protocols::ProtocolDescriptor& descriptor() {
  static constexpr protocols::ProtocolDescriptor kDescriptor{kProtocolLabel,  REDEYE_PROTO_HTTP2,
                                                             kH2AnomalyNames, kH2NotMeasuredNames,
                                                             kFamilies,       &make_http2_handler};
  return kDescriptor;
}

}  // namespace redeye::http2
