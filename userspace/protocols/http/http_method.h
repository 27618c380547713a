// Request-method canonicalisation for metric labels (OpenTelemetry `http.request.method`).
#pragma once

#include <cstddef>
#include <string_view>

namespace redeye::http {

// Label used for every method outside the known set.
inline constexpr std::string_view kOtherMethod = "_OTHER";

// Returns `method` if it is exactly (case-sensitively, as RFC 9110 methods are) one of
// GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH, otherwise "_OTHER". The returned view
// always refers to static storage, never to `method`, so it may outlive the argument.
std::string_view canonical_method(std::string_view method);

// The same as a small integer, for tables indexed by method label: canonical_method(m) is
// method_label(canonical_method_index(m)), and the index is < kMethodLabelCount.
inline constexpr std::size_t kMethodLabelCount = 10;
std::size_t canonical_method_index(std::string_view method);
std::string_view method_label(std::size_t index);

}  // namespace redeye::http
