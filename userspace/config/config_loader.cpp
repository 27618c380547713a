#include "config/config_loader.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

namespace redeye {

namespace {

// Control characters would break the one-line promise; show them escaped instead.
std::string one_line(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';
    } else {
      out += c;
    }
  }
  return out;
}

std::string key_of_line(const std::string& line) {
  const auto colon = line.find(": ");
  return colon == std::string::npos ? line : line.substr(0, colon);
}

}  // namespace

ConfigError::ConfigError(const std::string& key, const std::string& problem,
                         const std::string& example)
    : std::runtime_error(one_line(key + ": " + problem + " (example: " + example + ")")),
      key_(one_line(key)) {}

ConfigError::ConfigError(const std::string& line)
    : std::runtime_error(one_line(line)), key_(one_line(key_of_line(line))) {}

namespace {

constexpr const char* kEmbeddedSource = "<embedded default>";

[[noreturn]] void fail(const std::string& key, const std::string& problem,
                       const std::string& example) {
  throw ConfigError(key, problem, example);
}

// A user's value inside a message: quoted, and cut when long.
std::string shown(const std::string& value) {
  constexpr std::size_t kMax = 60;
  if (value.size() <= kMax) return "'" + value + "'";
  return "'" + value.substr(0, kMax) + "...'";
}

// A key known at one level of the document and an example "key: value" for it.
struct KeySpec {
  const char* name;
  const char* example;  // a valid value
};

constexpr KeySpec kTopKeys[] = {
    {"listen", "\":9464\""},
    {"log_level", "info"},
    {"capture_bytes", "4096"},
    {"max_connections", "65536"},
    {"route_limit", "100"},
    {"ring_buffer_bytes", "8388608"},
    {"discovery", "{listening_processes: true}"},
    {"services", "[{name: shop-api, match: {port: 8080}}]"},
    {"exclude", "[{exe: /usr/sbin/sshd}]"},
    {"web", "{tls_cert_file: /etc/redeye/tls.crt, tls_key_file: /etc/redeye/tls.key}"},
    {"users_hash_key_file", "/etc/redeye/users-hash-key"},
};

constexpr KeySpec kWebKeys[] = {
    {"tls_cert_file", "/etc/redeye/tls.crt"},
    {"tls_key_file", "/etc/redeye/tls.key"},
    {"basic_auth_username", "prometheus"},
    {"basic_auth_password_file", "/etc/redeye/metrics-password"},
};

constexpr KeySpec kDiscoveryKeys[] = {
    {"listening_processes", "true"},
    {"use_interval", "5s"},
    {"storage_interval", "60s"},
    {"storage_max_entries", "100000"},
};

constexpr KeySpec kServiceKeys[] = {
    {"name", "shop-api"},
    {"namespace", "alexandrite"},
    {"match", "{port: 8080}"},
    {"routes", "[\"/orders/{id}\"]"},
    {"storage_paths", "[/var/lib/postgresql/15/main]"},
    {"users", "{identity: header, header: X-User-Id}"},
};

constexpr KeySpec kUsersKeys[] = {
    {"identity", "header"},        {"header", "X-User-Id"},   {"top_k", "20"},
    {"clear_identities", "false"}, {"capture_bytes", "8192"}, {"distinct_interval", "60s"},
};

constexpr KeySpec kSelectorKeys[] = {
    {"exe", "\"/usr/bin/python3*\""},
    {"cmdline", "\"gunicorn.*shop:app\""},
    {"port", "8080"},
    {"pid", "1234"},
    {"cgroup", "\"/system.slice/nginx.service\""},
    {"container_id", "4f1c2a9b8e7d"},
};

const char* example_of(std::span<const KeySpec> keys, const std::string& name) {
  for (const KeySpec& spec : keys) {
    if (name == spec.name) return spec.example;
  }
  return "";
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Edits (insert, delete, substitute, swap two neighbours) turning a into b.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

// The known key closest to an unknown one, or nullptr when none is close enough to be a typo.
const KeySpec* closest_key(std::span<const KeySpec> keys, const std::string& unknown) {
  const std::string lower = lowercase(unknown);
  const KeySpec* best = nullptr;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const KeySpec& spec : keys) {
    const std::size_t distance = edit_distance(lower, spec.name);
    if (distance < best_distance) {
      best = &spec;
      best_distance = distance;
    }
  }
  const std::size_t allowed = std::min<std::size_t>(2, std::max<std::size_t>(1, lower.size() / 3));
  return best_distance <= allowed ? best : nullptr;
}

std::string child(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string element(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

const char* kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
      return "empty";
    default:
      return "a single value";
  }
}

// Calls visit(key, value) for each entry of a mapping, after checking that every key is known
// and given once.
void for_each_entry(const YAML::Node& map, const std::string& path, std::span<const KeySpec> keys,
                    const std::function<void(const std::string&, const YAML::Node&)>& visit) {
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar()) {
      fail(path.empty() ? "(top level)" : path, "has a key that is not a plain name",
           std::string(keys.front().name) + ": " + keys.front().example);
    }
    const std::string key = it->first.Scalar();
    const std::string key_path = child(path, key);
    if (const char* example = example_of(keys, key); *example == '\0') {
      if (const KeySpec* near = closest_key(keys, key)) {
        fail(key_path, std::string("unknown key, did you mean ") + near->name + "?",
             std::string(near->name) + ": " + near->example);
      }
      std::string known;
      for (const KeySpec& spec : keys) known += std::string(known.empty() ? "" : ", ") + spec.name;
      fail(key_path, "unknown key; known here: " + known,
           std::string(keys.front().name) + ": " + keys.front().example);
    }
    if (!seen.insert(key).second) {
      fail(key_path, "is given twice in the same mapping; keep one",
           key + ": " + example_of(keys, key));
    }
    visit(key, it->second);
  }
}

