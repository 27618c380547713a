// gRPC status names and the mappings gRPC defines for a call that ends without a grpc-status
// (grpc/grpc doc/http-grpc-status-mapping.md, doc/PROTOCOL-HTTP2.md), and the rpc_method label.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace redeye::http2 {

// "OK", "CANCELLED", ... for codes 0-16; "UNKNOWN" for any other number (what a gRPC client
// reports for a code it does not know).
std::string_view grpc_code_name(int code);
// A response without grpc-status: 400 INTERNAL, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED,
// 404 UNIMPLEMENTED, 429/502/503/504 UNAVAILABLE, anything else UNKNOWN.
std::string_view grpc_status_for_http(int http_status);
// A stream reset before its end: CANCEL CANCELLED, REFUSED_STREAM UNAVAILABLE,
// ENHANCE_YOUR_CALM RESOURCE_EXHAUSTED, any other error code INTERNAL.
std::string_view grpc_status_for_reset(uint32_t error_code);
// Streams a GOAWAY says were not processed.
inline constexpr std::string_view kGoawayStatus = "UNAVAILABLE";

// "/pkg.Service/Method" -> "pkg.Service/Method"; "" when the path is not of that shape (two
// non-empty segments of letters, digits and . _ -), so no raw path becomes a label.
std::string method_label(std::string_view path);

}  // namespace redeye::http2
