// Reading values out of a YAML configuration document, each failure a ConfigError naming the
// key path, what is wrong and a valid example. Used by the loader for the file and for
// REDEYE_* variables alike; not part of the agent's public API.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "config/config.h"

namespace redeye::config_yaml {

// A key known at one level of the document and an example "key: value" for it.
struct KeySpec {
  const char* name;
  const char* example;  // a valid value
};

[[noreturn]] void fail(const std::string& key, const std::string& problem,
                       const std::string& example);
// A user's value inside a message: quoted, and cut when long.
std::string shown(const std::string& value);

// The example for `name` among `keys`, or "" when the key is unknown.
const char* example_of(std::span<const KeySpec> keys, const std::string& name);
// The known key closest to an unknown one, or nullptr when none is close enough to be a typo.
const KeySpec* closest_key(std::span<const KeySpec> keys, const std::string& unknown);
std::string child(const std::string& path, const std::string& key);
std::string element(const std::string& path, std::size_t index);
const char* kind_of(const YAML::Node& node);

// Calls visit(key, value) for each entry of a mapping, after checking that every key is known
// and given once.
void for_each_entry(const YAML::Node& map, const std::string& path, std::span<const KeySpec> keys,
                    const std::function<void(const std::string&, const YAML::Node&)>& visit);

std::string scalar_text(const YAML::Node& node, const std::string& key, const char* example);
// A string value that may not be empty.
std::string non_empty_text(const YAML::Node& node, const std::string& key, const char* example);
std::string trimmed(const std::string& text);
uint32_t parse_uint32(const std::string& raw, const std::string& key, const char* example);
bool parse_bool(const std::string& raw, const std::string& key, const char* example);
// "500ms", "5s", "1m", "1h" or whole milliseconds.
uint32_t parse_duration_ms(const std::string& raw, const std::string& key, const char* example);
// A port, "FIRST-LAST", or a list of those.
std::vector<PortRange> parse_ports(const YAML::Node& node, const std::string& key);

// One YAML document (an empty text is a null node); `source` names it in errors.
YAML::Node parse_yaml(const std::string& text, const std::string& source, const char* example);
// The configuration file's text; errors name the path.
std::string read_file(const std::string& path);

}  // namespace redeye::config_yaml
