// The contract between the connection table and a protocol. Each protocol lives in its own
// folder with the same parts (frame decoder + boundary finder, conversation = matcher,
// metrics, a ProtocolHandler) and is listed once in registry.cpp: adding a protocol touches
// that table, its folder and its kernel inference rule (include/redeye/protocol_infer.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace prometheus {
class Collectable;
class Registry;
}  // namespace prometheus

namespace redeye {
namespace metrics {
class Registry;
}  // namespace metrics

struct Config;
struct ServiceIdentity;
struct ServiceInfo;
class SelfMetrics;

namespace protocols {

enum class Role { kClient, kServer };

// The bytes one syscall moved: a captured prefix, then `uncaptured` bytes not copied.
struct Chunk {
  std::span<const uint8_t> captured;
  uint64_t uncaptured = 0;
  uint64_t ts_ns = 0;
  // Messages the kernel counted in the uncaptured bytes (redeye_data_event.hidden_messages:
  // PostgreSQL completions in the backend stream), 0 where it does not frame.
  uint32_t hidden_messages = 0;
};

// Who is talking: fixed for a connection's lifetime.
struct ConnectionInfo {
  const ServiceInfo& service;
  Role role;
  uint16_t local_port = 0;
  uint16_t remote_port = 0;
  std::string remote_address;  // textual IPv4/IPv6
};

// One connection in one protocol, seen from the followed process. Inbound = it read the
// bytes, outbound = it wrote them. Implementations are pure functions of the bytes they get.
class Conversation {
 public:
  virtual ~Conversation() = default;
  virtual void on_inbound(const Chunk& chunk) = 0;
  virtual void on_outbound(const Chunk& chunk) = 0;
  virtual void on_close(uint64_t ts_ns) = 0;
};

// One per protocol per agent: owns the protocol's metrics and opens conversations.
class ProtocolHandler {
 public:
  virtual ~ProtocolHandler() = default;
  // nullptr when the protocol does not measure this role.
  virtual std::unique_ptr<Conversation> open(const ConnectionInfo& connection) = 0;
  // The service's series are about to be erased from the registry (it has had no process
  // and no connection for series_expiry): drop every pointer, cache entry and label budget
  // kept for it. Called on the event thread, when no conversation of the service is open.
  virtual void forget_service(const ServiceIdentity& /*service*/) {}
};

struct ProtocolContext {
  metrics::Registry& registry;
  SelfMetrics& self;
  const Config& config;
  // Serves a collectable whose samples are computed at scrape time (the registry only holds
  // counters, gauges and histograms); the protocol keeps it alive. Empty (tests): nothing is
  // served.
  std::function<void(std::weak_ptr<prometheus::Collectable>)> add_collectable = {};
};

struct ProtocolSpec {
  uint8_t kernel_id;  // enum redeye_protocol: what the kernel's classifier reports
  const char* name;   // label value in redeye_* self-metrics
  std::unique_ptr<ProtocolHandler> (*create)(const ProtocolContext& context);
};

// The table (registry.cpp).
std::span<const ProtocolSpec> registered_protocols();

}  // namespace protocols
}  // namespace redeye
