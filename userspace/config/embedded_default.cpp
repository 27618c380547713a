// The configuration used when no file is given (`redeye default-config` prints it), generated
// from the key table (config_keys.cpp) and the values of a default-constructed Config.
#include "config/config_keys.h"
#include "config/config_loader.h"

namespace redeye {

const char* embedded_default_config_yaml() {
  static const std::string text = generate_default_config_yaml();
  return text.c_str();
}

}  // namespace redeye
