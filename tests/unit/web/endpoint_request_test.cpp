#include "web/endpoint_request.h"

#include <gtest/gtest.h>

namespace redeye::web {
namespace {

TEST(EndpointRequestTest, FindsTheEndOfTheHead) {
  EXPECT_EQ(request_head_end("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody"), 27u);
  EXPECT_EQ(request_head_end("GET / HTTP/1.0\n\n"), 16u);
  EXPECT_EQ(request_head_end("GET / HTTP/1.1\r\nHost: a\r\n"), std::string_view::npos);
}

TEST(EndpointRequestTest, ParsesMethodPathAndAuthorization) {
  auto r = parse_endpoint_request(
      "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nauthorization:  Basic abc \r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->path, "/metrics");
  EXPECT_EQ(r->authorization, "Basic abc");
}

TEST(EndpointRequestTest, RejectsWhatIsNotAnHttp1Request) {
  for (const char* bad : {"", "GET\r\n\r\n", "GET /metrics\r\n\r\n", "get /m HTTP/1.1\r\n\r\n",
                          "GET metrics HTTP/1.1\r\n\r\n", "GET /m HTTP/2.0\r\n\r\n",
                          "GET /m HTTP/1.1\r\nno colon here\r\n\r\n", "\x16\x03\x01\x02\x00"}) {
    EXPECT_EQ(parse_endpoint_request(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(parse_endpoint_request("GET /" + std::string(kMaxRequestHead, 'a') + " HTTP/1.1\r\n\r\n"),
            std::nullopt);
}

}  // namespace
}  // namespace redeye::web
