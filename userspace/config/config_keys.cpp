#include "config/config_keys.h"

#include <charconv>

#include "config/config_loader.h"
#include "config/yaml_values.h"

namespace redeye {
namespace {

constexpr const char* kIoHooksValues[] = {"auto", "socket", "syscalls"};
constexpr const char* kConnectionCountsValues[] = {"auto", "iterator", "proc"};

bool valid_port(const std::string& text) {
  unsigned port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  return ec == std::errc() && end == text.data() + text.size() && port > 0 && port < 65536;
}

std::string check_listen(const Config& config) {
  const std::string listen = normalize_listen_address(config.listen);
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || !valid_port(listen.substr(colon + 1))) {
    return "'" + config.listen + "' is not HOST:PORT (example: 0.0.0.0:9464 or :9464)";
  }
  return "";
}

std::string check_log_level(const Config& config) {
  static const char* const kLevels[] = {"trace", "debug",    "info", "warn",
                                        "error", "critical", "off"};
  for (const char* level : kLevels) {
    if (config.log_level == level) return "";
  }
  return "'" + config.log_level +
         "' is unknown (example: info; one of trace debug info warn error)";
}

std::string check_series_expiry(const Config& config) {
  if (config.series_expiry_ms != 0 && config.series_expiry_ms < 1000) {
    return std::to_string(config.series_expiry_ms) +
           "ms is below 1s; use 0 to keep series for ever (example: 5m)";
  }
  return "";
}

std::string check_ring_buffer(const Config& config) {
  const uint32_t rb = config.ring_buffer_bytes;
  if (rb < 4096 || (rb & (rb - 1)) != 0) {
    return std::to_string(rb) + " must be a power of two >= 4096 (example: 8388608)";
  }
  return "";
}

// clang-format off
const ConfigKey kConfigKeys[] = {
    {"listen", KeyType::kString, "REDEYE_LISTEN", "\":9464\"",
     "Where /metrics is served: HOST:PORT, or :PORT for every address.",
     [](Config& c) -> void* { return &c.listen; }, {}, 0, 0, check_listen},
    {"log_level", KeyType::kString, "REDEYE_LOG_LEVEL", "info",
     "trace, debug, info, warn, error, critical or off",
     [](Config& c) -> void* { return &c.log_level; }, {}, 0, 0, check_log_level},
    {"capture_bytes", KeyType::kUint, "REDEYE_CAPTURE_BYTES", "4096",
     "Payload prefix the kernel copies per syscall on every classified connection (HTTP, PostgreSQL, AMQP), 1..8192.",
     [](Config& c) -> void* { return &c.capture_bytes; }, {}, 1, 8192},
    {"max_connections", KeyType::kUint, "REDEYE_MAX_CONNECTIONS", "65536",
     "Connections tracked at once, in the kernel and in userspace (at least 64).",
     [](Config& c) -> void* { return &c.max_connections; }, {}, 64, 0},
    {"route_limit", KeyType::kUint, "REDEYE_ROUTE_LIMIT", "100",
     "Distinct http_route values per service before the rest fold into _OTHER.",
     [](Config& c) -> void* { return &c.route_limit; }, {}, 1, 0},
    {"server_port_limit", KeyType::kUint, "REDEYE_SERVER_PORT_LIMIT", "16",
     "Distinct server_port values per service before the rest fold into _OTHER.",
     [](Config& c) -> void* { return &c.server_port_limit; }, {}, 1, 0},
    {"series_expiry", KeyType::kDuration, "REDEYE_SERIES_EXPIRY", "5m",
     "Series of a service with no process and no connection left are dropped after this long (0: kept for ever).",
     [](Config& c) -> void* { return &c.series_expiry_ms; }, {}, 0, 0, check_series_expiry},
    {"ring_buffer_bytes", KeyType::kUint, "REDEYE_RING_BUFFER_BYTES", "8388608",
     "Kernel ring buffer size: a power of two, at least 4096.",
     [](Config& c) -> void* { return &c.ring_buffer_bytes; }, {}, 0, 0, check_ring_buffer},
    {"io_hooks", KeyType::kEnum, "REDEYE_IO_HOOKS", "auto",
     "Kernel hooks for socket I/O: socket (socket tracepoints), syscalls (any kernel, costs more), auto (socket if present).",
     [](Config& c) -> void* { return &c.io_hooks; }, kIoHooksValues},
    {"users_hash_key_file", KeyType::kString, "REDEYE_USERS_HASH_KEY_FILE", "/etc/redeye/users-hash-key",
     "File holding the key that hashes user identities; empty: a random key at every start.",
     [](Config& c) -> void* { return &c.users_hash_key_file; }},
    {"discovery.listening_processes", KeyType::kBool, "REDEYE_DISCOVERY_LISTENING_PROCESSES", "true",
     "Processes with a listening TCP socket that no services rule or exclude names are services.",
     [](Config& c) -> void* { return &c.discovery.listening_processes; }},
    {"discovery.use_interval", KeyType::kDuration, "REDEYE_DISCOVERY_USE_INTERVAL", "5s",
     "How often USE metrics are read from /proc and cgroups (\"500ms\", \"5s\", \"1m\").",
     [](Config& c) -> void* { return &c.discovery.use_interval_ms; }, {}, 100, 0},
    {"discovery.storage_interval", KeyType::kDuration, "REDEYE_DISCOVERY_STORAGE_INTERVAL", "60s",
     "How often the services' storage_paths are walked.",
     [](Config& c) -> void* { return &c.discovery.storage_interval_ms; }, {}, 1000, 0},
    {"discovery.storage_max_entries", KeyType::kUint, "REDEYE_DISCOVERY_STORAGE_MAX_ENTRIES", "100000",
     "A storage walk stops, and says so, after this many entries.",
     [](Config& c) -> void* { return &c.discovery.storage_max_entries; }, {}, 1, 0},
    {"discovery.connection_counts", KeyType::kEnum, "REDEYE_DISCOVERY_CONNECTION_COUNTS", "auto",
     "Open TCP connections counted by iterator (BPF, Linux 6.1+), proc (/proc/<pid>/net/tcp) or auto.",
     [](Config& c) -> void* { return &c.discovery.connection_counts; }, kConnectionCountsValues},
    {"web.tls_cert_file", KeyType::kString, "REDEYE_WEB_TLS_CERT_FILE", "/etc/redeye/tls.crt",
     "PEM certificate (chain); set: /metrics is served over HTTPS.",
     [](Config& c) -> void* { return &c.web.tls_cert_file; }},
    {"web.tls_key_file", KeyType::kString, "REDEYE_WEB_TLS_KEY_FILE", "/etc/redeye/tls.key",
     "PEM private key; empty: it is in tls_cert_file.",
     [](Config& c) -> void* { return &c.web.tls_key_file; }},
    {"web.basic_auth_username", KeyType::kString, "REDEYE_WEB_BASIC_AUTH_USERNAME", "prometheus",
     "With basic_auth_password_file: /metrics needs HTTP basic auth (/healthz, /livez stay open).",
     [](Config& c) -> void* { return &c.web.basic_auth_username; }},
    {"web.basic_auth_password_file", KeyType::kString, "REDEYE_WEB_BASIC_AUTH_PASSWORD_FILE",
     "/etc/redeye/metrics-password", "File holding the basic auth password.",
     [](Config& c) -> void* { return &c.web.basic_auth_password_file; }},
};
// clang-format on

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string_view enum_name(std::span<const char* const> values, uint8_t index) {
  return index < values.size() ? values[index] : "?";
}

template <typename T>
T& field_of(const ConfigKey& key, Config& config) {
  return *static_cast<T*>(key.field(config));
}

template <typename T>
const T& field_of(const ConfigKey& key, const Config& config) {
  return *static_cast<const T*>(key.field(const_cast<Config&>(config)));
}

std::string leaf(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

// The rows of one section ("" for the top level, "discovery", "web") as YAML lines.
void append_section(std::string& out, const std::string& section, const Config& config) {
  const std::string indent = section.empty() ? "" : "  ";
  for (const ConfigKey& key : kConfigKeys) {
    const std::string path = key.path;
    const auto dot = path.rfind('.');
    const std::string of = dot == std::string::npos ? "" : path.substr(0, dot);
    if (of != section) continue;
    out += indent + "# " + key.doc + "\n";
    out += indent + leaf(path) + ": " + format_config_value(key, config) + "\n";
  }
}

}  // namespace

std::string format_duration_ms(uint32_t ms) {
  if (ms != 0 && ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string_view to_string(IoHooksSetting setting) {
  return enum_name(kIoHooksValues, static_cast<uint8_t>(setting));
}

std::string_view to_string(ConnectionCountsSetting setting) {
  return enum_name(kConnectionCountsValues, static_cast<uint8_t>(setting));
}

std::span<const ConfigKey> config_keys() { return kConfigKeys; }

const ConfigKey* find_config_key(std::string_view path) {
  for (const ConfigKey& key : kConfigKeys) {
    if (path == key.path) return &key;
  }
  return nullptr;
}

std::string format_config_value(const ConfigKey& key, const Config& config) {
  switch (key.type) {
    case KeyType::kBool:
      return field_of<bool>(key, config) ? "true" : "false";
    case KeyType::kUint:
      return std::to_string(field_of<uint32_t>(key, config));
    case KeyType::kDuration:
      return format_duration_ms(field_of<uint32_t>(key, config));
    case KeyType::kString:
      return quoted(field_of<std::string>(key, config));
    case KeyType::kEnum:
      return std::string(enum_name(key.values, field_of<uint8_t>(key, config)));
  }
  return "";
}

void set_config_value(const ConfigKey& key, const std::string& text, const std::string& shown_key,
                      Config& config) {
  using namespace config_yaml;
  switch (key.type) {
    case KeyType::kBool:
      field_of<bool>(key, config) = parse_bool(text, shown_key, key.example);
      return;
    case KeyType::kUint:
      field_of<uint32_t>(key, config) = parse_uint32(text, shown_key, key.example);
      return;
    case KeyType::kDuration:
      field_of<uint32_t>(key, config) = parse_duration_ms(text, shown_key, key.example);
      return;
    case KeyType::kString:
      field_of<std::string>(key, config) = text;
      return;
    case KeyType::kEnum: {
      std::string all;
      for (std::size_t i = 0; i < key.values.size(); ++i) {
        if (text == key.values[i]) {
          field_of<uint8_t>(key, config) = static_cast<uint8_t>(i);
          return;
        }
        all += std::string(i == 0 ? "" : " ") + key.values[i];
      }
      throw ConfigError(shown_key, "'" + text + "' is unknown",
                        std::string(key.example) + "; one of " + all);
    }
  }
}

std::string check_config_value(const ConfigKey& key, const Config& config) {
  const std::string path = key.path;
  if (key.check) {
    const std::string problem = key.check(config);
    return problem.empty() ? "" : path + ": " + problem;
  }
  if (key.type != KeyType::kUint && key.type != KeyType::kDuration) return "";
  const uint32_t value = field_of<uint32_t>(key, config);
  const bool duration = key.type == KeyType::kDuration;
  auto shown = [duration](uint32_t v) {
    return duration ? format_duration_ms(v) : std::to_string(v);
  };
  const std::string example = std::string(" (example: ") + key.example + ")";
  if (key.max != 0 && (value < key.min || value > key.max)) {
    return path + ": " + shown(value) + " is outside " + shown(key.min) + ".." + shown(key.max) +
           example;
  }
  if (value < key.min) {
    if (key.min == 1 && !duration) return path + ": must be at least 1" + example;
    return path + ": " + shown(value) + " is below the minimum " + shown(key.min) + example;
  }
  return "";
}

std::string generate_default_config_yaml() {
  const Config defaults;
  std::string out =
      "# redeye configuration: the built-in default, used when no --config file is given.\n"
      "# A --config file overrides only the keys it names; REDEYE_<KEY_PATH> environment\n"
      "# variables (REDEYE_LISTEN, REDEYE_DISCOVERY_USE_INTERVAL, ...) override both.\n"
      "# Generated from the key table (userspace/config/config_keys.cpp).\n"
      "# Reference: docs/CONFIGURATION.md\n\n";
  append_section(out, "", defaults);
  out += "\ndiscovery:\n";
  append_section(out, "discovery", defaults);
  out +=
      "\n# Named services; the first rule whose match fits a process wins. For example:\n"
      "#   - name: shop-api\n"
      "#     match: {exe: \"/usr/bin/python3*\", port: 8080}\n"
      "#     routes: [\"/orders/{id}\"]\n"
      "services: []\n"
      "\n# Processes that are never services. For example:\n"
      "#   - exe: /usr/sbin/sshd\n"
      "exclude: []\n"
      "\n# The metrics endpoint: TLS when tls_cert_file is set, basic auth when both basic_auth "
      "keys are.\nweb:\n";
  append_section(out, "web", defaults);
  return out;
}

}  // namespace redeye
