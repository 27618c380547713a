#include "config/config.h"

#include <gtest/gtest.h>

namespace redeye {
namespace {

TEST(ConfigTest, DefaultsAreValid) { EXPECT_EQ(validate(Config{}), ""); }

struct BadCase {
  const char* name;
  void (*mutate)(Config&);
  const char* expected_prefix;
};

TEST(ConfigTest, EachBadSettingNamesItsKeyAndAnExample) {
  const BadCase cases[] = {
      {"listen without port", [](Config& c) { c.listen = "localhost"; }, "listen:"},
      {"listen port zero", [](Config& c) { c.listen = ":0"; }, "listen:"},
      {"listen port too big", [](Config& c) { c.listen = "127.0.0.1:70000"; }, "listen:"},
      {"capture zero", [](Config& c) { c.capture_bytes = 0; }, "capture_bytes:"},
      {"capture too big", [](Config& c) { c.capture_bytes = 8193; }, "capture_bytes:"},
      {"few connections", [](Config& c) { c.max_connections = 10; }, "max_connections:"},
      {"no routes", [](Config& c) { c.route_limit = 0; }, "route_limit:"},
      {"no server ports", [](Config& c) { c.server_port_limit = 0; }, "server_port_limit:"},
      {"expiry too short", [](Config& c) { c.series_expiry_ms = 10; }, "series_expiry:"},
      {"ring not pow2", [](Config& c) { c.ring_buffer_bytes = 5000; }, "ring_buffer_bytes:"},
      {"log level", [](Config& c) { c.log_level = "loud"; }, "log_level:"},
  };
  for (const auto& bad : cases) {
    Config config;
    bad.mutate(config);
    const std::string error = validate(config);
    EXPECT_EQ(error.rfind(bad.expected_prefix, 0), 0u) << bad.name << ": " << error;
    EXPECT_NE(error.find("example"), std::string::npos) << bad.name << ": " << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << bad.name;
  }
}

TEST(ConfigTest, ListenAddressForms) {
  EXPECT_EQ(normalize_listen_address(":9464"), "0.0.0.0:9464");
  EXPECT_EQ(normalize_listen_address("127.0.0.1:9000"), "127.0.0.1:9000");
  Config config;
  config.listen = ":9464";
  EXPECT_EQ(validate(config), "");
}

}  // namespace
}  // namespace redeye
