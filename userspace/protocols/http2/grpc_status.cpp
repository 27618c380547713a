#include "protocols/http2/grpc_status.h"

#include <array>

namespace redeye::http2 {
namespace {

constexpr std::array<std::string_view, 17> kCodeNames = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

// RST_STREAM error codes (RFC 9113 section 7).
constexpr uint32_t kRefusedStream = 0x7;
constexpr uint32_t kCancel = 0x8;
constexpr uint32_t kEnhanceYourCalm = 0xb;

bool segment_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

std::string_view grpc_code_name(int code) {
  if (code < 0 || code >= static_cast<int>(kCodeNames.size())) return "UNKNOWN";
  return kCodeNames[static_cast<size_t>(code)];
}

std::string_view grpc_status_for_http(int http_status) {
  switch (http_status) {
    case 400:
      return "INTERNAL";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "UNIMPLEMENTED";
    case 429:
    case 502:
    case 503:
    case 504:
      return "UNAVAILABLE";
    default:
      return "UNKNOWN";
  }
}

std::string_view grpc_status_for_reset(uint32_t error_code) {
  switch (error_code) {
    case kCancel:
      return "CANCELLED";
    case kRefusedStream:
      return "UNAVAILABLE";
    case kEnhanceYourCalm:
      return "RESOURCE_EXHAUSTED";
    default:
      return "INTERNAL";
  }
}

std::string method_label(std::string_view path) {
  if (path.size() < 4 || path[0] != '/') return "";
  const std::string_view rest = path.substr(1);
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size()) return "";
  for (size_t i = 0; i < rest.size(); ++i) {
    if (i != slash && !segment_char(rest[i])) return "";
  }
  return std::string(rest);
}

}  // namespace redeye::http2