std::string scalar_text(const YAML::Node& node, const std::string& key, const char* example) {
  if (node.IsNull()) fail(key, "has no value", example);
  if (!node.IsScalar()) {
    fail(key, std::string("is ") + kind_of(node) + ", expected a single value", example);
  }
  return node.Scalar();
}

std::string trimmed(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  const auto end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

bool all_digits(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0; });
}

// A decimal whole number that fits in uint64_t, or nullopt.
std::optional<uint64_t> whole_number(const std::string& text) {
  if (!all_digits(text)) return std::nullopt;
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

uint32_t parse_uint32(const std::string& raw, const std::string& key, const char* example) {
  const std::string text = trimmed(raw);
  if (text.empty()) fail(key, "has no value", example);
  if (text.front() == '-' && all_digits(text.substr(1))) {
    fail(key, shown(raw) + " is negative", example);
  }
  if (!all_digits(text)) fail(key, shown(raw) + " is not a whole number", example);
  const std::optional<uint64_t> value = whole_number(text);
  if (!value || *value > std::numeric_limits<uint32_t>::max()) {
    fail(key, shown(raw) + " is too large; at most 4294967295", example);
  }
  return static_cast<uint32_t>(*value);
}

bool parse_bool(const std::string& raw, const std::string& key, const char* example) {
  const std::string text = lowercase(trimmed(raw));
  if (text == "true" || text == "yes" || text == "on" || text == "1") return true;
  if (text == "false" || text == "no" || text == "off" || text == "0") return false;
  fail(key, shown(raw) + " is not true or false", example);
}

// "500ms", "5s", "1m", "1h" or a whole number of milliseconds.
uint32_t parse_duration_ms(const std::string& raw, const std::string& key, const char* example) {
  const std::string text = trimmed(raw);
  if (text.empty()) fail(key, "has no value", example);
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  const std::string unit = text.substr(digits);
  uint64_t scale = 0;
  if (unit.empty() || unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60 * 1000;
  } else if (unit == "h") {
    scale = 60 * 60 * 1000;
  }
  if (text.front() == '-') fail(key, shown(raw) + " is negative", example);
  if (digits == 0 || scale == 0) {
    fail(key, shown(raw) + " is not a duration: a whole number followed by ms, s, m or h", example);
  }
  const std::optional<uint64_t> count = whole_number(text.substr(0, digits));
  if (!count || *count > std::numeric_limits<uint32_t>::max() / scale) {
    fail(key, shown(raw) + " is too long; at most 49 days", example);
  }
  return static_cast<uint32_t>(*count * scale);
}

constexpr const char* kPortExample = "8080, \"8000-8100\" or [80, 443]";

uint16_t parse_port_number(const std::string& text, const std::string& raw,
                           const std::string& key) {
  if (text.empty() || !all_digits(text)) {
    if (text.size() > 1 && text.front() == '-' && all_digits(text.substr(1))) {
      fail(key, shown(raw) + " is negative; ports are 1..65535", kPortExample);
    }
    fail(key, shown(raw) + " is not a port or a FIRST-LAST range", kPortExample);
  }
  const std::optional<uint64_t> value = whole_number(text);
  if (!value || *value == 0 || *value > 65535) {
    fail(key, text + " is outside the ports 1..65535", kPortExample);
  }
  return static_cast<uint16_t>(*value);
}

PortRange parse_port_range(const std::string& raw, const std::string& key) {
  const std::string text = trimmed(raw);
  // A '-' after the first character separates a range; a leading one is a minus sign.
  const auto dash = text.find('-', 1);
  if (dash == std::string::npos) {
    const uint16_t port = parse_port_number(text, raw, key);
    return PortRange{port, port};
  }
  const uint16_t first = parse_port_number(trimmed(text.substr(0, dash)), raw, key);
  const uint16_t last = parse_port_number(trimmed(text.substr(dash + 1)), raw, key);
  if (first > last) {
    fail(key, "range " + shown(raw) + " starts after it ends", "\"8000-8100\"");
  }
  return PortRange{first, last};
}

std::vector<PortRange> parse_ports(const YAML::Node& node, const std::string& key) {
  if (node.IsScalar()) return {parse_port_range(node.Scalar(), key)};
  if (!node.IsSequence()) {
    fail(key, std::string("is ") + kind_of(node) + ", expected a port, a range or a list of them",
         kPortExample);
  }
  if (node.size() == 0) fail(key, "is an empty list", kPortExample);
  std::vector<PortRange> ports;
  std::size_t index = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++index) {
    const std::string item_key = element(key, index);
    if (!it->IsScalar()) {
      fail(item_key, std::string("is ") + kind_of(*it) + ", expected a port or a range",
           "8080 or \"8000-8100\"");
    }
    ports.push_back(parse_port_range(it->Scalar(), item_key));
  }
  return ports;
}

