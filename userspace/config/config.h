// Everything the agent can be told, parsed once (CLI today) and passed down by value.
#pragma once

#include <cstdint>
#include <string>

namespace redeye {

struct Config {
  // Where /metrics is served: "HOST:PORT" (":PORT" means every address).
  std::string listen = "0.0.0.0:9464";
  std::string log_level = "info";
  // Payload prefix copied per syscall for HTTP connections (1..8192). Larger captures more of
  // big request heads and pipelined bursts at more CPU per event.
  uint32_t capture_bytes = 4096;
  // Connections tracked at once, in the kernel (LRU) and in userspace.
  uint32_t max_connections = 65536;
  // Distinct http_route values per service before the rest fold into "_OTHER".
  uint32_t route_limit = 100;
  // Ring buffer size in bytes (power of two, >= 1 page).
  uint32_t ring_buffer_bytes = 8 * 1024 * 1024;
  // Benchmark floor: attach the same probes with programs that return at once.
  bool empty_probes = false;
};

// Returns an empty string when valid, else one line naming the key, the problem and a valid
// example value.
std::string validate(const Config& config);

// "HOST:PORT" / ":PORT" -> the form the HTTP server takes ("HOST:PORT", "0.0.0.0:PORT").
std::string normalize_listen_address(const std::string& listen);

}  // namespace redeye
