// Routes each decoded ring-buffer record to the box that owns it: connection events to the
// ConnectionTable, process events to discovery (and OOM kills to the USE collector).
#pragma once

#include <cstdint>
#include <span>

#include "bpf/event_decoder.h"
#include "conn/connection_table.h"
#include "discovery/service_registry.h"
#include "metrics/self_metrics.h"
#include "metrics/service_use_collector.h"

namespace redeye {

class EventDispatcher {
 public:
  EventDispatcher(ConnectionTable& table, ServiceRegistry& services, ServiceUseCollector& use,
                  SelfMetrics& self)
      : table_(table), services_(services), use_(use), self_(self) {}

  void dispatch(std::span<const uint8_t> record);

  void operator()(MalformedEvent);
  void operator()(const redeye_conn_open_event* ev);
  void operator()(const DataEvent& ev);
  void operator()(const redeye_conn_close_event* ev);
  void operator()(const redeye_process_event* ev);
  void operator()(const redeye_exec_event* ev);

 private:
  ConnectionTable& table_;
  ServiceRegistry& services_;
  ServiceUseCollector& use_;
  SelfMetrics& self_;
};

}  // namespace redeye