// A string value that may not be empty.
std::string non_empty_text(const YAML::Node& node, const std::string& key, const char* example) {
  std::string text = scalar_text(node, key, example);
  if (text.empty()) fail(key, "is empty", example);
  return text;
}

std::vector<std::string> parse_string_list(const YAML::Node& node, const std::string& key,
                                           const char* list_example, const char* item_example) {
  if (node.IsNull()) return {};
  if (!node.IsSequence())
    fail(key, std::string("is ") + kind_of(node) + ", expected a list", list_example);
  std::vector<std::string> items;
  std::size_t index = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++index) {
    items.push_back(scalar_text(*it, element(key, index), item_example));
  }
  return items;
}

ProcessSelector parse_selector(const YAML::Node& node, const std::string& key,
                               const char* example) {
  if (node.IsNull()) fail(key, "has no selector", "{port: 8080}");
  if (!node.IsMap()) {
    fail(key, std::string("is ") + kind_of(node) + ", expected a mapping of selectors", example);
  }
  ProcessSelector selector;
  for_each_entry(node, key, kSelectorKeys, [&](const std::string& name, const YAML::Node& value) {
    const std::string path = child(key, name);
    const char* value_example = example_of(kSelectorKeys, name);
    if (name == "exe") {
      selector.exe = non_empty_text(value, path, value_example);
    } else if (name == "cmdline") {
      selector.cmdline = non_empty_text(value, path, value_example);
      RE2::Options options;
      options.set_log_errors(false);
      const RE2 regex(selector.cmdline, options);
      if (!regex.ok()) {
        fail(path, shown(selector.cmdline) + " is not an RE2 regular expression: " + regex.error(),
             value_example);
      }
    } else if (name == "port") {
      selector.ports = parse_ports(value, path);
    } else if (name == "pid") {
      selector.pid = parse_uint32(scalar_text(value, path, value_example), path, value_example);
    } else if (name == "cgroup") {
      selector.cgroup = non_empty_text(value, path, value_example);
    } else if (name == "container_id") {
      selector.container_id = non_empty_text(value, path, value_example);
    }
  });
  return selector;
}

