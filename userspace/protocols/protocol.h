// The contract between the connection table and a protocol. Each protocol is one folder
// (userspace/protocols/<name>/, one CMake target through redeye_add_protocol) with the same
// parts: frame decoder, a Conversation per connection, metrics, a ProtocolHandler and its
// ProtocolDescriptor, the one row it adds to the table in registry.cpp. docs/DESIGN.md,
// "Adding a protocol", lists every step.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
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

// Where a chunk's bytes were seen: the socket I/O hooks (what went over the wire), or a TLS
// library's plaintext side (uprobes on SSL_read/SSL_write and the like).
enum class ByteSource : uint8_t { kSocket, kTlsPlaintext };

// The bytes one read or write moved, from one byte source: a captured prefix, then
// `uncaptured` bytes the kernel did not copy (capture_bytes, sendfile). A parser that needs
// framing in the uncaptured part resynchronises and counts why.
struct Chunk {
  std::span<const uint8_t> captured;
  uint64_t uncaptured = 0;
  uint64_t ts_ns = 0;
  // Messages the kernel counted in the uncaptured bytes (redeye_data_event.hidden_messages:
  // PostgreSQL completions in the backend stream), 0 where it does not frame.
  uint32_t hidden_messages = 0;
  ByteSource source = ByteSource::kSocket;
};

// Who is talking: fixed for a connection's lifetime.
struct ConnectionInfo {
  const ServiceInfo& service;
  Role role;
  uint16_t local_port = 0;
  uint16_t remote_port = 0;
  std::string remote_address;  // textual IPv4/IPv6
};

// One connection in one protocol, seen from the followed process: every protocol's parser
// implements this directly, constructed with its role and the sink its events go to. Inbound
// = the process read the bytes, outbound = it wrote them. Implementations are pure functions
// of the chunks they get (no I/O, no clocks) and bounded in memory.
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

// One protocol's row in the table: everything the shared layers know of it.
struct ProtocolDescriptor {
  const char* name;   // the `protocol` label value of redeye_* self-metrics
  uint8_t kernel_id;  // enum redeye_protocol: what the kernel's classifier reports
  // redeye_parse_errors_total{protocol, kind} kinds and redeye_requests_not_measured_total
  // {protocol, reason} reasons: shown at zero from the start, so alerts can rely on them.
  std::span<const std::string_view> anomalies;
  std::span<const std::string_view> not_measured;
  // The metric families its handler exports (docs/METRICS.md documents each).
  std::span<const std::string_view> metric_families;
  std::unique_ptr<ProtocolHandler> (*create)(const ProtocolContext& context);
};

// The table (registry.cpp), in the order handlers are created.
std::span<const ProtocolDescriptor* const> registered_protocols();

// The descriptor of the protocol the kernel calls `kernel_id`; nullptr when none.
const ProtocolDescriptor* find_protocol(uint8_t kernel_id);

// Every registered protocol's handler, created with `context`, its descriptor's self-metric
// series declared at zero.
struct ProtocolHandlers {
  std::vector<std::unique_ptr<ProtocolHandler>> owned;
  std::map<uint8_t, ProtocolHandler*> by_kernel_id;
  std::vector<ProtocolHandler*> all() const;
};
ProtocolHandlers create_handlers(const ProtocolContext& context);

}  // namespace protocols
}  // namespace redeye
