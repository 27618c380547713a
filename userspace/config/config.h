// Everything the agent can be told (YAML, REDEYE_* environment variables, command line), parsed
// once and passed down by value. The scalar keys' names, variables, docs and ranges are in
// config_keys.cpp: a new key is a field here and a row there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace redeye {

// config io_hooks: which kernel hooks see socket reads and writes.
enum class IoHooksSetting : uint8_t { kAuto, kSocket, kSyscalls };
// config discovery.connection_counts: where process_open_tcp_connections comes from.
enum class ConnectionCountsSetting : uint8_t { kAuto, kIterator, kProc };
// The configuration's spelling of each value ("auto", "socket", ...), from the key table.
std::string_view to_string(IoHooksSetting setting);
std::string_view to_string(ConnectionCountsSetting setting);

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;  // inclusive; == first for a single port
};

// Selects processes. Every field that is set must match (AND); an empty selector matches
// nothing.
struct ProcessSelector {
  std::string exe;               // glob (fnmatch) on the executable's full path
  std::string cmdline;           // RE2 regex, searched in the command line joined by spaces
  std::vector<PortRange> ports;  // the process holds a listening TCP socket in one of these
  std::optional<uint32_t> pid;
  std::string cgroup;        // glob on the process's cgroup path
  std::string container_id;  // full id or a prefix of at least 12 hex characters
};

// Bounds of services[].users.top_k, and the shortest users hash key.
inline constexpr uint32_t kMaxUsersTopK = 1000;
inline constexpr std::size_t kMinUsersHashKeyBytes = 16;

// Per-user request counting of one service (docs/CONFIGURATION.md, services[].users).
struct UserTracking {
  // Where a request's user comes from: "header", "jwt_sub", "basic_user" or "client_address";
  // empty = per-user tracking is off.
  std::string identity;
  // identity "header": the header holding the user id (required), e.g. X-User-Id.
  // identity "jwt_sub": the header holding the token (empty: Authorization).
  std::string header;
  uint32_t top_k = 20;            // users exported with their own series; the rest are "other"
  bool clear_identities = false;  // export identities as they are instead of keyed hashes
  // Payload prefix the kernel copies per syscall, if this service needs more than the global
  // capture_bytes (0: not set). The largest such value raises the global one at start.
  uint32_t capture_bytes = 0;
  uint32_t distinct_interval_ms = 60000;  // window of the distinct-users estimate

  bool enabled() const { return !identity.empty(); }
};

struct ServiceRule {
  std::string name;
  std::string service_namespace;  // optional
  ProcessSelector match;
  std::vector<std::string> routes;         // explicit http_route patterns: "/orders/{id}"
  std::vector<std::string> storage_paths;  // directories whose size is reported
  UserTracking users;                      // per-user request counting, off by default
};

struct DiscoveryConfig {
  // Unmatched processes holding a listening TCP socket become services, named by the default
  // naming order (OTEL_SERVICE_NAME, systemd unit, container, executable).
  bool listening_processes = true;
  uint32_t use_interval_ms = 5000;        // how often USE metrics are read from /proc and cgroups
  uint32_t storage_interval_ms = 60000;   // how often storage_paths are walked
  uint32_t storage_max_entries = 100000;  // a walk stops (and says so) after this many entries
  // How process_open_tcp_connections is counted: iterator (a BPF iterator over each
  // service's sockets, Linux 6.1+), proc (/proc/<pid>/net/tcp{,6}: walks the kernel's whole
  // socket hash per network namespace per round) or auto (iterator when the kernel can).
  ConnectionCountsSetting connection_counts = ConnectionCountsSetting::kAuto;
};

// The metrics endpoint's transport and access control.
struct WebConfig {
  std::string tls_cert_file;             // PEM certificate (chain); set -> HTTPS
  std::string tls_key_file;              // PEM private key (may be inside tls_cert_file)
  std::string basic_auth_username;       // set with the password file -> /metrics needs auth
  std::string basic_auth_password_file;  // file holding the password
};

struct Config {
  // Where /metrics is served: "HOST:PORT" (":PORT" means every address).
  std::string listen = "0.0.0.0:9464";
  std::string log_level = "info";
  // Payload prefix the kernel copies per syscall on every classified connection (HTTP,
  // PostgreSQL, AMQP), 1..8192. Larger captures more of big request heads, messages and
  // pipelined bursts at more CPU per event.
  uint32_t capture_bytes = 4096;
  // Connections tracked at once, in the kernel (LRU) and in userspace.
  uint32_t max_connections = 65536;
  // Distinct http_route values per service before the rest fold into "_OTHER".
  uint32_t route_limit = 100;
  // Distinct server_port values per service (HTTP server and client, PostgreSQL server and
  // client) before the rest fold into "_OTHER".
  uint32_t server_port_limit = 16;
  // The series of a service without processes or connections are dropped after this long
  // (and at least one scrape since it went); 0 keeps them for ever.
  uint32_t series_expiry_ms = 5 * 60 * 1000;
  // Ring buffer size in bytes (power of two, >= 1 page).
  uint32_t ring_buffer_bytes = 8 * 1024 * 1024;
  // Which kernel hooks see socket reads/writes: socket (the sock_send_length /
  // sock_recv_length tracepoints: socket I/O only, cheapest), syscalls (syscall tracepoints
  // on read/write/... of every process, any kernel), or auto (socket when the kernel has
  // them, else syscalls).
  IoHooksSetting io_hooks = IoHooksSetting::kAuto;
  // Benchmark floor: attach the same probes with programs that return at once.
  bool empty_probes = false;
  // Follow every process (but redeye) instead of only discovered services. Not in the YAML
  // schema: set by the benchmark and tests that measure the probes' worst case.
  bool follow_all_processes = false;

  // Key of the keyed hash (HMAC-SHA256) that turns user identities into label values.
  // users_hash_key_file names a file holding it; the loader reads it into users_hash_key
  // (REDEYE_USERS_HASH_KEY sets users_hash_key directly and wins). Both empty: a random key
  // is generated at start, so hashed user labels change at every restart.
  std::string users_hash_key_file;
  std::string users_hash_key;  // secret: never logged nor shown in messages

  DiscoveryConfig discovery;
  WebConfig web;
  std::vector<ServiceRule> services;     // first match wins
  std::vector<ProcessSelector> exclude;  // never services, never followed
};

// Returns an empty string when valid, else one line naming the key, the problem and a valid
// example value.
std::string validate(const Config& config);

// The capture limit the kernel is loaded with: capture_bytes, raised to the largest
// services[].users.capture_bytes of a rule that tracks users.
uint32_t effective_capture_bytes(const Config& config);

// "HOST:PORT" / ":PORT" -> the form the HTTP server takes ("HOST:PORT", "0.0.0.0:PORT").
std::string normalize_listen_address(const std::string& listen);

}  // namespace redeye
