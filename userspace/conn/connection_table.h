// Userspace view of every followed TCP connection: who owns it (service, ports, peer) and
// the protocol conversation parsing its bytes. Fed by decoded kernel events, one thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <unordered_map>

#include "discovery/service_registry.h"
#include "metrics/self_metrics.h"
#include "protocols/protocol.h"
#include "redeye/abi.h"

namespace redeye {

class ConnectionTable {
 public:
  // `handlers` by kernel protocol id (enum redeye_protocol); absent ids are not parsed.
  // `follow_all`: every followed process is measured (named ad hoc when not a service);
  // otherwise connections of processes that are not services are ignored (the kernel follows
  // new programs briefly, until discovery has decided).
  ConnectionTable(size_t max_connections, ServiceRegistry& services,
                  std::map<uint8_t, protocols::ProtocolHandler*> handlers, SelfMetrics& self,
                  bool follow_all = false);
  ~ConnectionTable();

  void on_open(const redeye_conn_open_event& ev);
  // `payload`: the captured bytes; with REDEYE_DATA_SPANS the spans' bytes, `span_table` their
  // checked table (bpf/event_decoder.h): each span reaches the conversation as one chunk,
  // the bytes up to the next span as its uncaptured part.
  void on_data(const redeye_data_event& ev, std::span<const uint8_t> payload,
               std::span<const uint8_t> span_table = {});
  void on_close(const redeye_conn_close_event& ev);
  void on_process_exit(uint32_t tgid, uint64_t ts_ns);

  size_t size() const { return connections_.size(); }
  // Adds the identity of every service an open connection holds.
  void add_held_services(std::set<ServiceIdentity>& out) const;

 private:
  struct Connection;

  void erase(uint64_t conn_id, uint64_t ts_ns);

  size_t max_connections_;
  ServiceRegistry& services_;
  std::map<uint8_t, protocols::ProtocolHandler*> handlers_;
  SelfMetrics& self_;
  bool follow_all_;
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;  // by conn_id
  std::unordered_map<uint64_t, uint64_t> by_sock_;      // kernel sock address -> conn_id
  std::unordered_map<uint32_t, uint32_t> per_process_;  // tgid -> connections held
  // Connections per service; the connections keep the ServiceInfo alive.
  std::unordered_map<const ServiceInfo*, uint32_t> per_service_;
};

}  // namespace redeye