UserTracking parse_users(const YAML::Node& node, const std::string& key) {
  constexpr const char* kExample = "{identity: header, header: X-User-Id}";
  if (node.IsNull()) fail(key, "has no value", kExample);
  if (!node.IsMap())
    fail(key, std::string("is ") + kind_of(node) + ", expected a mapping", kExample);
  UserTracking users;
  bool has_identity = false;
  for_each_entry(node, key, kUsersKeys, [&](const std::string& name, const YAML::Node& value) {
    const std::string path = child(key, name);
    const char* example = example_of(kUsersKeys, name);
    if (name == "identity") {
      users.identity = non_empty_text(value, path, example);
      has_identity = true;
    } else if (name == "header") {
      users.header = non_empty_text(value, path, example);
    } else if (name == "top_k") {
      users.top_k = parse_uint32(scalar_text(value, path, example), path, example);
    } else if (name == "clear_identities") {
      users.clear_identities = parse_bool(scalar_text(value, path, example), path, example);
    } else if (name == "capture_bytes") {
      users.capture_bytes = parse_uint32(scalar_text(value, path, example), path, example);
      if (users.capture_bytes == 0) fail(path, "0 is outside 1..8192", example);
    } else if (name == "distinct_interval") {
      users.distinct_interval_ms =
          parse_duration_ms(scalar_text(value, path, example), path, example);
    }
  });
  if (!has_identity) fail(child(key, "identity"), "is missing", "identity: header");
  return users;
}

ServiceRule parse_service(const YAML::Node& node, const std::string& key) {
  constexpr const char* kExample = "{name: shop-api, match: {port: 8080}}";
  if (!node.IsMap()) {
    fail(key, std::string("is ") + kind_of(node) + ", expected a mapping with name and match",
         kExample);
  }
  ServiceRule service;
  bool has_name = false;
  bool has_match = false;
  for_each_entry(node, key, kServiceKeys, [&](const std::string& name, const YAML::Node& value) {
    const std::string path = child(key, name);
    if (name == "name") {
      service.name = scalar_text(value, path, "shop-api");
      has_name = true;
    } else if (name == "namespace") {
      service.service_namespace = non_empty_text(value, path, "alexandrite");
    } else if (name == "match") {
      service.match = parse_selector(value, path, "{exe: \"/usr/bin/python3*\", port: 8080}");
      has_match = true;
    } else if (name == "routes") {
      service.routes = parse_string_list(value, path, "[\"/orders/{id}\"]", "/orders/{id}");
    } else if (name == "storage_paths") {
      service.storage_paths = parse_string_list(value, path, "[/var/lib/postgresql/15/main]",
                                                "/var/lib/postgresql/15/main");
    } else if (name == "users") {
      service.users = parse_users(value, path);
    }
  });
  if (!has_name) fail(child(key, "name"), "is missing", "name: shop-api");
  if (!has_match) fail(child(key, "match"), "is missing", "match: {port: 8080}");
  return service;
}

std::vector<ServiceRule> parse_services(const YAML::Node& node, const std::string& key) {
  if (node.IsNull()) return {};
  if (!node.IsSequence()) {
    fail(key, std::string("is ") + kind_of(node) + ", expected a list of services",
         "[{name: shop-api, match: {port: 8080}}]");
  }
  std::vector<ServiceRule> services;
  std::size_t index = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++index) {
    services.push_back(parse_service(*it, element(key, index)));
  }
  return services;
}

std::vector<ProcessSelector> parse_excludes(const YAML::Node& node, const std::string& key) {
  if (node.IsNull()) return {};
  if (!node.IsSequence()) {
    fail(key, std::string("is ") + kind_of(node) + ", expected a list of selectors",
         "[{exe: /usr/sbin/sshd}]");
  }
  std::vector<ProcessSelector> excludes;
  std::size_t index = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++index) {
    excludes.push_back(parse_selector(*it, element(key, index), "{exe: /usr/sbin/sshd}"));
  }
  return excludes;
}

