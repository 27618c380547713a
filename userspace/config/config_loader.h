// Loads the agent's Config once at start-up: the embedded default YAML, then the --config file,
// then REDEYE_* environment variables, each layer overriding the keys it names. The result is
// validated and passed down by value; nothing here is global.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.h"

namespace redeye {

// A bad key or value. what() is exactly one line:
//   "<key path>: <what is wrong> (example: <valid value>)"
// where the key path is a YAML path ("services[1].match.port", "discovery.use_interval"), an
// environment variable ("REDEYE_CAPTURE_BYTES", "REDEYE_SERVICES[0].name") or a file path.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(const std::string& key, const std::string& problem, const std::string& example);
  // An already formatted "key: problem (example: ...)" line, as validate() returns.
  explicit ConfigError(const std::string& line);

  // The key path the message starts with.
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

// defaults (embedded_default_config_yaml()) < the YAML file at path_or_empty (skipped when
// empty) < the REDEYE_* entries of env. Throws ConfigError on the first problem found,
// including those validate() reports.
Config load_config(const std::string& path_or_empty, const std::map<std::string, std::string>& env);

// As load_config, with the file's text given directly; source names it in errors about the
// document as a whole (a YAML syntax error, a document that is not a mapping).
Config load_config_from_string(const std::string& yaml_text, const std::string& source,
                               const std::map<std::string, std::string>& env);

// NAME=VALUE entries of a null-terminated environment block (main's envp, environ).
std::map<std::string, std::string> environment_from(char** envp);

// The REDEYE_* variables in env that are not overrides load_config knows. They are ignored by
// load_config; the caller may warn about them (a misspelled override silently does nothing).
std::vector<std::string> unknown_redeye_variables(const std::map<std::string, std::string>& env);

// The configuration used when no file is given, as commented YAML. It states the same values
// as a default-constructed Config.
const char* embedded_default_config_yaml();

}  // namespace redeye
