#include "protocols/http/http_method.h"

#include <array>

namespace redeye::http {

namespace {

constexpr std::array<std::string_view, 9> kKnownMethods = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
};

}  // namespace

std::string_view canonical_method(std::string_view method) {
  for (std::string_view known : kKnownMethods) {
    if (method == known) return known;
  }
  return kOtherMethod;
}

}  // namespace redeye::http
