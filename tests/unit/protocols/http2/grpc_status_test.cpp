// gRPC status names, the HTTP and RST_STREAM mappings, the rpc_method label.
#include "protocols/http2/grpc_status.h"

#include <gtest/gtest.h>

namespace redeye::http2 {
namespace {

TEST(GrpcStatus, CodeNames) {
  EXPECT_EQ(grpc_code_name(0), "OK");
  EXPECT_EQ(grpc_code_name(5), "NOT_FOUND");
  EXPECT_EQ(grpc_code_name(16), "UNAUTHENTICATED");
  EXPECT_EQ(grpc_code_name(17), "UNKNOWN");
  EXPECT_EQ(grpc_code_name(-1), "UNKNOWN");
}

TEST(GrpcStatus, HttpMapping) {
  EXPECT_EQ(grpc_status_for_http(400), "INTERNAL");
  EXPECT_EQ(grpc_status_for_http(401), "UNAUTHENTICATED");
  EXPECT_EQ(grpc_status_for_http(403), "PERMISSION_DENIED");
  EXPECT_EQ(grpc_status_for_http(404), "UNIMPLEMENTED");
  for (int s : {429, 502, 503, 504}) EXPECT_EQ(grpc_status_for_http(s), "UNAVAILABLE");
  for (int s : {200, 500, 301}) EXPECT_EQ(grpc_status_for_http(s), "UNKNOWN");
}

TEST(GrpcStatus, ResetMapping) {
  EXPECT_EQ(grpc_status_for_reset(0x8), "CANCELLED");
  EXPECT_EQ(grpc_status_for_reset(0x7), "UNAVAILABLE");
  EXPECT_EQ(grpc_status_for_reset(0xb), "RESOURCE_EXHAUSTED");
  for (uint32_t c : {0u, 1u, 2u, 0xdu}) EXPECT_EQ(grpc_status_for_reset(c), "INTERNAL");
}

TEST(GrpcStatus, MethodLabel) {
  EXPECT_EQ(method_label("/helloworld.Greeter/SayHello"), "helloworld.Greeter/SayHello");
  EXPECT_EQ(method_label("/grpc.health.v1.Health/Check"), "grpc.health.v1.Health/Check");
  EXPECT_EQ(method_label("/a/b"), "a/b");
  for (const char* bad :
       {"", "/", "//x", "/a/", "/a", "a/b", "/a/b/c", "/a b/c", "/a/b?x=1", "/users/{id}"}) {
    EXPECT_EQ(method_label(bad), "") << bad;
  }
}

}  // namespace
}  // namespace redeye::http2
