#include "config/config_loader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "config_test_support.h"

namespace redeye {
namespace {

using namespace config_test;

constexpr const char kFullExample[] = R"yaml(
listen: "127.0.0.1:9500"
log_level: debug
capture_bytes: 2048
max_connections: 1024
route_limit: 50
server_port_limit: 4
series_expiry: 90s
ring_buffer_bytes: 16777216
io_hooks: syscalls
discovery:
  listening_processes: false
  use_interval: 500ms
  storage_interval: 2m
  storage_max_entries: 5000
  connection_counts: proc
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
  c.server_port_limit = 4;
  c.series_expiry_ms = 90000;
  c.ring_buffer_bytes = 16777216;
  c.io_hooks = IoHooksSetting::kSyscalls;
  c.discovery.listening_processes = false;
  c.discovery.use_interval_ms = 500;
  c.discovery.storage_interval_ms = 120000;
  c.discovery.storage_max_entries = 5000;
  c.discovery.connection_counts = ConnectionCountsSetting::kProc;
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
      {"REDEYE_SERVER_PORT_LIMIT", "9"},
      {"REDEYE_SERIES_EXPIRY", "3s"},
      {"REDEYE_RING_BUFFER_BYTES", "65536"},
      {"REDEYE_DISCOVERY_LISTENING_PROCESSES", "true"},
      {"REDEYE_DISCOVERY_USE_INTERVAL", "10s"},
      {"REDEYE_DISCOVERY_STORAGE_INTERVAL", "1h"},
      {"REDEYE_DISCOVERY_STORAGE_MAX_ENTRIES", "42"},
      {"REDEYE_DISCOVERY_CONNECTION_COUNTS", "iterator"},
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
  EXPECT_EQ(config.server_port_limit, 9u);
  EXPECT_EQ(config.series_expiry_ms, 3000u);
  EXPECT_EQ(config.ring_buffer_bytes, 65536u);
  EXPECT_TRUE(config.discovery.listening_processes);
  EXPECT_EQ(config.discovery.use_interval_ms, 10000u);
  EXPECT_EQ(config.discovery.storage_interval_ms, 3600000u);
  EXPECT_EQ(config.discovery.storage_max_entries, 42u);
  EXPECT_EQ(config.discovery.connection_counts, ConnectionCountsSetting::kIterator);
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

}  // namespace
}  // namespace redeye
