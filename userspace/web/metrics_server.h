// The agent's HTTP endpoint: /metrics (Prometheus text; optional basic auth), /healthz
// (readiness: 200 once the probes run, else 503 with the reason) and /livez (200 while the
// process runs). Optional TLS (OpenSSL). Started before the probes, so an agent that cannot
// run can still tell its orchestrator why.
//
// A small server of our own rather than civetweb: Debian 12's civetweb crashes on the first
// HTTPS request with OpenSSL 3 (it calls a function OpenSSL 3 removed), and an endpoint that
// answers three paths needs little: one accept thread, two workers, bounded heads, timeouts.
#pragma once

#include <prometheus/collectable.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "web/basic_auth.h"
#include "web/endpoint_request.h"
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
  // Binds and starts serving; throws ServerError with a one-line reason.
  explicit MetricsServer(const ServerOptions& options);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  void add(std::weak_ptr<prometheus::Collectable> collectable);
  void set_unready(std::string reason);
  void set_ready();
  uint16_t port() const { return port_; }

  // The response to a parsed request (pure apart from reading the collectables).
  Response respond(const std::optional<EndpointRequest>& request) const;

 private:
  void accept_loop();
  void worker_loop();
  void serve(int fd);
  std::string render() const;

  std::optional<Credentials> auth_;
  std::unique_ptr<TlsContext> tls_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;

  mutable std::mutex mutex_;  // collectables_, unready_reason_
  std::vector<std::weak_ptr<prometheus::Collectable>> collectables_;
  std::string unready_reason_ = "starting";

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<int> queue_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

// Reads the file holding the basic-auth password (trailing newline stripped). Throws
// ServerError naming the file.
std::string read_password_file(const std::string& path);

}  // namespace redeye::web
