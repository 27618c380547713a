#include "config/config_loader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace redeye {
namespace {

using Env = std::map<std::string, std::string>;

// Writes text to a fresh file under the test temp dir and returns its path.
std::string write_temp_file(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + "redeye_config_test_" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return path;
}

// The message load_config_from_string throws, or "" when it loads.
std::string load_error(const std::string& yaml, const Env& env = {}) {
  try {
    load_config_from_string(yaml, "test.yaml", env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

void expect_same_selector(const ProcessSelector& a, const ProcessSelector& b,
                          const std::string& where) {
  EXPECT_EQ(a.exe, b.exe) << where;
  EXPECT_EQ(a.cmdline, b.cmdline) << where;
  ASSERT_EQ(a.ports.size(), b.ports.size()) << where;
  for (std::size_t i = 0; i < a.ports.size(); ++i) {
    EXPECT_EQ(a.ports[i].first, b.ports[i].first) << where << " port " << i;
    EXPECT_EQ(a.ports[i].last, b.ports[i].last) << where << " port " << i;
  }
  EXPECT_EQ(a.pid, b.pid) << where;
  EXPECT_EQ(a.cgroup, b.cgroup) << where;
  EXPECT_EQ(a.container_id, b.container_id) << where;
}

void expect_same_config(const Config& a, const Config& b) {
  EXPECT_EQ(a.listen, b.listen);
  EXPECT_EQ(a.log_level, b.log_level);
  EXPECT_EQ(a.capture_bytes, b.capture_bytes);
  EXPECT_EQ(a.max_connections, b.max_connections);
  EXPECT_EQ(a.route_limit, b.route_limit);
  EXPECT_EQ(a.ring_buffer_bytes, b.ring_buffer_bytes);
  EXPECT_EQ(a.empty_probes, b.empty_probes);
  EXPECT_EQ(a.follow_all_processes, b.follow_all_processes);
  EXPECT_EQ(a.discovery.listening_processes, b.discovery.listening_processes);
  EXPECT_EQ(a.discovery.use_interval_ms, b.discovery.use_interval_ms);
  EXPECT_EQ(a.discovery.storage_interval_ms, b.discovery.storage_interval_ms);
  EXPECT_EQ(a.discovery.storage_max_entries, b.discovery.storage_max_entries);
  ASSERT_EQ(a.services.size(), b.services.size());
  for (std::size_t i = 0; i < a.services.size(); ++i) {
    const std::string where = "services[" + std::to_string(i) + "]";
    EXPECT_EQ(a.services[i].name, b.services[i].name) << where;
    EXPECT_EQ(a.services[i].service_namespace, b.services[i].service_namespace) << where;
    expect_same_selector(a.services[i].match, b.services[i].match, where);
    EXPECT_EQ(a.services[i].routes, b.services[i].routes) << where;
    EXPECT_EQ(a.services[i].storage_paths, b.services[i].storage_paths) << where;
    const UserTracking& ua = a.services[i].users;
    const UserTracking& ub = b.services[i].users;
    EXPECT_EQ(ua.identity, ub.identity) << where;
    EXPECT_EQ(ua.header, ub.header) << where;
    EXPECT_EQ(ua.top_k, ub.top_k) << where;
    EXPECT_EQ(ua.clear_identities, ub.clear_identities) << where;
    EXPECT_EQ(ua.capture_bytes, ub.capture_bytes) << where;
    EXPECT_EQ(ua.distinct_interval_ms, ub.distinct_interval_ms) << where;
  }
  EXPECT_EQ(a.users_hash_key_file, b.users_hash_key_file);
  EXPECT_EQ(a.users_hash_key, b.users_hash_key);
  ASSERT_EQ(a.exclude.size(), b.exclude.size());
  for (std::size_t i = 0; i < a.exclude.size(); ++i) {
    expect_same_selector(a.exclude[i], b.exclude[i], "exclude[" + std::to_string(i) + "]");
  }
}

// --- Bad keys and values: one line naming the key path, the problem and an example. ---

struct BadCase {
  const char* name;
  const char* yaml;
  Env env;
  const char* key_prefix;  // the message starts with this ("services[0].match.port: ")
  const char* contains;    // and holds this
};

const BadCase kBadCases[] = {
    {"unknown top-level key", "colour: red\n", {}, "colour: ", "unknown key; known here: listen"},
    {"misspelled top-level key", "lisen: \":9000\"\n", {}, "lisen: ", "did you mean listen?"},
    {"misspelled nested key",
     "services:\n  - name: shop\n    match:\n      prot: 8080\n",
     {},
     "services[0].match.prot: ",
     "unknown key, did you mean port? (example: port: 8080)"},
    {"misspelled service key",
     "services:\n  - nmae: shop\n    match: {port: 80}\n",
     {},
     "services[0].nmae: ",
     "did you mean name?"},
    {"misspelled discovery key",
     "discovery:\n  use_intreval: 5s\n",
     {},
     "discovery.use_intreval: ",
     "did you mean use_interval?"},
    {"misspelled exclude key",
     "exclude:\n  - exec: /usr/sbin/sshd\n",
     {},
     "exclude[0].exec: ",
     "did you mean exe?"},
    {"key given twice", "listen: \":1\"\nlisten: \":2\"\n", {}, "listen: ", "twice"},
    {"listen without port", "listen: localhost\n", {}, "listen: ", "is not HOST:PORT"},
    {"listen is a list", "listen: [\":9464\"]\n", {}, "listen: ", "is a list"},
    {"listen has no value", "listen:\n", {}, "listen: ", "has no value"},
    {"port zero",
     "services:\n  - name: a\n    match: {port: 0}\n",
     {},
     "services[0].match.port: ",
     "0 is outside the ports 1..65535"},
    {"port too big",
     "services:\n  - name: a\n    match: {port: 70000}\n",
     {},
     "services[0].match.port: ",
     "70000 is outside"},
    {"negative port",
     "services:\n  - name: a\n    match: {port: -80}\n",
     {},
     "services[0].match.port: ",
     "negative"},
    {"range backwards",
     "services:\n  - name: a\n    match: {port: 8100-8000}\n",
     {},
     "services[0].match.port: ",
     "starts after it ends"},
    {"range with a bad end",
     "services:\n  - name: a\n    match: {port: 8000-http}\n",
     {},
     "services[0].match.port: ",
     "is not a port"},
    {"bad list element",
     "services:\n  - name: a\n    match: {port: [80, http, 443]}\n",
     {},
     "services[0].match.port[1]: ",
     "'http' is not a port"},
    {"nested list element",
     "services:\n  - name: a\n    match: {port: [80, [81]]}\n",
     {},
     "services[0].match.port[1]: ",
     "is a list"},
    {"empty port list",
     "services:\n  - name: a\n    match: {port: []}\n",
     {},
     "services[0].match.port: ",
     "empty list"},
    {"port is a mapping",
     "services:\n  - name: a\n    match: {port: {http: 80}}\n",
     {},
     "services[0].match.port: ",
     "is a mapping"},
    {"empty name",
     "services:\n  - name: \"\"\n    match: {port: 80}\n",
     {},
     "services[0].name: ",
     "is empty"},
    {"name with a space",
     "services:\n  - name: shop api\n    match: {port: 80}\n",
     {},
     "services[0].name: ",
     "may only hold"},
    {"missing name", "services:\n  - match: {port: 80}\n", {}, "services[0].name: ", "is missing"},
    {"duplicate name",
     "services:\n  - name: shop\n    match: {port: 80}\n  - name: shop\n    match: {port: 81}\n",
     {},
     "services[1].name: ",
     "already the name of services[0]"},
    {"bad namespace",
     "services:\n  - name: a\n    namespace: \"a/b\"\n    match: {port: 80}\n",
     {},
     "services[0].namespace: ",
     "may only hold"},
    {"bad regex",
     "services:\n  - name: a\n    match: {cmdline: \"http(\"}\n",
     {},
     "services[0].match.cmdline: ",
     "is not an RE2 regular expression: missing )"},
    {"relative exe glob",
     "services:\n  - name: a\n    match: {exe: python3}\n",
     {},
     "services[0].match.exe: ",
     "never matches"},
    {"empty exe",
     "services:\n  - name: a\n    match: {exe: \"\"}\n",
     {},
     "services[0].match.exe: ",
     "is empty"},
    {"unclosed bracket in cgroup glob",
     "services:\n  - name: a\n    match: {cgroup: \"/system.slice/[abc\"}\n",
     {},
     "services[0].match.cgroup: ",
     "without its closing ']'"},
    {"short container id",
     "services:\n  - name: a\n    match: {container_id: 4f1c}\n",
     {},
     "services[0].match.container_id: ",
     "12 to 64 lowercase hex"},
    {"pid zero",
     "services:\n  - name: a\n    match: {pid: 0}\n",
     {},
     "services[0].match.pid: ",
     "not a process id"},
    {"pid not a number",
     "services:\n  - name: a\n    match: {pid: self}\n",
     {},
     "services[0].match.pid: ",
     "not a whole number"},
    {"relative storage path",
     "services:\n  - name: a\n    match: {port: 80}\n    storage_paths: [data]\n",
     {},
     "services[0].storage_paths[0]: ",
     "not an absolute path"},
    {"route without a slash",
     "services:\n  - name: a\n    match: {port: 80}\n    routes: [\"/ok\", \"orders/{id}\"]\n",
     {},
     "services[0].routes[1]: ",
     "does not start with '/'"},
    {"routes not a list",
     "services:\n  - name: a\n    match: {port: 80}\n    routes: /x\n",
     {},
     "services[0].routes: ",
     "expected a list"},
    {"missing match", "services:\n  - name: a\n", {}, "services[0].match: ", "is missing"},
    {"empty match",
     "services:\n  - name: a\n    match: {}\n",
     {},
     "services[0].match: ",
     "selects nothing"},
    {"null match",
     "services:\n  - name: a\n    match:\n",
     {},
     "services[0].match: ",
     "has no selector"},
    {"service not a mapping",
     "services:\n  - shop\n",
     {},
     "services[0]: ",
     "expected a mapping with name and match"},
    {"services not a list",
     "services:\n  name: shop\n",
     {},
     "services: ",
     "expected a list of services"},
    {"empty exclude selector", "exclude:\n  - {}\n", {}, "exclude[0]: ", "selects nothing"},
    {"bad duration",
     "discovery:\n  use_interval: 5 parsecs\n",
     {},
     "discovery.use_interval: ",
     "'5 parsecs' is not a duration"},
    {"negative duration",
     "discovery:\n  storage_interval: -5s\n",
     {},
     "discovery.storage_interval: ",
     "negative"},
    {"too short duration",
     "discovery:\n  storage_interval: 500ms\n",
     {},
     "discovery.storage_interval: ",
     "below the minimum 1s"},
    {"zero storage entries",
     "discovery:\n  storage_max_entries: 0\n",
     {},
     "discovery.storage_max_entries: ",
     "at least 1"},
    {"negative number", "capture_bytes: -1\n", {}, "capture_bytes: ", "'-1' is negative"},
    {"number is text",
     "max_connections: lots\n",
     {},
     "max_connections: ",
     "'lots' is not a whole number"},
    {"number too large", "route_limit: 99999999999\n", {}, "route_limit: ", "too large"},
    {"capture out of range", "capture_bytes: 9000\n", {}, "capture_bytes: ", "outside 1..8192"},
    {"ring buffer not a power of two",
     "ring_buffer_bytes: 5000000\n",
     {},
     "ring_buffer_bytes: ",
     "power of two"},
    {"unknown log level", "log_level: loud\n", {}, "log_level: ", "unknown"},
    {"listening_processes wrong type",
     "discovery:\n  listening_processes: maybe\n",
     {},
     "discovery.listening_processes: ",
     "'maybe' is not true or false"},
    {"listening_processes is a list",
     "discovery:\n  listening_processes: [true]\n",
     {},
     "discovery.listening_processes: ",
     "is a list"},
    {"discovery not a mapping", "discovery: yes\n", {}, "discovery: ", "expected a mapping"},
    {"document is a list", "- listen\n", {}, "test.yaml: ", "expected a mapping of settings"},
    {"yaml syntax error", "listen: [\":9464\"\n", {}, "test.yaml: ", "is not valid YAML"},
    {"bad env number",
     "",
     {{"REDEYE_CAPTURE_BYTES", "abc"}},
     "REDEYE_CAPTURE_BYTES: ",
     "'abc' is not a whole number (example: 4096)"},
    {"bad env bool",
     "",
     {{"REDEYE_DISCOVERY_LISTENING_PROCESSES", "maybe"}},
     "REDEYE_DISCOVERY_LISTENING_PROCESSES: ",
     "not true or false"},
    {"bad env duration",
     "",
     {{"REDEYE_DISCOVERY_USE_INTERVAL", "5 parsecs"}},
     "REDEYE_DISCOVERY_USE_INTERVAL: ",
     "not a duration"},
    {"env value below a minimum",
     "",
     {{"REDEYE_DISCOVERY_USE_INTERVAL", "10ms"}},
     "REDEYE_DISCOVERY_USE_INTERVAL: ",
     "below the minimum 100ms"},
    {"env listen rejected by validate",
     "",
     {{"REDEYE_LISTEN", "localhost"}},
     "REDEYE_LISTEN: ",
     "is not HOST:PORT"},
    {"bad REDEYE_SERVICES yaml",
     "",
     {{"REDEYE_SERVICES", "[{name: a, match: {port: 80}"}},
     "REDEYE_SERVICES: ",
     "is not valid YAML"},
    {"REDEYE_SERVICES not a list",
     "",
     {{"REDEYE_SERVICES", "{name: a}"}},
     "REDEYE_SERVICES: ",
     "expected a list of services"},
    {"bad port in REDEYE_SERVICES",
     "",
     {{"REDEYE_SERVICES", "[{name: a, match: {port: 0}}]"}},
     "REDEYE_SERVICES[0].match.port: ",
     "outside"},
    {"bad name in REDEYE_SERVICES",
     "",
     {{"REDEYE_SERVICES", "[{name: \"a b\", match: {port: 80}}]"}},
     "REDEYE_SERVICES[0].name: ",
     "may only hold"},
    {"bad REDEYE_EXCLUDE key",
     "",
     {{"REDEYE_EXCLUDE", "[{exe: /bin/x}, {prot: 22}]"}},
     "REDEYE_EXCLUDE[1].prot: ",
     "did you mean port?"},
    // services[].users and the users hash key
    {"users not a mapping",
     "services:\n  - name: a\n    match: {port: 80}\n    users: header\n",
     {},
     "services[0].users: ",
     "expected a mapping"},
    {"users without identity",
     "services:\n  - name: a\n    match: {port: 80}\n    users: {header: X-User-Id}\n",
     {},
     "services[0].users.identity: ",
     "is missing"},
    {"users empty mapping",
     "services:\n  - name: a\n    match: {port: 80}\n    users: {}\n",
     {},
     "services[0].users.identity: ",
     "is missing"},
    {"users misspelled key",
     "services:\n  - name: a\n    match: {port: 80}\n    users: {identiy: header}\n",
     {},
     "services[0].users.identiy: ",
     "did you mean identity?"},
    {"users unknown identity",
     "services:\n  - name: a\n    match: {port: 80}\n    users: {identity: cookie}\n",
     {},
     "services[0].users.identity: ",
     "'cookie' is not one of header, jwt_sub, basic_user, client_address"},
    {"users empty identity",
     "services:\n  - name: a\n    match: {port: 80}\n    users: {identity: \"\"}\n",
     {},
     "services[0].users.identity: ",
     "is empty"},
    {"users header identity without a header",
     "services:\n  - name: a\n    match: {port: 80}\n    users: {identity: header}\n",
     {},
     "services[0].users.header: ",
     "is missing; identity: header needs the header's name"},
    {"users header with client_address",
     "services:\n  - name: a\n    match: {port: 80}\n"
     "    users: {identity: client_address, header: X-User-Id}\n",
     {},
     "services[0].users.header: ",
     "is only used with identity: header or jwt_sub"},
    {"users header with basic_user",
     "services:\n  - name: a\n    match: {port: 80}\n"
     "    users: {identity: basic_user, header: Authorization}\n",
     {},
     "services[0].users.header: ",
     "is only used with identity: header or jwt_sub"},
    {"users header not a header name",
     "services:\n  - name: a\n    match: {port: 80}\n"
     "    users: {identity: header, header: \"X User\"}\n",
     {},
     "services[0].users.header: ",
     "'X User' is not a header name"},
    {"users header with a colon",
     "services:\n  - name: a\n    match: {port: 80}\n"
     "    users: {identity: header, header: \"X-User-Id:\"}\n",
     {},
     "services[0].users.header: ",
     "is not a header name"},
    {"users top_k zero",
     "services:\n  - name: a\n    match: {port: 80}\n"
     "    users: {identity: client_address, top_k: 0}\n",
     {},
     "services[0].users.top_k: ",
     "0 is outside 1..1000"},
    {"users top_k too large",
     "services:\n  - name: a\n    match: {port: 80}\n"
     "    users: {identity: client_address, top_k: 5000}\n",
     {},
     "services[0].users.top_k: ",
     "5000 is outside 1..1000"},
    {"users top_k not a number",
     "services:\n  - name: a\n    match: {port: 80}\n"
     "    users: {identity: client_address, top_k: many}\n",
     {},
     "services[0].users.top_k: ",
     "'many' is not a whole number"},
    {"users clear_identities not a boolean",
     "services:\n  - name: a\n    match: {port: 80}\n"
     "    users: {identity: client_address, clear_identities: maybe}\n",
     {},
     "services[0].users.clear_identities: ",
     "'maybe' is not true or false"},
    {"users capture_bytes zero",
     "services:\n  - name: a\n    match: {port: 80}\n"
     "    users: {identity: jwt_sub, capture_bytes: 0}\n",
     {},
     "services[0].users.capture_bytes: ",
     "0 is outside 1..8192"},
    {"users capture_bytes too large",
     "services:\n  - name: a\n    match: {port: 80}\n"
     "    users: {identity: jwt_sub, capture_bytes: 9000}\n",
     {},
     "services[0].users.capture_bytes: ",
     "9000 is outside 1..8192"},
    {"users distinct_interval too short",
     "services:\n  - name: a\n    match: {port: 80}\n"
     "    users: {identity: jwt_sub, distinct_interval: 500ms}\n",
     {},
     "services[0].users.distinct_interval: ",
     "500ms is below the minimum 1s"},
    {"users distinct_interval too long",
     "services:\n  - name: a\n    match: {port: 80}\n"
     "    users: {identity: jwt_sub, distinct_interval: 25h}\n",
     {},
     "services[0].users.distinct_interval: ",
     "1500m is above the maximum 24h"},
    {"users distinct_interval not a duration",
     "services:\n  - name: a\n    match: {port: 80}\n"
     "    users: {identity: jwt_sub, distinct_interval: 1d}\n",
     {},
     "services[0].users.distinct_interval: ",
     "'1d' is not a duration"},
    {"bad users in REDEYE_SERVICES",
     "",
     {{"REDEYE_SERVICES", "[{name: a, match: {port: 80}, users: {identity: header}}]"}},
     "REDEYE_SERVICES[0].users.header: ",
     "is missing"},
    {"relative users hash key file",
     "users_hash_key_file: keys/users\n",
     {},
     "users_hash_key_file: ",
     "'keys/users' is not an absolute path"},
    {"missing users hash key file",
     "users_hash_key_file: /nonexistent/redeye-users-hash-key\n",
     {},
     "users_hash_key_file: ",
     "cannot be read: No such file or directory"},
    {"users hash key file is a directory",
     "users_hash_key_file: /\n",
     {},
     "users_hash_key_file: ",
     "cannot be read: it is a directory"},
    {"missing users hash key file from the environment",
     "",
     {{"REDEYE_USERS_HASH_KEY_FILE", "/nonexistent/redeye-users-hash-key"}},
     "REDEYE_USERS_HASH_KEY_FILE: ",
     "cannot be read"},
    {"short users hash key in the environment",
     "",
     {{"REDEYE_USERS_HASH_KEY", "short"}},
     "REDEYE_USERS_HASH_KEY: ",
     "holds 5 bytes, a key needs at least 16"},
};

TEST(ConfigLoaderErrors, EachBadKeyNamesItsPathTheProblemAndAnExample) {
  EXPECT_GE(std::size(kBadCases), 20u);
  for (const BadCase& bad : kBadCases) {
    SCOPED_TRACE(bad.name);
    const std::string error = load_error(bad.yaml, bad.env);
    ASSERT_FALSE(error.empty()) << "loaded without error";
    EXPECT_EQ(error.rfind(bad.key_prefix, 0), 0u) << error;
    EXPECT_NE(error.find(bad.contains), std::string::npos) << error;
    EXPECT_NE(error.find(" (example: "), std::string::npos) << error;
    EXPECT_EQ(error.back(), ')') << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
}

TEST(ConfigLoaderErrors, MessageIsExactlyKeyProblemExample) {
  EXPECT_EQ(load_error("", {{"REDEYE_CAPTURE_BYTES", "abc"}}),
            "REDEYE_CAPTURE_BYTES: 'abc' is not a whole number (example: 4096)");
  EXPECT_EQ(load_error("services:\n  - name: a\n    match: {prot: 8080}\n"),
            "services[0].match.prot: unknown key, did you mean port? (example: port: 8080)");
}

TEST(ConfigLoaderErrors, KeyAccessorMatchesThePrefix) {
  try {
    load_config_from_string("discovery:\n  use_interval: 5 parsecs\n", "test.yaml", {});
    FAIL() << "loaded";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "discovery.use_interval");
  }
  const ConfigError from_line("capture_bytes: 0 is outside 1..8192 (example: 4096)");
  EXPECT_EQ(from_line.key(), "capture_bytes");
}

TEST(ConfigLoaderErrors, ValuesWithNewlinesStayOnOneLine) {
  const std::string error = load_error("listen: |\n  a\n  b\n");
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_EQ(error.rfind("listen: ", 0), 0u) << error;
}

TEST(ConfigLoaderErrors, MissingFileNamesThePath) {
  const std::string path = testing::TempDir() + "redeye_config_test_does_not_exist.yaml";
  try {
    load_config(path, {});
    FAIL() << "loaded";
  } catch (const ConfigError& e) {
    const std::string error = e.what();
    EXPECT_EQ(error.rfind(path + ": cannot read the configuration file", 0), 0u) << error;
    EXPECT_NE(error.find("(example: "), std::string::npos) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    EXPECT_EQ(e.key(), path);
  }
}

TEST(ConfigLoaderErrors, DirectoryIsNotAConfigFile) {
  try {
    load_config(testing::TempDir(), {});
    FAIL() << "loaded";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
}

TEST(ConfigLoaderErrors, SyntaxErrorInFileNamesPathAndLine) {
  const std::string path = write_temp_file("syntax.yaml", "listen: \":9464\"\nservices: [\n");
  try {
    load_config(path, {});
    FAIL() << "loaded";
  } catch (const ConfigError& e) {
    const std::string error = e.what();
    EXPECT_EQ(error.rfind(path + ": is not valid YAML", 0), 0u) << error;
    EXPECT_NE(error.find("line "), std::string::npos) << error;
  }
  std::remove(path.c_str());
}

// --- What loads, and into which values. ---

constexpr const char kFullExample[] = R"yaml(
listen: "127.0.0.1:9500"
log_level: debug
capture_bytes: 2048
max_connections: 1024
route_limit: 50
ring_buffer_bytes: 16777216
discovery:
  listening_processes: false
  use_interval: 500ms
  storage_interval: 2m
  storage_max_entries: 5000
services:
  - name: shop-api
    namespace: alexandrite
    match:
      exe: "/usr/bin/python3*"
      cmdline: "http\\.server"
      port: [8080, "8000-8100"]
      pid: 1234
      cgroup: "/system.slice/shop.service"
      container_id: "4f1c2a9b8e7d"
    routes: ["/orders/{id}", "/health"]
    storage_paths: ["/var/lib/postgresql/15/main"]
    users: {identity: header, header: X-Api-Key, top_k: 10}
  - name: db
    match: {port: 5432}
exclude:
  - exe: "/usr/sbin/sshd"
  - port: 22
    pid: 1
)yaml";

Config full_example_struct() {
  Config c;
  c.listen = "127.0.0.1:9500";
  c.log_level = "debug";
  c.capture_bytes = 2048;
  c.max_connections = 1024;
  c.route_limit = 50;
  c.ring_buffer_bytes = 16777216;
  c.discovery.listening_processes = false;
  c.discovery.use_interval_ms = 500;
  c.discovery.storage_interval_ms = 120000;
  c.discovery.storage_max_entries = 5000;
  ServiceRule shop;
  shop.name = "shop-api";
  shop.service_namespace = "alexandrite";
  shop.match.exe = "/usr/bin/python3*";
  shop.match.cmdline = "http\\.server";
  shop.match.ports = {PortRange{8080, 8080}, PortRange{8000, 8100}};
  shop.match.pid = 1234;
  shop.match.cgroup = "/system.slice/shop.service";
  shop.match.container_id = "4f1c2a9b8e7d";
  shop.routes = {"/orders/{id}", "/health"};
  shop.storage_paths = {"/var/lib/postgresql/15/main"};
  shop.users.identity = "header";
  shop.users.header = "X-Api-Key";
  shop.users.top_k = 10;
  ServiceRule db;
  db.name = "db";
  db.match.ports = {PortRange{5432, 5432}};
  c.services = {shop, db};
  ProcessSelector sshd;
  sshd.exe = "/usr/sbin/sshd";
  ProcessSelector init_ssh;
  init_ssh.ports = {PortRange{22, 22}};
  init_ssh.pid = 1;
  c.exclude = {sshd, init_ssh};
  return c;
}

TEST(ConfigLoader, FullExampleFileParsesIntoExactValues) {
  const std::string path = write_temp_file("full.yaml", kFullExample);
  expect_same_config(load_config(path, {}), full_example_struct());
  std::remove(path.c_str());
}

TEST(ConfigLoader, EmbeddedDefaultEqualsConfigDefaults) {
  expect_same_config(load_config("", {}), Config{});
}

TEST(ConfigLoader, EmbeddedDefaultMakesListeningProcessesServices) {
  const std::string yaml = embedded_default_config_yaml();
  EXPECT_NE(yaml.find("listening_processes: true"), std::string::npos);
  EXPECT_NE(yaml.find("listen: \"0.0.0.0:9464\""), std::string::npos);
  EXPECT_NE(yaml.find('#'), std::string::npos) << "the default should explain itself";
  const Config config = load_config("", {});
  EXPECT_TRUE(config.discovery.listening_processes);
  EXPECT_TRUE(config.services.empty());
  EXPECT_TRUE(config.exclude.empty());
  // Loading the embedded text as a file gives the same result.
  expect_same_config(load_config_from_string(yaml, "default.yaml", {}), Config{});
}

TEST(ConfigLoader, EmptyFileKeepsDefaults) {
  expect_same_config(load_config_from_string("", "empty.yaml", {}), Config{});
  expect_same_config(load_config_from_string("# nothing but a comment\n", "c.yaml", {}), Config{});
}

TEST(ConfigLoader, FileOverridesOnlyTheKeysItNames) {
  const Config config = load_config_from_string(
      "listen: \":9000\"\ndiscovery:\n  use_interval: 1s\n", "partial.yaml", {});
  EXPECT_EQ(config.listen, ":9000");
  EXPECT_EQ(config.discovery.use_interval_ms, 1000u);
  // Untouched keys, including siblings inside discovery, keep their defaults.
  const Config defaults;
  EXPECT_EQ(config.log_level, defaults.log_level);
  EXPECT_EQ(config.capture_bytes, defaults.capture_bytes);
  EXPECT_EQ(config.discovery.listening_processes, defaults.discovery.listening_processes);
  EXPECT_EQ(config.discovery.storage_interval_ms, defaults.discovery.storage_interval_ms);
  EXPECT_EQ(config.discovery.storage_max_entries, defaults.discovery.storage_max_entries);
}

TEST(ConfigLoader, EnvironmentOverridesFile) {
  const std::string path = write_temp_file("env.yaml", kFullExample);
  const Env env = {
      {"REDEYE_LISTEN", ":7000"},
      {"REDEYE_LOG_LEVEL", "warn"},
      {"REDEYE_CAPTURE_BYTES", "512"},
      {"REDEYE_MAX_CONNECTIONS", "128"},
      {"REDEYE_ROUTE_LIMIT", "7"},
      {"REDEYE_RING_BUFFER_BYTES", "65536"},
      {"REDEYE_DISCOVERY_LISTENING_PROCESSES", "true"},
      {"REDEYE_DISCOVERY_USE_INTERVAL", "10s"},
      {"REDEYE_DISCOVERY_STORAGE_INTERVAL", "1h"},
      {"REDEYE_DISCOVERY_STORAGE_MAX_ENTRIES", "42"},
      {"REDEYE_SERVICES", "[{name: web, match: {port: [80, 443]}, routes: [/a]}]"},
      {"REDEYE_EXCLUDE", "[{cgroup: /system.slice/sshd.service}]"},
      {"PATH", "/usr/bin"},
  };
  const Config config = load_config(path, env);
  EXPECT_EQ(config.listen, ":7000");
  EXPECT_EQ(config.log_level, "warn");
  EXPECT_EQ(config.capture_bytes, 512u);
  EXPECT_EQ(config.max_connections, 128u);
  EXPECT_EQ(config.route_limit, 7u);
  EXPECT_EQ(config.ring_buffer_bytes, 65536u);
  EXPECT_TRUE(config.discovery.listening_processes);
  EXPECT_EQ(config.discovery.use_interval_ms, 10000u);
  EXPECT_EQ(config.discovery.storage_interval_ms, 3600000u);
  EXPECT_EQ(config.discovery.storage_max_entries, 42u);
  ASSERT_EQ(config.services.size(), 1u);
  EXPECT_EQ(config.services[0].name, "web");
  ASSERT_EQ(config.services[0].match.ports.size(), 2u);
  EXPECT_EQ(config.services[0].match.ports[1].first, 443);
  EXPECT_EQ(config.services[0].routes, std::vector<std::string>{"/a"});
  ASSERT_EQ(config.exclude.size(), 1u);
  EXPECT_EQ(config.exclude[0].cgroup, "/system.slice/sshd.service");
  std::remove(path.c_str());
}

TEST(ConfigLoader, EnvironmentOverridesDefaultsWithoutFile) {
  const Config config = load_config("", {{"REDEYE_ROUTE_LIMIT", "3"}});
  EXPECT_EQ(config.route_limit, 3u);
  EXPECT_EQ(config.listen, Config{}.listen);
}

TEST(ConfigLoader, EmptyEnvironmentValueMeansUnset) {
  const Config config = load_config_from_string(
      "capture_bytes: 1024\n", "t.yaml",
      {{"REDEYE_CAPTURE_BYTES", ""}, {"REDEYE_SERVICES", ""}, {"REDEYE_LISTEN", ""}});
  EXPECT_EQ(config.capture_bytes, 1024u);
  EXPECT_EQ(config.listen, Config{}.listen);
}

TEST(ConfigLoader, EnvironmentEmptyListClearsFileList) {
  const Config config =
      load_config_from_string(kFullExample, "t.yaml", {{"REDEYE_SERVICES", "[]"}});
  EXPECT_TRUE(config.services.empty());
  EXPECT_EQ(config.exclude.size(), 2u);
}

TEST(ConfigLoader, UnknownRedeyeVariablesAreIgnoredButReported) {
  const Env env = {{"REDEYE_LISTN", ":1"}, {"REDEYE_LISTEN", ":9100"}, {"HOME", "/root"}};
  EXPECT_EQ(load_config("", env).listen, ":9100");
  EXPECT_EQ(unknown_redeye_variables(env), std::vector<std::string>{"REDEYE_LISTN"});
}

struct DurationCase {
  const char* text;
  uint32_t ms;
};

TEST(ConfigLoader, DurationsParse) {
  const DurationCase cases[] = {
      {"500ms", 500},  {"5s", 5000},     {"1m", 60000},      {"1500", 1500},
      {"2h", 7200000}, {" 10s ", 10000}, {"\"250ms\"", 250},
  };
  for (const DurationCase& c : cases) {
    SCOPED_TRACE(c.text);
    const Config config = load_config_from_string(
        std::string("discovery:\n  use_interval: ") + c.text + "\n", "d.yaml", {});
    EXPECT_EQ(config.discovery.use_interval_ms, c.ms);
  }
  EXPECT_EQ(
      load_config("", {{"REDEYE_DISCOVERY_STORAGE_INTERVAL", "90s"}}).discovery.storage_interval_ms,
      90000u);
}

TEST(ConfigLoader, BooleansParse) {
  const std::pair<const char*, bool> cases[] = {{"true", true}, {"false", false}, {"yes", true},
                                                {"no", false},  {"True", true},   {"off", false}};
  for (const auto& [text, value] : cases) {
    SCOPED_TRACE(text);
    const Config config = load_config_from_string(
        std::string("discovery:\n  listening_processes: ") + text + "\n", "b.yaml", {});
    EXPECT_EQ(config.discovery.listening_processes, value);
    EXPECT_EQ(load_config("", {{"REDEYE_DISCOVERY_LISTENING_PROCESSES", text}})
                  .discovery.listening_processes,
              value);
  }
}

struct PortCase {
  const char* yaml;
  std::vector<std::pair<uint16_t, uint16_t>> ranges;
};

TEST(ConfigLoader, PortFormsParseIntoRanges) {
  const PortCase cases[] = {
      {"8080", {{8080, 8080}}},
      {"\"8080\"", {{8080, 8080}}},
      {"8000-8100", {{8000, 8100}}},
      {"\"8000 - 8100\"", {{8000, 8100}}},
      {"1-65535", {{1, 65535}}},
      {"[80, 443]", {{80, 80}, {443, 443}}},
      {"[80, \"8000-8100\", 9000-9000]", {{80, 80}, {8000, 8100}, {9000, 9000}}},
      {"\n        - 80\n        - 443", {{80, 80}, {443, 443}}},
  };
  for (const PortCase& c : cases) {
    SCOPED_TRACE(c.yaml);
    const Config config = load_config_from_string(
        std::string("services:\n  - name: a\n    match:\n      port: ") + c.yaml + "\n", "p.yaml",
        {});
    ASSERT_EQ(config.services.size(), 1u);
    const auto& ports = config.services[0].match.ports;
    ASSERT_EQ(ports.size(), c.ranges.size());
    for (std::size_t i = 0; i < ports.size(); ++i) {
      EXPECT_EQ(ports[i].first, c.ranges[i].first);
      EXPECT_EQ(ports[i].last, c.ranges[i].second);
    }
  }
}

TEST(ConfigLoader, NullListsAreEmpty) {
  const Config config = load_config_from_string("services:\nexclude:\n", "n.yaml", {});
  EXPECT_TRUE(config.services.empty());
  EXPECT_TRUE(config.exclude.empty());
}

TEST(ConfigLoader, EnvironmentFromEnvp) {
  char a[] = "REDEYE_LISTEN=:9000";
  char b[] = "EMPTY=";
  char c[] = "WITH_EQUALS=a=b";
  char d[] = "NOEQUALS";
  char* envp[] = {a, b, c, d, nullptr};
  const Env env = environment_from(envp);
  EXPECT_EQ(env.size(), 3u);
  EXPECT_EQ(env.at("REDEYE_LISTEN"), ":9000");
  EXPECT_EQ(env.at("EMPTY"), "");
  EXPECT_EQ(env.at("WITH_EQUALS"), "a=b");
  EXPECT_TRUE(environment_from(nullptr).empty());
}

// --- validate() on values built in code (no YAML): the checks added for the new fields. ---

TEST(ConfigValidate, NewFieldChecksNameTheirKeys) {
  struct Case {
    const char* name;
    void (*mutate)(Config&);
    const char* prefix;
  };
  const Case cases[] = {
      {"short use interval", [](Config& c) { c.discovery.use_interval_ms = 10; },
       "discovery.use_interval: 10ms"},
      {"port zero",
       [](Config& c) {
         c.services.push_back({"a", "", {}, {}, {}, {}});
         c.services[0].match.ports = {PortRange{0, 0}};
       },
       "services[0].match.port: "},
      {"second range backwards",
       [](Config& c) {
         c.services.push_back({"a", "", {}, {}, {}, {}});
         c.services[0].match.ports = {PortRange{80, 80}, PortRange{90, 85}};
       },
       "services[0].match.port[1]: "},
      {"exclude pid zero",
       [](Config& c) {
         c.exclude.emplace_back();
         c.exclude[0].pid = 0;
       },
       "exclude[0].pid: "},
  };
  for (const Case& bad : cases) {
    SCOPED_TRACE(bad.name);
    Config config;
    bad.mutate(config);
    const std::string error = validate(config);
    EXPECT_EQ(error.rfind(bad.prefix, 0), 0u) << error;
    EXPECT_NE(error.find("(example: "), std::string::npos) << error;
  }
  EXPECT_EQ(validate(full_example_struct()), "");
}

// --- services[].users and the users hash key. ---

TEST(ConfigLoader, UsersBlockParses) {
  const Config config = load_config_from_string(R"yaml(
services:
  - name: mes-api
    match: {port: 8080}
    users:
      identity: header
      header: X-User-Id
      top_k: 50
      clear_identities: true
      capture_bytes: 8192
      distinct_interval: 5m
  - name: crm-api
    match: {port: 8081}
    users: {identity: jwt_sub}
  - name: plain
    match: {port: 8082}
)yaml",
                                                "u.yaml", {});
  ASSERT_EQ(config.services.size(), 3u);
  const UserTracking& mes = config.services[0].users;
  EXPECT_TRUE(mes.enabled());
  EXPECT_EQ(mes.identity, "header");
  EXPECT_EQ(mes.header, "X-User-Id");
  EXPECT_EQ(mes.top_k, 50u);
  EXPECT_TRUE(mes.clear_identities);
  EXPECT_EQ(mes.capture_bytes, 8192u);
  EXPECT_EQ(mes.distinct_interval_ms, 300000u);
  const UserTracking& crm = config.services[1].users;
  EXPECT_EQ(crm.identity, "jwt_sub");
  EXPECT_EQ(crm.header, "");
  EXPECT_EQ(crm.top_k, 20u);
  EXPECT_FALSE(crm.clear_identities);
  EXPECT_EQ(crm.capture_bytes, 0u);
  EXPECT_EQ(crm.distinct_interval_ms, 60000u);
  EXPECT_FALSE(config.services[2].users.enabled());
  for (const char* identity : {"header", "jwt_sub", "basic_user", "client_address"}) {
    SCOPED_TRACE(identity);
    const std::string header = std::string(identity) == "header" ? ", header: X-Api-Key" : "";
    const Config c = load_config_from_string(
        std::string("services:\n  - name: a\n    match: {port: 80}\n    users: {identity: ") +
            identity + header + "}\n",
        "u.yaml", {});
    EXPECT_EQ(c.services[0].users.identity, identity);
  }
}

TEST(ConfigLoader, UsersCaptureBytesRaisesTheGlobalLimitOnly) {
  Config config = load_config_from_string(R"yaml(
capture_bytes: 2048
services:
  - name: a
    match: {port: 80}
    users: {identity: jwt_sub, capture_bytes: 6000}
  - name: b
    match: {port: 81}
    users: {identity: basic_user, capture_bytes: 1024}
)yaml",
                                          "c.yaml", {});
  EXPECT_EQ(config.capture_bytes, 2048u);  // the configured value is kept as is
  EXPECT_EQ(effective_capture_bytes(config), 6000u);
  config.services[0].users.capture_bytes = 0;
  EXPECT_EQ(effective_capture_bytes(config), 2048u);  // smaller values never lower it
  EXPECT_EQ(effective_capture_bytes(Config{}), 4096u);
}

TEST(ConfigLoader, UsersHashKeyFromFileOrEnvironment) {
  const std::string path = write_temp_file("users-hash-key", "0123456789abcdef0123\n");
  Config config = load_config_from_string("users_hash_key_file: " + path + "\n", "k.yaml", {});
  EXPECT_EQ(config.users_hash_key_file, path);
  EXPECT_EQ(config.users_hash_key, "0123456789abcdef0123");  // one trailing newline dropped
  config = load_config("", {{"REDEYE_USERS_HASH_KEY_FILE", path}});
  EXPECT_EQ(config.users_hash_key, "0123456789abcdef0123");
  // The key given directly wins over the file, which is then not read.
  config = load_config_from_string("users_hash_key_file: /nonexistent/key\n", "k.yaml",
                                   {{"REDEYE_USERS_HASH_KEY", "a-key-from-the-environment"}});
  EXPECT_EQ(config.users_hash_key, "a-key-from-the-environment");
  EXPECT_EQ(load_config("", {}).users_hash_key, "");
  EXPECT_TRUE(unknown_redeye_variables(
                  {{"REDEYE_USERS_HASH_KEY", "x"}, {"REDEYE_USERS_HASH_KEY_FILE", "/k"}})
                  .empty());
  std::remove(path.c_str());
}

TEST(ConfigLoaderErrors, ShortUsersHashKeyFileNeverShowsTheKey) {
  const std::string path = write_temp_file("short-key", "s3cr\n");
  const std::string error = load_error("users_hash_key_file: " + path + "\n");
  EXPECT_EQ(error.rfind("users_hash_key_file: '" + path + "' holds 4 bytes", 0), 0u) << error;
  EXPECT_EQ(error.find("s3cr"), std::string::npos) << error;
  const std::string env_error = load_error("", {{"REDEYE_USERS_HASH_KEY", "s3cr3t"}});
  EXPECT_EQ(env_error.find("s3cr3t"), std::string::npos) << env_error;
  std::remove(path.c_str());
}

TEST(ConfigValidate, UsersChecksNameTheirKeys) {
  Config config;
  config.services.push_back({"a", "", {}, {}, {}, {}});
  config.services[0].match.ports = {PortRange{80, 80}};
  config.services[0].users.header = "X-User-Id";  // without identity
  EXPECT_EQ(validate(config).rfind("services[0].users.identity: is missing", 0), 0u)
      << validate(config);
  config.services[0].users.identity = "header";
  EXPECT_EQ(validate(config), "");
  config.services[0].users.top_k = 0;
  EXPECT_EQ(validate(config).rfind("services[0].users.top_k: 0 is outside", 0), 0u)
      << validate(config);
}

}  // namespace
}  // namespace redeye
