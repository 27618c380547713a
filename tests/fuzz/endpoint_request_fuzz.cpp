// libFuzzer target: the agent's own HTTP endpoint parses request heads from the network.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "web/basic_auth.h"
#include "web/endpoint_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const size_t end = redeye::web::request_head_end(bytes);
  auto request = redeye::web::parse_endpoint_request(
      end == std::string_view::npos ? bytes : bytes.substr(0, end));
  if (request) {
    redeye::web::authorized(request->authorization, {"prom", "s3cret"});
  }
  redeye::web::base64_decode(bytes);
  return 0;
}
