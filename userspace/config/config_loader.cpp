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

#include "config/config_keys.h"
#include "config/yaml_values.h"

namespace redeye {

using namespace config_yaml;

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

// The structural keys of each level; the scalar keys come from the key table.
constexpr KeySpec kTopStructureKeys[] = {
    {"discovery", "{listening_processes: true}"},
    {"services", "[{name: shop-api, match: {port: 8080}}]"},
    {"exclude", "[{exe: /usr/sbin/sshd}]"},
    {"web", "{tls_cert_file: /etc/redeye/tls.crt, tls_key_file: /etc/redeye/tls.key}"},
};

// The keys known at one level ("" for the top, "discovery", "web"): the table's rows of that
// level, in table order, then `structure`.
std::vector<KeySpec> level_keys(const std::string& level, std::span<const KeySpec> structure) {
  std::vector<KeySpec> keys;
  for (const ConfigKey& key : config_keys()) {
    const std::string_view path = key.path;
    const auto dot = path.rfind('.');
    const std::string_view of = dot == std::string_view::npos ? "" : path.substr(0, dot);
    if (of == level) {
      keys.push_back({dot == std::string_view::npos ? key.path : key.path + dot + 1, key.example});
    }
  }
  keys.insert(keys.end(), structure.begin(), structure.end());
  return keys;
}

const std::vector<KeySpec>& top_keys() {
  static const std::vector<KeySpec> keys = level_keys("", kTopStructureKeys);
  return keys;
}

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

// A mapping of scalar keys from the table ("discovery", "web").
void apply_section(const YAML::Node& node, const std::string& key, const char* example,
                   Config& config) {
  if (node.IsNull()) return;
  if (!node.IsMap())
    fail(key, std::string("is ") + kind_of(node) + ", expected a mapping", example);
  const std::vector<KeySpec> keys = level_keys(key, {});
  for_each_entry(node, key, keys, [&](const std::string& name, const YAML::Node& value) {
    const std::string path = child(key, name);
    const ConfigKey* row = find_config_key(path);
    set_config_value(*row, scalar_text(value, path, row->example), path, config);
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
  for_each_entry(root, "", top_keys(), [&](const std::string& name, const YAML::Node& value) {
    if (const ConfigKey* row = find_config_key(name)) {
      set_config_value(*row, scalar_text(value, name, row->example), name, config);
    } else if (name == "discovery") {
      apply_section(value, name, "{listening_processes: true, use_interval: 5s}", config);
    } else if (name == "services") {
      config.services = parse_services(value, name);
    } else if (name == "exclude") {
      config.exclude = parse_excludes(value, name);
    } else if (name == "web") {
      apply_section(value, name,
                    "{tls_cert_file: /etc/redeye/tls.crt, tls_key_file: /etc/redeye/tls.key}",
                    config);
    }
  });
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

// The variables that are not rows of the key table.
constexpr EnvOverride kEnvOverrides[] = {
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
  for (const ConfigKey& key : config_keys()) {
    if (key.env == nullptr) continue;
    const auto it = env.find(key.env);
    if (it == env.end() || it->second.empty()) continue;  // empty means unset
    set_config_value(key, it->second, key.env, config);
    applied.emplace_back(key.path, key.env);
  }
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

}  // namespace

Config load_config_from_string(const std::string& yaml_text, const std::string& source,
                               const std::map<std::string, std::string>& env) {
  Config config;
  apply_document(parse_yaml(embedded_default_config_yaml(), kEmbeddedSource, "listen: \":9464\""),
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
  for (const ConfigKey& key : config_keys()) {
    if (key.env != nullptr) known.insert(key.env);
  }
  for (const EnvOverride& override_ : kEnvOverrides) known.insert(variable_for(override_.key_path));
  std::vector<std::string> unknown;
  for (const auto& [name, value] : env) {
    if (name.rfind("REDEYE_", 0) == 0 && known.count(name) == 0) unknown.push_back(name);
  }
  return unknown;
}

}  // namespace redeye
