#include "protocols/http/http_method.h"

#include <array>
#include <cstring>

namespace redeye::http {

namespace {

constexpr std::array<std::string_view, kMethodLabelCount> kLabels = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", kOtherMethod,
};
constexpr std::size_t kOtherIndex = kMethodLabelCount - 1;

}  // namespace

std::size_t canonical_method_index(std::string_view method) {
  // Only the known methods of the method's length are compared (memcmp of a constant size).
  const auto is = [&](std::size_t index) {
    return std::memcmp(method.data(), kLabels[index].data(), kLabels[index].size()) == 0;
  };
  switch (method.size()) {
    case 3:
      return is(0) ? 0 : is(3) ? 3 : kOtherIndex;
    case 4:
      return is(1) ? 1 : is(2) ? 2 : kOtherIndex;
    case 5:
      return is(7) ? 7 : is(8) ? 8 : kOtherIndex;
    case 6:
      return is(4) ? 4 : kOtherIndex;
    case 7:
      return is(5) ? 5 : is(6) ? 6 : kOtherIndex;
    default:
      return kOtherIndex;
  }
}

std::string_view method_label(std::size_t index) {
  return index < kMethodLabelCount ? kLabels[index] : kOtherMethod;
}

std::string_view canonical_method(std::string_view method) {
  return kLabels[canonical_method_index(method)];
}

}  // namespace redeye::http
