// The request head of the agent's own HTTP endpoint (/metrics, /healthz, /livez): the only
// bytes from the network the agent parses outside the kernel's capture. Pure, bounded and
// fuzzed (tests/fuzz/endpoint_request_fuzz.cpp).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace redeye::web {

inline constexpr size_t kMaxRequestHead = 8192;

struct EndpointRequest {
  std::string method;
  std::string path;  // query string removed
  std::string authorization;
};

// Where the head ends (just past "\r\n\r\n", or "\n\n"), or npos while incomplete.
size_t request_head_end(std::string_view bytes);

// Parses a complete head; nullopt when it is not an HTTP/1.x request.
std::optional<EndpointRequest> parse_endpoint_request(std::string_view head);

}  // namespace redeye::web