void apply_discovery(const YAML::Node& node, DiscoveryConfig& discovery) {
  const std::string key = "discovery";
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    fail(key, std::string("is ") + kind_of(node) + ", expected a mapping",
         "{listening_processes: true, use_interval: 5s}");
  }
  for_each_entry(node, key, kDiscoveryKeys, [&](const std::string& name, const YAML::Node& value) {
    const std::string path = child(key, name);
    const char* example = example_of(kDiscoveryKeys, name);
    const std::string text = scalar_text(value, path, example);
    if (name == "listening_processes") {
      discovery.listening_processes = parse_bool(text, path, example);
    } else if (name == "use_interval") {
      discovery.use_interval_ms = parse_duration_ms(text, path, example);
    } else if (name == "storage_interval") {
      discovery.storage_interval_ms = parse_duration_ms(text, path, example);
    } else if (name == "storage_max_entries") {
      discovery.storage_max_entries = parse_uint32(text, path, example);
    }
  });
}

void apply_web(const YAML::Node& node, WebConfig& web) {
  const std::string key = "web";
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    fail(key, std::string("is ") + kind_of(node) + ", expected a mapping",
         "{tls_cert_file: /etc/redeye/tls.crt, tls_key_file: /etc/redeye/tls.key}");
  }
  for_each_entry(node, key, kWebKeys, [&](const std::string& name, const YAML::Node& value) {
    const std::string path = child(key, name);
    const std::string text = scalar_text(value, path, example_of(kWebKeys, name));
    if (name == "tls_cert_file") {
      web.tls_cert_file = text;
    } else if (name == "tls_key_file") {
      web.tls_key_file = text;
    } else if (name == "basic_auth_username") {
      web.basic_auth_username = text;
    } else if (name == "basic_auth_password_file") {
      web.basic_auth_password_file = text;
    }
  });
}

// Overrides the settings the document names; the rest keep their current values. A list
// (services, exclude) replaces the current list as a whole.
void apply_document(const YAML::Node& root, const std::string& source, Config& config) {
  if (root.IsNull()) return;  // an empty file changes nothing
  if (!root.IsMap()) {
    fail(source,
         std::string("the document is ") + kind_of(root) + ", expected a mapping of settings",
         "listen: \":9464\"");
  }
  for_each_entry(root, "", kTopKeys, [&](const std::string& name, const YAML::Node& value) {
    const char* example = example_of(kTopKeys, name);
    if (name == "listen") {
      config.listen = scalar_text(value, name, example);
    } else if (name == "log_level") {
      config.log_level = scalar_text(value, name, example);
    } else if (name == "capture_bytes") {
      config.capture_bytes = parse_uint32(scalar_text(value, name, example), name, example);
    } else if (name == "max_connections") {
      config.max_connections = parse_uint32(scalar_text(value, name, example), name, example);
    } else if (name == "route_limit") {
      config.route_limit = parse_uint32(scalar_text(value, name, example), name, example);
    } else if (name == "ring_buffer_bytes") {
      config.ring_buffer_bytes = parse_uint32(scalar_text(value, name, example), name, example);
    } else if (name == "discovery") {
      apply_discovery(value, config.discovery);
    } else if (name == "services") {
      config.services = parse_services(value, name);
    } else if (name == "exclude") {
      config.exclude = parse_excludes(value, name);
    } else if (name == "web") {
      apply_web(value, config.web);
    } else if (name == "users_hash_key_file") {
      config.users_hash_key_file = scalar_text(value, name, example);
    }
  });
}

YAML::Node parse_yaml(const std::string& text, const std::string& source, const char* example) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    fail(source,
         "is not valid YAML: " + e.msg + " at line " + std::to_string(e.mark.line + 1) +
             ", column " + std::to_string(e.mark.column + 1),
         example);
  }
  if (documents.empty()) return YAML::Node();
  if (documents.size() > 1) {
    fail(source, "holds " + std::to_string(documents.size()) + " YAML documents, expected one",
         example);
  }
  return documents.front();
}

