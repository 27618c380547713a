// The configuration used when no file is given (`redeye default-config` prints it). Its values
// equal a default-constructed Config; a unit test holds them together.
#include "config/config_loader.h"

namespace redeye {
namespace {

constexpr const char kEmbeddedDefault[] =
    R"yaml(# redeye configuration: the built-in default, used when no --config file is given.
# A --config file overrides only the keys it names; REDEYE_<KEY_PATH> environment
# variables (REDEYE_LISTEN, REDEYE_DISCOVERY_USE_INTERVAL, ...) override both.
# Reference: docs/CONFIGURATION.md

# Where /metrics is served: HOST:PORT, or :PORT for every address.
listen: "0.0.0.0:9464"
# trace, debug, info, warn, error, critical or off
log_level: info
# Payload prefix copied per syscall on HTTP connections (1..8192).
capture_bytes: 4096
# Connections tracked at once (at least 64).
max_connections: 65536
# Distinct http_route values per service before the rest fold into _OTHER.
route_limit: 100
# Distinct server_port values per service before the rest fold into _OTHER.
server_port_limit: 16
# The series of a service with no process and no connection left are dropped after this
# long, once a scrape has seen their last values ("30s", "5m", "1h"; 0: kept for ever).
series_expiry: 5m
# Kernel ring buffer size: a power of two, at least 4096.
ring_buffer_bytes: 8388608
# Kernel hooks for socket reads/writes: socket (socket-layer tracepoints, kernels that have
# them), syscalls (syscall tracepoints, any kernel, costs more), or auto (socket if present).
io_hooks: auto

discovery:
  # Every process holding a listening TCP socket that no services rule names, and that
  # exclude does not name, is a service, named by OTEL_SERVICE_NAME, its systemd unit,
  # its container or its executable.
  listening_processes: true
  # How often USE metrics are read from /proc and cgroups ("500ms", "5s", "1m").
  use_interval: 5s
  # How often the services' storage_paths are walked.
  storage_interval: 60s
  # A storage walk stops, and says so, after this many entries.
  storage_max_entries: 100000
  # How open TCP connections are counted: iterator (a BPF iterator over each service's
  # sockets, Linux 6.1+), proc (/proc/<pid>/net/tcp), or auto (iterator when possible).
  connection_counts: auto

# Named services; the first rule whose match fits a process wins. For example:
#   - name: shop-api
#     match: {exe: "/usr/bin/python3*", port: 8080}
#     routes: ["/orders/{id}"]
services: []

# Processes that are never services. For example:
#   - exe: /usr/sbin/sshd
exclude: []

# The metrics endpoint. TLS when tls_cert_file is set (the key may be in the same PEM file);
# HTTP basic auth on /metrics when both basic_auth keys are set (/healthz, /livez stay open).
web:
  tls_cert_file: ""
  tls_key_file: ""
  basic_auth_username: ""
  basic_auth_password_file: ""
)yaml";

}  // namespace

const char* embedded_default_config_yaml() { return kEmbeddedDefault; }

}  // namespace redeye
