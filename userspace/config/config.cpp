#include "config/config.h"

#include <charconv>

namespace redeye {
namespace {

bool valid_port(const std::string& text) {
  unsigned port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  return ec == std::errc() && end == text.data() + text.size() && port > 0 && port < 65536;
}

}  // namespace

std::string normalize_listen_address(const std::string& listen) {
  if (!listen.empty() && listen.front() == ':') return "0.0.0.0" + listen;
  return listen;
}

std::string validate(const Config& config) {
  const std::string listen = normalize_listen_address(config.listen);
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || !valid_port(listen.substr(colon + 1))) {
    return "listen: '" + config.listen + "' is not HOST:PORT (example: 0.0.0.0:9464 or :9464)";
  }
  if (config.capture_bytes == 0 || config.capture_bytes > 8192) {
    return "capture_bytes: " + std::to_string(config.capture_bytes) +
           " is outside 1..8192 (example: 4096)";
  }
  if (config.max_connections < 64) {
    return "max_connections: " + std::to_string(config.max_connections) +
           " is below the minimum 64 (example: 65536)";
  }
  if (config.route_limit == 0) {
    return "route_limit: must be at least 1 (example: 100)";
  }
  const uint32_t rb = config.ring_buffer_bytes;
  if (rb < 4096 || (rb & (rb - 1)) != 0) {
    return "ring_buffer_bytes: " + std::to_string(rb) +
           " must be a power of two >= 4096 (example: 8388608)";
  }
  static const char* const kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  for (const char* level : kLevels) {
    if (config.log_level == level) return "";
  }
  return "log_level: '" + config.log_level + "' is unknown (example: info; one of trace debug info warn error)";
}

}  // namespace redeye
