// gRPC call metrics under OpenTelemetry RPC semantic-convention names, as Prometheus exports
// them: rpc_server_call_duration_seconds for the service that serves a call,
// rpc_client_call_duration_seconds for the one that makes it, and the messages per call
// (rpc_{server,client}_{requests,responses}_per_rpc). Series are created on first use and
// cached. rpc_method is bounded per service (route_limit; the rest "_OTHER", counted in
// redeye_rpc_method_overflow_total), server_port per service and side (server_port_limit).
// A call whose method or status was not decoded (late-joined connections) is labelled
// "_OTHER" and counted in redeye_http2_unresolved_total{what}.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "discovery/service_info.h"
#include "metrics/port_limits.h"
#include "metrics/self_metrics.h"
#include "metrics/single_writer.h"
#include "protocols/http2/h2_events.h"

namespace redeye::http2 {

inline constexpr std::string_view kOtherLabel = "_OTHER";

// Who took part, from the connection: for a client the server it calls (the connection's
// remote end), for a server its own port.
struct RpcEndpoint {
  const ServiceInfo& service;
  bool client;
  std::string server_address;  // client only
  uint16_t server_port;
};

class Http2Metrics {
 public:
  Http2Metrics(metrics::Registry& registry, uint32_t method_limit, uint32_t port_limit,
               SelfMetrics& self);

  struct Series {
    metrics::Histogram* duration;
    metrics::Histogram* requests;
    metrics::Histogram* responses;
    bool port_overflowed;
  };
  // Where calls of one method and status (as the conversation reported them, "" = not
  // decoded) go, and which labels were folded into _OTHER. Valid until forget_service of its
  // service, so a connection may keep it.
  struct Target {
    const Series* series;
    bool method_overflowed;  // past the service's method limit
    bool method_unresolved;
    bool status_unresolved;
  };
  Target target(const RpcEndpoint& endpoint, std::string_view method, std::string_view status);
  void record(const Target& target, const GrpcCall& call);
  void record(const RpcEndpoint& endpoint, const GrpcCall& call) {
    record(target(endpoint, call.method, call.status), call);
  }
  // Drops the cached series, method and port budgets of `service`.
  void forget_service(const ServiceIdentity& service);

 private:
  struct Side {
    metrics::Family<metrics::Histogram>& duration;
    metrics::Family<metrics::Histogram>& requests;
    metrics::Family<metrics::Histogram>& responses;
    metrics::ServicePortLimits ports;
  };
  // The rpc_method label of `method` ("" = not decoded); `overflowed` when the limit folded it.
  std::string_view method_label(const ServiceIdentity& service, std::string_view method,
                                bool& overflowed);
  const Series& series(const RpcEndpoint& endpoint, std::string_view method,
                       std::string_view status);

  uint32_t method_limit_;
  std::atomic<uint64_t>& method_overflows_;
  std::atomic<uint64_t>& port_overflows_;
  metrics::Family<metrics::Counter>& unresolved_;
  metrics::Counter& unresolved_method_;
  metrics::Counter& unresolved_status_;
  Side client_;
  Side server_;
  std::map<ServiceIdentity, std::set<std::string, std::less<>>> methods_;
  std::unordered_map<std::string, Series> series_;
};

}  // namespace redeye::http2
