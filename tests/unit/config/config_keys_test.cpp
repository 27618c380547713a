// The key table (userspace/config/config_keys.cpp) holds the embedded default, the environment
// variables, the enums and docs/CONFIGURATION.md together.
#include "config/config_keys.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "config_test_support.h"

namespace redeye {
namespace {

using config_test::Env;
using config_test::expect_same_config;
using config_test::load_error;

std::string leaf(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

// A valid value for the key that differs from its default.
std::string other_value(const ConfigKey& key) {
  switch (key.type) {
    case KeyType::kBool:
      return format_config_value(key, Config{}) == "true" ? "false" : "true";
    case KeyType::kUint:
      return key.path == std::string("ring_buffer_bytes") ? "65536" : "8000";
    case KeyType::kDuration:
      return "7s";
    case KeyType::kString:
      if (key.path == std::string("listen")) return ":7001";
      if (key.path == std::string("log_level")) return "debug";
      if (key.path == std::string("web.tls_key_file")) return "/k.pem";  // needs the cert too
      return "/etc/redeye/other";
    case KeyType::kEnum:
      return key.values.back();
  }
  return "";
}

TEST(ConfigKeys, EveryKeyIsInTheEmbeddedDefault) {
  const std::string yaml = embedded_default_config_yaml();
  for (const ConfigKey& key : config_keys()) {
    EXPECT_NE(yaml.find(leaf(key.path) + ": " + format_config_value(key, Config{}) + "\n"),
              std::string::npos)
        << key.path;
    EXPECT_NE(yaml.find(std::string("# ") + key.doc + "\n"), std::string::npos) << key.path;
  }
}

TEST(ConfigKeys, EmbeddedDefaultParsesBackToConfigDefaults) {
  expect_same_config(load_config_from_string(embedded_default_config_yaml(), "d.yaml", {}),
                     Config{});
  const Config parsed = load_config_from_string(embedded_default_config_yaml(), "d.yaml", {});
  for (const ConfigKey& key : config_keys()) {
    EXPECT_EQ(format_config_value(key, parsed), format_config_value(key, Config{})) << key.path;
  }
}

TEST(ConfigKeys, EveryKeyAndVariableIsInTheReference) {
  std::ifstream in(REDEYE_SOURCE_DIR "/docs/CONFIGURATION.md");
  ASSERT_TRUE(in) << "docs/CONFIGURATION.md";
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const ConfigKey& key : config_keys()) {
    EXPECT_NE(doc.find(std::string("| `") + key.path + "` |"), std::string::npos) << key.path;
    if (key.env != nullptr) {
      EXPECT_NE(doc.find(std::string("| `") + key.env + "` |"), std::string::npos) << key.env;
    }
  }
}

TEST(ConfigKeys, EachVariableOverridesItsKey) {
  std::set<std::string> seen;
  for (const ConfigKey& key : config_keys()) {
    if (key.env == nullptr) continue;
    EXPECT_TRUE(seen.insert(key.env).second) << "twice: " << key.env;
    Env env = {{key.env, other_value(key)}};
    if (key.path == std::string("web.tls_key_file")) env["REDEYE_WEB_TLS_CERT_FILE"] = "/c.pem";
    if (key.path == std::string("web.basic_auth_username")) {
      env["REDEYE_WEB_BASIC_AUTH_PASSWORD_FILE"] = "/p";
    }
    if (key.path == std::string("web.basic_auth_password_file")) {
      env["REDEYE_WEB_BASIC_AUTH_USERNAME"] = "u";
    }
    if (key.path == std::string("users_hash_key_file")) {
      env["REDEYE_USERS_HASH_KEY"] = "0123456789abcdef0123";  // the file is then not read
    }
    Config config;
    try {
      config = load_config_from_string("", "t.yaml", env);
    } catch (const ConfigError& e) {
      ADD_FAILURE() << key.env << ": " << e.what();
      continue;
    }
    Config expected;
    set_config_value(key, other_value(key), key.env, expected);
    EXPECT_EQ(format_config_value(key, config), format_config_value(key, expected)) << key.env;
    EXPECT_NE(format_config_value(key, config), format_config_value(key, Config{})) << key.env;
    EXPECT_TRUE(unknown_redeye_variables(env).empty()) << key.env;
  }
}

TEST(ConfigKeys, EnumsRejectAnUnknownValueInOneLine) {
  for (const ConfigKey& key : config_keys()) {
    if (key.type != KeyType::kEnum) continue;
    std::string all;
    for (const char* value : key.values) all += std::string(all.empty() ? "" : " ") + value;
    const std::string path = key.path;
    const auto dot = path.find('.');
    const std::string yaml = dot == std::string::npos ? path + ": bogus\n"
                                                      : path.substr(0, dot) + ":\n  " +
                                                            path.substr(dot + 1) + ": bogus\n";
    EXPECT_EQ(load_error(yaml),
              path + ": 'bogus' is unknown (example: " + key.example + "; one of " + all + ")");
    EXPECT_EQ(load_error("", {{key.env, "bogus"}}),
              std::string(key.env) + ": 'bogus' is unknown (example: " + key.example + "; one of " +
                  all + ")");
  }
}

TEST(ConfigKeys, EnumsParseIntoTheirValues) {
  EXPECT_EQ(load_config_from_string("io_hooks: socket\n", "t.yaml", {}).io_hooks,
            IoHooksSetting::kSocket);
  EXPECT_EQ(load_config_from_string("io_hooks: syscalls\n", "t.yaml", {}).io_hooks,
            IoHooksSetting::kSyscalls);
  EXPECT_EQ(load_config_from_string("discovery:\n  connection_counts: proc\n", "t.yaml", {})
                .discovery.connection_counts,
            ConnectionCountsSetting::kProc);
  EXPECT_EQ(to_string(IoHooksSetting::kAuto), "auto");
  EXPECT_EQ(to_string(IoHooksSetting::kSocket), "socket");
  EXPECT_EQ(to_string(IoHooksSetting::kSyscalls), "syscalls");
  EXPECT_EQ(to_string(ConnectionCountsSetting::kAuto), "auto");
  EXPECT_EQ(to_string(ConnectionCountsSetting::kIterator), "iterator");
  EXPECT_EQ(to_string(ConnectionCountsSetting::kProc), "proc");
}

TEST(ConfigKeys, RangesNameTheKeyAndAnExample) {
  EXPECT_EQ(load_error("capture_bytes: 9000\n"),
            "capture_bytes: 9000 is outside 1..8192 (example: 4096)");
  EXPECT_EQ(load_error("max_connections: 10\n"),
            "max_connections: 10 is below the minimum 64 (example: 65536)");
  EXPECT_EQ(load_error("route_limit: 0\n"), "route_limit: must be at least 1 (example: 100)");
  EXPECT_EQ(load_error("discovery:\n  use_interval: 50ms\n"),
            "discovery.use_interval: 50ms is below the minimum 100ms (example: 5s)");
  EXPECT_EQ(load_error("", {{"REDEYE_CAPTURE_BYTES", "0"}}),
            "REDEYE_CAPTURE_BYTES: 0 is outside 1..8192 (example: 4096)");
}

}  // namespace
}  // namespace redeye
