// The configuration's scalar keys, declared once: YAML path, type, REDEYE_* variable, doc line
// and where the value lives in Config. The loader (YAML and environment), validate(), the
// embedded default (`redeye default-config`) and the tests that hold docs/CONFIGURATION.md to
// the keys all walk this table. To add a key: a field in Config (its initializer is the
// default), a row in kConfigKeys (config_keys.cpp), a line in docs/CONFIGURATION.md.
// The lists (services[], exclude[]) and their sub-keys keep dedicated code in the loader.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"

namespace redeye {

enum class KeyType {
  kBool,
  kUint,      // uint32_t
  kDuration,  // uint32_t milliseconds; YAML "500ms", "5s", "1m", "1h" or whole milliseconds
  kString,
  kEnum,  // an enum class with uint8_t underlying type; `values` in the enum's order
};

struct ConfigKey {
  const char* path;  // YAML path: "listen", "discovery.use_interval"
  KeyType type;
  const char* env;      // the REDEYE_* variable that overrides it, or nullptr
  const char* example;  // a valid value, shown in error messages
  const char* doc;      // one line: the comment in the embedded default
  // The field this key sets; the pointee's type follows `type` (bool, uint32_t, std::string,
  // uint8_t for enums).
  void* (*field)(Config&);
  std::span<const char* const> values = {};  // kEnum: the allowed values
  // kUint, kDuration: the accepted range (max 0: no upper bound). The message names it:
  // "must be at least 1", "N is below the minimum M", "N is outside MIN..MAX".
  uint32_t min = 0;
  uint32_t max = 0;
  // A check the range cannot state: "" when fine, else the problem and an example, as
  // "<problem> (example: <value>)", without the key.
  std::string (*check)(const Config&) = nullptr;
};

// Every scalar key, in the order the embedded default states them within their section.
std::span<const ConfigKey> config_keys();
// The row for a YAML path, or nullptr.
const ConfigKey* find_config_key(std::string_view path);

// The value of `key` in `config` as YAML text ("true", "4096", "5s", "\"0.0.0.0:9464\"").
std::string format_config_value(const ConfigKey& key, const Config& config);
// Sets `key` from a scalar's text; errors are ConfigErrors naming `shown_key` (the YAML path
// or the environment variable).
void set_config_value(const ConfigKey& key, const std::string& text, const std::string& shown_key,
                      Config& config);
// "" when the key's value in `config` is in range, else validate()'s one line.
std::string check_config_value(const ConfigKey& key, const Config& config);

// 60000 -> "1m", 5000 -> "5s", 250 -> "250ms": the forms the configuration file accepts.
std::string format_duration_ms(uint32_t ms);

// The embedded default configuration, generated from the table and Config{}.
std::string generate_default_config_yaml();

}  // namespace redeye
