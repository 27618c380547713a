// Shared by the configuration loader tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "config/config_loader.h"

namespace redeye::config_test {

using Env = std::map<std::string, std::string>;

// Writes text to a fresh file under the test temp dir and returns its path.
inline std::string write_temp_file(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + "redeye_config_test_" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return path;
}

// The message load_config_from_string throws, or "" when it loads.
inline std::string load_error(const std::string& yaml, const Env& env = {}) {
  try {
    load_config_from_string(yaml, "test.yaml", env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

inline void expect_same_selector(const ProcessSelector& a, const ProcessSelector& b,
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

inline void expect_same_config(const Config& a, const Config& b) {
  EXPECT_EQ(a.listen, b.listen);
  EXPECT_EQ(a.log_level, b.log_level);
  EXPECT_EQ(a.capture_bytes, b.capture_bytes);
  EXPECT_EQ(a.max_connections, b.max_connections);
  EXPECT_EQ(a.route_limit, b.route_limit);
  EXPECT_EQ(a.server_port_limit, b.server_port_limit);
  EXPECT_EQ(a.series_expiry_ms, b.series_expiry_ms);
  EXPECT_EQ(a.ring_buffer_bytes, b.ring_buffer_bytes);
  EXPECT_EQ(a.io_hooks, b.io_hooks);
  EXPECT_EQ(a.empty_probes, b.empty_probes);
  EXPECT_EQ(a.follow_all_processes, b.follow_all_processes);
  EXPECT_EQ(a.discovery.listening_processes, b.discovery.listening_processes);
  EXPECT_EQ(a.discovery.use_interval_ms, b.discovery.use_interval_ms);
  EXPECT_EQ(a.discovery.storage_interval_ms, b.discovery.storage_interval_ms);
  EXPECT_EQ(a.discovery.storage_max_entries, b.discovery.storage_max_entries);
  EXPECT_EQ(a.discovery.connection_counts, b.discovery.connection_counts);
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

}  // namespace redeye::config_test
