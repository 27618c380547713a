#include "config/config.h"

#include <map>
#include <string_view>

#include "config/config_keys.h"

namespace redeye {
namespace {

// Names and namespaces become label values: keep them to a charset no backend mangles.
bool valid_label_value(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Why an fnmatch pattern matched against an absolute path (an executable, a cgroup) cannot be
// what was meant, or "" when it looks sane.
std::string path_glob_problem(const std::string& pattern) {
  if (pattern.empty()) return "is empty";
  const char first = pattern.front();
  if (first != '/' && first != '*' && first != '?' && first != '[') {
    return "never matches: the path it is matched against starts with '/'";
  }
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      if (i + 1 == pattern.size()) return "ends with a lone backslash";
      ++i;
    } else if (pattern[i] == '[') {
      std::size_t j = i + 1;
      if (j < pattern.size() && (pattern[j] == '!' || pattern[j] == '^')) ++j;
      if (j < pattern.size() && pattern[j] == ']') ++j;  // a leading ']' is a member
      while (j < pattern.size() && pattern[j] != ']') ++j;
      if (j == pattern.size()) return "has a '[' without its closing ']'";
      i = j;
    }
  }
  return "";
}

bool lowercase_hex(const std::string& text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string validate_selector(const ProcessSelector& selector, const std::string& key) {
  if (selector.exe.empty() && selector.cmdline.empty() && selector.ports.empty() && !selector.pid &&
      selector.cgroup.empty() && selector.container_id.empty()) {
    return key +
           ": selects nothing; give at least one of exe, cmdline, port, pid, cgroup, "
           "container_id (example: port: 8080)";
  }
  if (!selector.exe.empty()) {
    if (std::string problem = path_glob_problem(selector.exe); !problem.empty()) {
      return key + ".exe: '" + selector.exe + "' " + problem + " (example: /usr/bin/python3*)";
    }
  }
  if (!selector.cgroup.empty()) {
    if (std::string problem = path_glob_problem(selector.cgroup); !problem.empty()) {
      return key + ".cgroup: '" + selector.cgroup + "' " + problem +
             " (example: /system.slice/nginx.service)";
    }
  }
  for (std::size_t i = 0; i < selector.ports.size(); ++i) {
    const PortRange& range = selector.ports[i];
    const std::string port_key =
        key + (selector.ports.size() == 1 ? ".port" : ".port[" + std::to_string(i) + "]");
    if (range.first == 0) {
      return port_key + ": 0 is not a port; ports are 1..65535 (example: 8080)";
    }
    if (range.first > range.last) {
      return port_key + ": range " + std::to_string(range.first) + "-" +
             std::to_string(range.last) + " starts after it ends (example: 8000-8100)";
    }
  }
  if (selector.pid && *selector.pid == 0) {
    return key + ".pid: 0 is not a process id (example: 1234)";
  }
  if (!selector.container_id.empty()) {
    const std::size_t size = selector.container_id.size();
    if (size < 12 || size > 64 || !lowercase_hex(selector.container_id)) {
      return key + ".container_id: '" + selector.container_id +
             "' is not 12 to 64 lowercase hex characters (example: 4f1c2a9b8e7d)";
    }
  }
  return "";
}

// An HTTP field name (RFC 9110 token).
bool valid_header_name(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

std::string validate_users(const UserTracking& users, const std::string& key) {
  if (!users.enabled()) {
    if (!users.header.empty() || users.clear_identities || users.capture_bytes != 0) {
      return key + ".identity: is missing (example: identity: header)";
    }
    return "";
  }
  const std::string& identity = users.identity;
  if (identity != "header" && identity != "jwt_sub" && identity != "basic_user" &&
      identity != "client_address") {
    return key + ".identity: '" + identity +
           "' is not one of header, jwt_sub, basic_user, client_address (example: header)";
  }
  if (identity == "header" && users.header.empty()) {
    return key + ".header: is missing; identity: header needs the header's name (example: " +
           "header: X-User-Id)";
  }
  if (!users.header.empty()) {
    if (identity != "header" && identity != "jwt_sub") {
      return key + ".header: is only used with identity: header or jwt_sub (example: identity: " +
             "header, header: X-User-Id)";
    }
    if (!valid_header_name(users.header)) {
      return key + ".header: '" + users.header + "' is not a header name (example: X-User-Id)";
    }
  }
  if (users.top_k == 0 || users.top_k > kMaxUsersTopK) {
    return key + ".top_k: " + std::to_string(users.top_k) + " is outside 1.." +
           std::to_string(kMaxUsersTopK) + " (example: 20)";
  }
  if (users.capture_bytes > 8192) {
    return key + ".capture_bytes: " + std::to_string(users.capture_bytes) +
           " is outside 1..8192 (example: 8192)";
  }
  if (users.distinct_interval_ms < 1000) {
    return key + ".distinct_interval: " + format_duration_ms(users.distinct_interval_ms) +
           " is below the minimum 1s (example: 60s)";
  }
  if (users.distinct_interval_ms > 24u * 3600 * 1000) {
    return key + ".distinct_interval: " + format_duration_ms(users.distinct_interval_ms) +
           " is above the maximum 24h (example: 60s)";
  }
  return "";
}

std::string validate_service(const ServiceRule& service, const std::string& key) {
  if (service.name.empty()) return key + ".name: is empty (example: shop-api)";
  if (!valid_label_value(service.name)) {
    return key + ".name: '" + service.name +
           "' may only hold letters, digits, '_', '.' and '-' (example: shop-api)";
  }
  if (!service.service_namespace.empty() && !valid_label_value(service.service_namespace)) {
    return key + ".namespace: '" + service.service_namespace +
           "' may only hold letters, digits, '_', '.' and '-' (example: alexandrite)";
  }
  if (std::string error = validate_selector(service.match, key + ".match"); !error.empty()) {
    return error;
  }
  for (std::size_t i = 0; i < service.routes.size(); ++i) {
    const std::string& route = service.routes[i];
    if (route.empty() || route.front() != '/') {
      return key + ".routes[" + std::to_string(i) + "]: '" + route +
             "' does not start with '/' (example: /orders/{id})";
    }
  }
  for (std::size_t i = 0; i < service.storage_paths.size(); ++i) {
    const std::string& path = service.storage_paths[i];
    if (path.empty() || path.front() != '/') {
      return key + ".storage_paths[" + std::to_string(i) + "]: '" + path +
             "' is not an absolute path (example: /var/lib/postgresql/15/main)";
    }
  }
  return validate_users(service.users, key + ".users");
}

}  // namespace

std::string normalize_listen_address(const std::string& listen) {
  if (!listen.empty() && listen.front() == ':') return "0.0.0.0" + listen;
  return listen;
}

uint32_t effective_capture_bytes(const Config& config) {
  uint32_t bytes = config.capture_bytes;
  for (const ServiceRule& rule : config.services) {
    if (rule.users.enabled() && rule.users.capture_bytes > bytes) bytes = rule.users.capture_bytes;
  }
  return bytes;
}

namespace {

std::string validate_web(const WebConfig& web) {
  const std::pair<const char*, const std::string*> files[] = {
      {"web.tls_cert_file", &web.tls_cert_file},
      {"web.tls_key_file", &web.tls_key_file},
      {"web.basic_auth_password_file", &web.basic_auth_password_file}};
  for (const auto& [key, path] : files) {
    if (!path->empty() && path->front() != '/') {
      return std::string(key) + ": '" + *path + "' is not an absolute path (example: /etc/redeye/" +
             (std::string(key).find("password") != std::string::npos ? "metrics-password"
                                                                     : "tls.pem") +
             ")";
    }
  }
  if (!web.tls_key_file.empty() && web.tls_cert_file.empty()) {
    return "web.tls_cert_file: must be set when web.tls_key_file is (example: "
           "/etc/redeye/tls.crt)";
  }
  if (web.basic_auth_username.empty() != web.basic_auth_password_file.empty()) {
    return web.basic_auth_username.empty()
               ? "web.basic_auth_username: must be set with web.basic_auth_password_file "
                 "(example: prometheus)"
               : "web.basic_auth_password_file: must be set with web.basic_auth_username "
                 "(example: /etc/redeye/metrics-password)";
  }
  return "";
}

}  // namespace

std::string validate(const Config& config) {
  // The scalar keys: ranges and checks from the key table (config_keys.cpp).
  for (const ConfigKey& key : config_keys()) {
    if (std::string error = check_config_value(key, config); !error.empty()) return error;
  }
  if (std::string error = validate_web(config.web); !error.empty()) return error;
  if (!config.users_hash_key_file.empty() && config.users_hash_key_file.front() != '/') {
    return "users_hash_key_file: '" + config.users_hash_key_file +
           "' is not an absolute path (example: /etc/redeye/users-hash-key)";
  }
  if (!config.users_hash_key.empty() && config.users_hash_key.size() < kMinUsersHashKeyBytes) {
    // Never show the key itself.
    return "users_hash_key: holds " + std::to_string(config.users_hash_key.size()) +
           " bytes, a key needs at least " + std::to_string(kMinUsersHashKeyBytes) +
           " (example: the output of openssl rand -hex 32)";
  }
  std::map<std::string, std::size_t> first_with_name;
  for (std::size_t i = 0; i < config.services.size(); ++i) {
    const std::string key = "services[" + std::to_string(i) + "]";
    if (std::string error = validate_service(config.services[i], key); !error.empty()) {
      return error;
    }
    const auto [it, inserted] = first_with_name.emplace(config.services[i].name, i);
    if (!inserted) {
      return key + ".name: '" + config.services[i].name + "' is already the name of services[" +
             std::to_string(it->second) + "] (example: " + config.services[i].name + "-2)";
    }
  }
  for (std::size_t i = 0; i < config.exclude.size(); ++i) {
    const std::string key = "exclude[" + std::to_string(i) + "]";
    if (std::string error = validate_selector(config.exclude[i], key); !error.empty()) {
      return error;
    }
  }
  return "";
}

}  // namespace redeye
