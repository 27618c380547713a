#include "protocols/http/http_protocol.h"

#include "config/config.h"
#include "discovery/service_registry.h"
#include "metrics/self_metrics.h"
#include "protocols/http/http_client_metrics.h"
#include "protocols/http/http_server_conversation.h"
#include "protocols/http/http_server_metrics.h"

namespace redeye::http {
namespace {

// Routes one connection's parser output to the metrics, with the connection's identity.
class ServerSink : public HttpEventSink {
 public:
  ServerSink(const protocols::ConnectionInfo& conn, HttpServerMetrics& metrics, SelfMetrics& self)
      : server_{conn.service, conn.local_port}, metrics_(metrics), self_(self) {}
  void on_request_started(const HttpRequestHead& head) override {
    metrics_.request_started(server_, head.method);
  }
  void on_exchange(const HttpExchange& exchange) override {
    metrics_.request_ended(server_, exchange.request.method);
    metrics_.record(server_, exchange);
  }
  void on_request_abandoned(const HttpRequestHead& head) override {
    metrics_.request_ended(server_, head.method);
  }
  void on_anomaly(HttpAnomaly anomaly) override { self_.http_anomaly(anomaly); }

 private:
  ServerIdentity server_;
  HttpServerMetrics& metrics_;
  SelfMetrics& self_;
};

class ServerConversation : public protocols::Conversation {
 public:
  ServerConversation(const protocols::ConnectionInfo& conn, HttpServerMetrics& metrics,
                     SelfMetrics& self)
      : sink_(conn, metrics, self) {}
  void on_inbound(const protocols::Chunk& c) override {
    parser_.on_inbound(c.captured, c.uncaptured, c.ts_ns, sink_);
  }
  void on_outbound(const protocols::Chunk& c) override {
    parser_.on_outbound(c.captured, c.uncaptured, c.ts_ns, sink_);
  }
  void on_close(uint64_t ts_ns) override { parser_.on_close(ts_ns, sink_); }

 private:
  ServerSink sink_;
  HttpServerConversation parser_;
};

// The calling side: exchanges go to the client metrics; active requests are a server notion.
class ClientSink : public HttpEventSink {
 public:
  ClientSink(const protocols::ConnectionInfo& conn, HttpClientMetrics& metrics, SelfMetrics& self)
      : server_address_(conn.remote_address),
        client_{conn.service, server_address_, conn.remote_port},
        metrics_(metrics),
        self_(self) {}
  void on_request_started(const HttpRequestHead&) override {}
  void on_exchange(const HttpExchange& exchange) override { metrics_.record(client_, exchange); }
  void on_request_abandoned(const HttpRequestHead&) override {}
  void on_anomaly(HttpAnomaly anomaly) override { self_.http_anomaly(anomaly); }

 private:
  std::string server_address_;
  ClientIdentity client_;
  HttpClientMetrics& metrics_;
  SelfMetrics& self_;
};

// A client writes requests and reads responses: the server-side matcher with the directions
// swapped. Start is the write of the request's first byte, end the read of the response's
// last byte.
class ClientConversation : public protocols::Conversation {
 public:
  ClientConversation(const protocols::ConnectionInfo& conn, HttpClientMetrics& metrics,
                     SelfMetrics& self)
      : sink_(conn, metrics, self) {}
  void on_inbound(const protocols::Chunk& c) override {
    parser_.on_outbound(c.captured, c.uncaptured, c.ts_ns, sink_);
  }
  void on_outbound(const protocols::Chunk& c) override {
    parser_.on_inbound(c.captured, c.uncaptured, c.ts_ns, sink_);
  }
  void on_close(uint64_t ts_ns) override { parser_.on_close(ts_ns, sink_); }

 private:
  ClientSink sink_;
  HttpServerConversation parser_;
};

class HttpHandler : public protocols::ProtocolHandler {
 public:
  explicit HttpHandler(const protocols::ProtocolContext& context)
      : self_(context.self),
        server_metrics_(context.registry, context.config.route_limit, context.self),
        client_metrics_(context.registry) {}
  std::unique_ptr<protocols::Conversation> open(const protocols::ConnectionInfo& conn) override {
    if (conn.role == protocols::Role::kClient) {
      return std::make_unique<ClientConversation>(conn, client_metrics_, self_);
    }
    return std::make_unique<ServerConversation>(conn, server_metrics_, self_);
  }

 private:
  SelfMetrics& self_;
  HttpServerMetrics server_metrics_;
  HttpClientMetrics client_metrics_;
};

}  // namespace

std::unique_ptr<protocols::ProtocolHandler> make_http_handler(
    const protocols::ProtocolContext& context) {
  return std::make_unique<HttpHandler>(context);
}

}  // namespace redeye::http