std::string read_file(const std::string& path) {
  constexpr const char* kExample = "--config /etc/redeye/redeye.yaml";
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    fail(path, "cannot read the configuration file: it is a directory", kExample);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail(path, std::string("cannot read the configuration file: ") + std::strerror(errno),
         kExample);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    fail(path, std::string("cannot read the configuration file: ") + std::strerror(errno),
         kExample);
  }
  return text.str();
}

// One REDEYE_* variable: the key path it overrides and how its text is applied.
struct EnvOverride {
  const char* key_path;
  void (*apply)(Config&, const std::string& text, const std::string& variable);
};

std::string variable_for(const std::string& key_path) {
  std::string name = "REDEYE_";
  for (char c : key_path) {
    name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

constexpr EnvOverride kEnvOverrides[] = {
    {"listen", [](Config& c, const std::string& text, const std::string&) { c.listen = text; }},
    {"log_level",
     [](Config& c, const std::string& text, const std::string&) { c.log_level = text; }},
    {"capture_bytes",
     [](Config& c, const std::string& text, const std::string& var) {
       c.capture_bytes = parse_uint32(text, var, "4096");
     }},
    {"max_connections",
     [](Config& c, const std::string& text, const std::string& var) {
       c.max_connections = parse_uint32(text, var, "65536");
     }},
    {"route_limit", [](Config& c, const std::string& text,
                       const std::string& var) { c.route_limit = parse_uint32(text, var, "100"); }},
    {"ring_buffer_bytes",
     [](Config& c, const std::string& text, const std::string& var) {
       c.ring_buffer_bytes = parse_uint32(text, var, "8388608");
     }},
    {"discovery.listening_processes",
     [](Config& c, const std::string& text, const std::string& var) {
       c.discovery.listening_processes = parse_bool(text, var, "true");
     }},
    {"discovery.use_interval",
     [](Config& c, const std::string& text, const std::string& var) {
       c.discovery.use_interval_ms = parse_duration_ms(text, var, "5s");
     }},
    {"discovery.storage_interval",
     [](Config& c, const std::string& text, const std::string& var) {
       c.discovery.storage_interval_ms = parse_duration_ms(text, var, "60s");
     }},
    {"discovery.storage_max_entries",
     [](Config& c, const std::string& text, const std::string& var) {
       c.discovery.storage_max_entries = parse_uint32(text, var, "100000");
     }},
    {"web.tls_cert_file",
     [](Config& c, const std::string& text, const std::string&) { c.web.tls_cert_file = text; }},
    {"web.tls_key_file",
     [](Config& c, const std::string& text, const std::string&) { c.web.tls_key_file = text; }},
    {"web.basic_auth_username",
     [](Config& c, const std::string& text, const std::string&) {
       c.web.basic_auth_username = text;
     }},
    {"web.basic_auth_password_file",
     [](Config& c, const std::string& text, const std::string&) {
       c.web.basic_auth_password_file = text;
     }},
    {"users_hash_key_file",
     [](Config& c, const std::string& text, const std::string&) { c.users_hash_key_file = text; }},
    // Not a YAML key: the key itself, for orchestrators that hand secrets over as variables.
    {"users_hash_key",
     [](Config& c, const std::string& text, const std::string&) { c.users_hash_key = text; }},
    {"services",
     [](Config& c, const std::string& text, const std::string& var) {
       constexpr const char* kExample = "[{name: shop-api, match: {port: 8080}}]";
       c.services = parse_services(parse_yaml(text, var, kExample), var);
     }},
    {"exclude",
     [](Config& c, const std::string& text, const std::string& var) {
       constexpr const char* kExample = "[{exe: /usr/sbin/sshd}]";
       c.exclude = parse_excludes(parse_yaml(text, var, kExample), var);
     }},
};

// Applies the overrides env holds; returns (key path, variable) for each one applied.
std::vector<std::pair<std::string, std::string>> apply_environment(
    const std::map<std::string, std::string>& env, Config& config) {
  std::vector<std::pair<std::string, std::string>> applied;
  for (const EnvOverride& override_ : kEnvOverrides) {
    const std::string variable = variable_for(override_.key_path);
    const auto it = env.find(variable);
    if (it == env.end() || it->second.empty()) continue;  // empty means unset
    override_.apply(config, it->second, variable);
    applied.emplace_back(override_.key_path, variable);
  }
  return applied;
}

// validate() names YAML key paths; a value that came from the environment is named by its
// variable instead ("services[1].name: ..." -> "REDEYE_SERVICES[1].name: ...").
std::string attribute_to_environment(
    const std::string& line, const std::vector<std::pair<std::string, std::string>>& applied) {
  for (const auto& [key_path, variable] : applied) {
    if (line.size() > key_path.size() && line.compare(0, key_path.size(), key_path) == 0) {
      const char next = line[key_path.size()];
      if (next == ':' || next == '.' || next == '[') {
        return variable + line.substr(key_path.size());
      }
    }
  }
  return line;
}

// Reads users_hash_key_file into users_hash_key, unless REDEYE_USERS_HASH_KEY gave the key.
void load_users_hash_key(Config& config,
                         const std::vector<std::pair<std::string, std::string>>& applied) {
  constexpr const char* kExample = "/etc/redeye/users-hash-key";
  if (!config.users_hash_key.empty() || config.users_hash_key_file.empty()) return;
  std::string key = "users_hash_key_file";
  for (const auto& [key_path, variable] : applied) {
    if (key_path == key) key = variable;
  }
  const std::string& path = config.users_hash_key_file;
  if (path.front() != '/') fail(key, shown(path) + " is not an absolute path", kExample);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    fail(key, shown(path) + " cannot be read: it is a directory", kExample);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(key, shown(path) + " cannot be read: " + std::strerror(errno), kExample);
  std::ostringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  if (!secret.empty() && secret.back() == '\n') secret.pop_back();
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.size() < kMinUsersHashKeyBytes) {
    fail(key,
         shown(path) + " holds " + std::to_string(secret.size()) + " bytes, a key needs at least " +
             std::to_string(kMinUsersHashKeyBytes),
         "openssl rand -hex 32 > /etc/redeye/users-hash-key");
  }
  config.users_hash_key = std::move(secret);
}

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
# Kernel ring buffer size: a power of two, at least 4096.
ring_buffer_bytes: 8388608

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

Config load_config_from_string(const std::string& yaml_text, const std::string& source,
                               const std::map<std::string, std::string>& env) {
  Config config;
  apply_document(parse_yaml(kEmbeddedDefault, kEmbeddedSource, "listen: \":9464\""),
                 kEmbeddedSource, config);
  apply_document(parse_yaml(yaml_text, source, "listen: \":9464\""), source, config);
  const auto applied = apply_environment(env, config);
  load_users_hash_key(config, applied);
  if (const std::string error = validate(config); !error.empty()) {
    throw ConfigError(attribute_to_environment(error, applied));
  }
  return config;
}

Config load_config(const std::string& path_or_empty,
                   const std::map<std::string, std::string>& env) {
  if (path_or_empty.empty()) return load_config_from_string("", kEmbeddedSource, env);
  return load_config_from_string(read_file(path_or_empty), path_or_empty, env);
}

std::map<std::string, std::string> environment_from(char** envp) {
  std::map<std::string, std::string> env;
  if (envp == nullptr) return env;
  for (char** entry = envp; *entry != nullptr; ++entry) {
    const std::string text = *entry;
    const auto equals = text.find('=');
    if (equals == std::string::npos || equals == 0) continue;
    env.emplace(text.substr(0, equals), text.substr(equals + 1));
  }
  return env;
}

std::vector<std::string> unknown_redeye_variables(const std::map<std::string, std::string>& env) {
  std::set<std::string> known;
  for (const EnvOverride& override_ : kEnvOverrides) known.insert(variable_for(override_.key_path));
  std::vector<std::string> unknown;
  for (const auto& [name, value] : env) {
    if (name.rfind("REDEYE_", 0) == 0 && known.count(name) == 0) unknown.push_back(name);
  }
  return unknown;
}

const char* embedded_default_config_yaml() { return kEmbeddedDefault; }

}  // namespace redeye
