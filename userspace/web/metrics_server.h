// The agent's HTTP endpoint: /metrics (Prometheus text; optional basic auth), /healthz
// (readiness: 200 once the probes run, else 503 with the reason) and /livez (200 while the
// process runs). Optional TLS (OpenSSL). Started before the probes, so an agent that cannot
// run can still tell its orchestrator why.
//
// A small server of our own rather than civetweb: Debian 12's civetweb crashes on the first
// HTTPS request with OpenSSL 3 (it calls a function OpenSSL 3 removed). One event-loop thread
// (epoll, non-blocking sockets and non-blocking TLS) serves every connection, so idle or
// slow clients cannot hold up a scrape: each connection has a deadline for its TLS handshake
// and request head and one for taking the answer; the connections open at once are capped in
// total and per client address, and a cap makes room by closing the oldest connection that
// has not sent a request yet (connection_limits.h). Counted in
// redeye_metrics_endpoint_connections_closed_total{reason}.
#pragma once

#include <prometheus/collectable.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "web/basic_auth.h"
#include "web/connection_limits.h"
#include "web/endpoint_request.h"
#include "web/http_connection.h"
#include "web/tls_context.h"

namespace redeye::web {

struct ServerOptions {
  std::string listen;               // "HOST:PORT", "[::1]:PORT"
  std::string tls_cert_file;        // PEM certificate (chain); set -> HTTPS
  std::string tls_key_file;         // PEM private key; empty -> inside tls_cert_file
  std::optional<Credentials> auth;  // basic auth on /metrics
};

class ServerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  std::string extra_headers;  // each ending in "\r\n"
};

class MetricsServer {
 public:
  // Binds and starts serving; throws ServerError with a one-line reason. `limits`: the
  // connection caps and deadlines (the defaults are the agent's).
  explicit MetricsServer(const ServerOptions& options, const ConnectionPolicy& limits = {});
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  void add(std::weak_ptr<prometheus::Collectable> collectable);
  void set_unready(std::string reason);
  void set_ready();
  uint16_t port() const { return port_; }
  // The endpoint's own self-metrics (also part of every /metrics answer).
  const ConnectionStats& stats() const { return stats_; }

  // The response to a parsed request (pure apart from reading the collectables; the
  // open-connections gauge in it is as of the last answer the event loop served).
  Response respond(const std::optional<EndpointRequest>& request) const;

 private:
  void loop();
  void accept_ready(Clock::time_point now);
  void advance(ConnectionLimits::Id id, Clock::time_point now);
  void close_connection(ConnectionLimits::Id id, std::optional<CloseReason> reason);
  void watch(ConnectionLimits::Id id, HttpConnection::Wait wait);
  // The bytes for a connection of the loop (also sets the open-connections gauge).
  std::string answer(const std::optional<EndpointRequest>& request);
  std::string render() const;

  std::optional<Credentials> auth_;
  std::unique_ptr<TlsContext> tls_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: the destructor wakes the loop
  uint16_t port_ = 0;
  ConnectionStats stats_;

  mutable std::mutex mutex_;  // collectables_, unready_reason_
  std::vector<std::weak_ptr<prometheus::Collectable>> collectables_;
  std::string unready_reason_ = "starting";

  // The event loop's own (only its thread touches them).
  struct Open {
    std::unique_ptr<HttpConnection> connection;
    HttpConnection::Wait waiting;
  };
  ConnectionLimits limits_;
  std::unordered_map<ConnectionLimits::Id, Open> open_;
  ConnectionLimits::Id next_id_ = 2;  // 0 and 1 name the listening socket and the eventfd
  std::optional<Clock::time_point> accept_paused_until_;  // out of fds: retry later

  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Reads the file holding the basic-auth password (trailing newline stripped). Throws
// ServerError naming the file.
std::string read_password_file(const std::string& path);

}  // namespace redeye::web
