#include "conn/connection_table.h"

#include <cstring>
#include <optional>
#include <vector>

namespace redeye {

struct ConnectionTable::Connection {
  uint32_t tgid = 0;
  uint32_t fd = 0;
  uint16_t local_port = 0;
  std::shared_ptr<const ServiceInfo> service;
  // Created on the first HTTP server bytes; most connections never need one.
  std::optional<http::HttpServerConversation> http;
};

// Routes one connection's parser output to the metrics, with the connection's identity.
class ConnectionTable::HttpSink : public http::HttpEventSink {
 public:
  HttpSink(const Connection& conn, HttpServerMetrics& metrics, SelfMetrics& self)
      : server_{*conn.service, conn.local_port}, metrics_(metrics), self_(self) {}
  void on_request_started(const http::HttpRequestHead& head) override {
    metrics_.request_started(server_, head.method);
  }
  void on_exchange(const http::HttpExchange& exchange) override {
    metrics_.request_ended(server_, exchange.request.method);
    metrics_.record(server_, exchange);
  }
  void on_request_abandoned(const http::HttpRequestHead& head) override {
    metrics_.request_ended(server_, head.method);
  }
  void on_anomaly(http::HttpAnomaly anomaly) override { self_.http_anomaly(anomaly); }

 private:
  ServerIdentity server_;
  HttpServerMetrics& metrics_;
  SelfMetrics& self_;
};

ConnectionTable::ConnectionTable(size_t max_connections, ServiceRegistry& services,
                                 HttpServerMetrics& http, SelfMetrics& self)
    : max_connections_(max_connections), services_(services), http_(http), self_(self) {}

ConnectionTable::~ConnectionTable() = default;

void ConnectionTable::on_open(const redeye_conn_open_event& ev) {
  const uint64_t key = fd_key(ev.hdr.tgid, ev.hdr.fd);
  // The kernel only opens a new id for a (tgid, fd) whose old connection ended unseen (fd
  // reuse, LRU eviction): retire the old one.
  if (auto it = by_fd_.find(key); it != by_fd_.end()) erase(it->second, ev.hdr.ts_ns);
  if (connections_.size() >= max_connections_) {
    self_.dropped(UserDrop::kConnectionTableFull);
    return;
  }
  auto conn = std::make_unique<Connection>();
  conn->tgid = ev.hdr.tgid;
  conn->fd = ev.hdr.fd;
  conn->local_port = ev.local_port;
  const size_t comm_len = strnlen(ev.comm, sizeof(ev.comm));
  conn->service = services_.service_or_adhoc(ev.hdr.tgid, std::string_view(ev.comm, comm_len));
  connections_[ev.hdr.conn_id] = std::move(conn);
  by_fd_[key] = ev.hdr.conn_id;
  per_process_[ev.hdr.tgid]++;
  self_.set_connections_tracked(connections_.size());
}

void ConnectionTable::on_data(const redeye_data_event& ev, std::span<const uint8_t> payload) {
  auto it = connections_.find(ev.hdr.conn_id);
  if (it == connections_.end()) {
    self_.dropped(UserDrop::kUnknownConnection);
    return;
  }
  Connection& conn = *it->second;
  if (ev.protocol != REDEYE_PROTO_HTTP1 || ev.role != REDEYE_ROLE_SERVER) return;
  if (!conn.http) conn.http.emplace();
  HttpSink sink(conn, http_, self_);
  const uint64_t uncaptured = ev.total_len - ev.captured_len;
  if (ev.direction == REDEYE_DIR_INBOUND) {
    conn.http->on_inbound(payload, uncaptured, ev.hdr.ts_ns, sink);
  } else {
    conn.http->on_outbound(payload, uncaptured, ev.hdr.ts_ns, sink);
  }
}

void ConnectionTable::on_close(const redeye_conn_close_event& ev) {
  erase(ev.hdr.conn_id, ev.hdr.ts_ns);
}

void ConnectionTable::on_process_exit(uint32_t tgid, uint64_t ts_ns) {
  // Most exiting processes (shells, short jobs) hold no connection: skip the scan.
  if (!per_process_.contains(tgid)) return;
  std::vector<uint64_t> ids;
  for (const auto& [id, conn] : connections_) {
    if (conn->tgid == tgid) ids.push_back(id);
  }
  for (uint64_t id : ids) erase(id, ts_ns);
}

void ConnectionTable::erase(uint64_t conn_id, uint64_t ts_ns) {
  auto it = connections_.find(conn_id);
  if (it == connections_.end()) return;
  Connection& conn = *it->second;
  if (conn.http) {
    HttpSink sink(conn, http_, self_);
    conn.http->on_close(ts_ns, sink);
  }
  if (auto fd_it = by_fd_.find(fd_key(conn.tgid, conn.fd));
      fd_it != by_fd_.end() && fd_it->second == conn_id) {
    by_fd_.erase(fd_it);
  }
  if (auto count = per_process_.find(conn.tgid); count != per_process_.end() && --count->second == 0) {
    per_process_.erase(count);
  }
  connections_.erase(it);
  self_.set_connections_tracked(connections_.size());
}

}  // namespace redeye
