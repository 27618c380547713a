#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "config/config_loader.h"
#include "config_test_support.h"

namespace redeye {
namespace {

using namespace config_test;

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
    {"no server ports", "server_port_limit: 0\n", {}, "server_port_limit: ", "at least 1"},
    {"series expiry not a duration",
     "series_expiry: soon\n",
     {},
     "series_expiry: ",
     "not a duration"},
    {"series expiry too short", "series_expiry: 500ms\n", {}, "series_expiry: ", "below 1s"},
    {"series expiry from the environment",
     "",
     {{"REDEYE_SERIES_EXPIRY", "-1s"}},
     "REDEYE_SERIES_EXPIRY: ",
     "negative"},
    {"capture out of range", "capture_bytes: 9000\n", {}, "capture_bytes: ", "outside 1..8192"},
    {"ring buffer not a power of two",
     "ring_buffer_bytes: 5000000\n",
     {},
     "ring_buffer_bytes: ",
     "power of two"},
    {"unknown log level", "log_level: loud\n", {}, "log_level: ", "unknown"},
    {"unknown io hooks", "io_hooks: kprobes\n", {}, "io_hooks: ", "one of auto socket syscalls"},
    {"unknown connection counts",
     "discovery:\n  connection_counts: netlink\n",
     {},
     "discovery.connection_counts: ",
     "one of auto iterator proc"},
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

// --- services[].users and the users hash key. ---

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
