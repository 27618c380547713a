#include "conn/connection_table.h"

#include <arpa/inet.h>

#include <cstring>
#include <optional>
#include <vector>

#include "bpf/event_decoder.h"

namespace redeye {

struct ConnectionTable::Connection {
  uint32_t tgid = 0;
  uint64_t sock = 0;
  uint16_t local_port = 0;
  uint16_t remote_port = 0;
  std::string remote_address;
  std::shared_ptr<const ServiceInfo> service;
  // Opened on the first bytes of a classified protocol; most connections never need one.
  std::unique_ptr<protocols::Conversation> conversation;
  bool conversation_tried = false;
};

namespace {

std::string address_text(uint16_t family, const uint8_t* addr) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == REDEYE_AF_INET6 ? AF_INET6 : AF_INET, addr, text, sizeof(text));
  return text;
}

const char* protocol_name(uint8_t kernel_id) {
  const protocols::ProtocolDescriptor* protocol = protocols::find_protocol(kernel_id);
  return protocol ? protocol->name : "unknown";
}

}  // namespace

ConnectionTable::ConnectionTable(size_t max_connections, ServiceRegistry& services,
                                 std::map<uint8_t, protocols::ProtocolHandler*> handlers,
                                 SelfMetrics& self, bool follow_all)
    : max_connections_(max_connections),
      services_(services),
      handlers_(std::move(handlers)),
      self_(self),
      follow_all_(follow_all) {}

ConnectionTable::~ConnectionTable() = default;

void ConnectionTable::on_open(const redeye_conn_open_event& ev) {
  // A sock holds one connection at a time: a new id for a sock we track means the kernel lost
  // the old entry (LRU eviction) and found the sock again. Retire the old one.
  if (auto it = by_sock_.find(ev.sock); it != by_sock_.end()) erase(it->second, ev.hdr.ts_ns);
  const size_t comm_len = strnlen(ev.comm, sizeof(ev.comm));
  auto service = follow_all_
                     ? services_.service_or_adhoc(ev.hdr.tgid, std::string_view(ev.comm, comm_len))
                     : services_.service_of(ev.hdr.tgid);
  if (!service) return;  // not a service: followed only until discovery decided
  if (connections_.size() >= max_connections_) {
    self_.dropped(UserDrop::kConnectionTableFull);
    return;
  }
  auto conn = std::make_unique<Connection>();
  conn->tgid = ev.hdr.tgid;
  conn->sock = ev.sock;
  conn->local_port = ev.local_port;
  conn->remote_port = ev.remote_port;
  conn->remote_address = address_text(ev.family, ev.remote_addr);
  per_service_[service.get()]++;
  conn->service = std::move(service);
  connections_[ev.hdr.conn_id] = std::move(conn);
  by_sock_[ev.sock] = ev.hdr.conn_id;
  per_process_[ev.hdr.tgid]++;
  self_.set_connections_tracked(connections_.size());
}

void ConnectionTable::on_data(const redeye_data_event& ev, std::span<const uint8_t> payload,
                              std::span<const uint8_t> span_table) {
  auto it = connections_.find(ev.hdr.conn_id);
  if (it == connections_.end()) {
    // A process followed only until discovery decided it is not a service: not a loss.
    if (follow_all_ || services_.service_of(ev.hdr.tgid)) {
      self_.dropped(UserDrop::kUnknownConnection);
    }
    return;
  }
  Connection& conn = *it->second;
  if (!conn.conversation_tried) {
    conn.conversation_tried = true;
    auto handler = handlers_.find(ev.protocol);
    if (handler != handlers_.end() && ev.role != REDEYE_ROLE_UNKNOWN) {
      const protocols::ConnectionInfo info{
          *conn.service,
          ev.role == REDEYE_ROLE_SERVER ? protocols::Role::kServer : protocols::Role::kClient,
          conn.local_port, conn.remote_port, conn.remote_address};
      conn.conversation = handler->second->open(info);
      if (conn.conversation) self_.connection_classified(protocol_name(ev.protocol));
    }
  }
  if (!conn.conversation) return;
  protocols::Conversation& conversation = *conn.conversation;
  const bool inbound = ev.direction == REDEYE_DIR_INBOUND;
  auto feed = [&](std::span<const uint8_t> bytes, uint64_t uncaptured, uint32_t hidden) {
    const protocols::Chunk chunk{bytes, uncaptured, ev.hdr.ts_ns, hidden,
                                 protocols::ByteSource::kSocket};
    if (inbound) {
      conversation.on_inbound(chunk);
    } else {
      conversation.on_outbound(chunk);
    }
  };
  if (!(ev.flags & REDEYE_DATA_SPANS)) {
    feed(payload, ev.total_len - ev.captured_len, ev.hidden_messages);
    return;
  }
  const size_t spans = span_table.size() / sizeof(redeye_span);
  if (spans == 0) {
    feed({}, ev.total_len, 0);
    return;
  }
  redeye_span span = span_at(span_table, 0);
  if (span.offset > 0) feed({}, span.offset, 0);
  size_t at = 0;
  for (size_t i = 0; i < spans; ++i) {
    const redeye_span next =
        i + 1 < spans ? span_at(span_table, i + 1) : redeye_span{ev.total_len, 0};
    feed(payload.subspan(at, span.len), next.offset - (uint64_t{span.offset} + span.len), 0);
    at += span.len;
    span = next;
  }
}

void ConnectionTable::on_close(const redeye_conn_close_event& ev) {
  erase(ev.hdr.conn_id, ev.hdr.ts_ns);
}

void ConnectionTable::add_held_services(std::set<ServiceIdentity>& out) const {
  for (const auto& [service, count] : per_service_) out.insert(identity_of(*service));
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
  if (conn.conversation) conn.conversation->on_close(ts_ns);
  if (auto sock_it = by_sock_.find(conn.sock);
      sock_it != by_sock_.end() && sock_it->second == conn_id) {
    by_sock_.erase(sock_it);
  }
  if (auto count = per_process_.find(conn.tgid);
      count != per_process_.end() && --count->second == 0) {
    per_process_.erase(count);
  }
  if (auto count = per_service_.find(conn.service.get());
      count != per_service_.end() && --count->second == 0) {
    per_service_.erase(count);
  }
  connections_.erase(it);
  self_.set_connections_tracked(connections_.size());
}

}  // namespace redeye
