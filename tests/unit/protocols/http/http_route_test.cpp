// normalize_route, RouteLimiter and canonical_method.
#include "protocols/http/http_route.h"

#include <gtest/gtest.h>

#include <string>

#include "http_test_support.h"
#include "protocols/http/http_method.h"

namespace redeye::http::testing {
namespace {

TEST(HttpRoute, NormalisationTable) {
  const std::string long_segment(65, 'z');
  const std::string max_segment(64, 'z');
  const std::pair<std::string, std::string> cases[] = {
      {"", "/"},
      {"/", "/"},
      {"*", "*"},
      {"/users", "/users"},
      {"/users/", "/users/"},
      {"/users/42", "/users/{id}"},
      {"/users/42/orders/7?expand=1#top", "/users/{id}/orders/{id}"},
      {"/a?b/c", "/a"},
      {"/a#frag/x", "/a"},
      {"/?q=1", "/"},
      {"//a///b//", "/a/b/"},
      {"///", "/"},
      {"/v1/items", "/v1/items"},
      {"/x/0", "/x/{id}"},
      {"/x/-1", "/x/-1"},
      {"/x/2024-01-01", "/x/2024-01-01"},
      {"/u/123e4567-e89b-12d3-a456-426614174000", "/u/{id}"},
      {"/u/123E4567-E89B-12D3-A456-426614174000/x", "/u/{id}/x"},
      {"/u/123e4567-e89b-12d3-a456-42661417400", "/u/123e4567-e89b-12d3-a456-42661417400"},
      {"/u/123e4567xe89b-12d3-a456-426614174000", "/u/123e4567xe89b-12d3-a456-426614174000"},
      {"/h/0123456789abcdef", "/h/{id}"},
      {"/h/0123456789ABCDEF0", "/h/{id}"},
      {"/h/0123456789abcde", "/h/0123456789abcde"},
      {"/h/deadbeefdeadbeeg", "/h/deadbeefdeadbeeg"},
      {"/s/" + max_segment, "/s/" + max_segment},
      {"/s/" + long_segment, "/s/{id}"},
      {"/caf\xc3\xa9/menu", "/{id}/menu"},
      {"/a/\x7f/b", "/a/{id}/b"},
      {"/a/%20/b", "/a/%20/b"},
      {"http://example.com:8080/p/9?q", "/p/{id}"},
      {"https://example.com", "/"},
      {"HTTP://example.com?x=1", "/"},
      {"http://example.com#f", "/"},
      {"example.com:443", "{authority}"},
      {"[::1]:8443", "{authority}"},
      {"relative/path", "/relative/path"},
  };
  for (const auto& [target, expected] : cases) {
    SCOPED_TRACE(target);
    EXPECT_EQ(normalize_route(target), expected);
    EXPECT_EQ(normalize_route(normalize_route(target)), expected);  // idempotent
  }
  std::string sixteen;
  for (int i = 0; i < 16; ++i) sixteen += "/{id}";
  EXPECT_EQ(normalize_route("/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16"), sixteen);
  EXPECT_EQ(normalize_route("/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18/"), sixteen + "/{tail}");
  EXPECT_EQ(normalize_route(sixteen + "/{tail}"), sixteen + "/{tail}");
}

TEST(HttpRoute, LimiterAdmitsUpToMaxDistinctRoutes) {
  RouteLimiter limiter(2);
  EXPECT_EQ(limiter.admit("/a"), "/a");
  EXPECT_EQ(limiter.admit("/a"), "/a");
  EXPECT_EQ(limiter.admit("/b"), "/b");
  EXPECT_EQ(limiter.admit("/c"), kOverflowRoute);
  EXPECT_EQ(limiter.admit("/d"), "_OTHER");
  EXPECT_EQ(limiter.admit("/b"), "/b");  // admitted before: still itself
  EXPECT_EQ(limiter.admit("/c"), "_OTHER");
  EXPECT_EQ(limiter.overflowed(), 3u);
  EXPECT_EQ(limiter.size(), 2u);
}

TEST(HttpRoute, LimiterReturnsStableReferences) {
  RouteLimiter limiter(1000);
  const std::string& first = limiter.admit("/first");
  for (int i = 0; i < 999; ++i) limiter.admit("/r" + std::to_string(i));  // forces rehashing
  EXPECT_EQ(first, "/first");
  EXPECT_EQ(&limiter.admit("/first"), &first);
  EXPECT_EQ(limiter.overflowed(), 0u);
}

TEST(HttpRoute, LimiterIsMovableAndReferencesSurviveTheMove) {
  RouteLimiter limiter(1);
  const std::string& admitted = limiter.admit("/a");
  const std::string& overflow = limiter.admit("/b");
  RouteLimiter moved(std::move(limiter));
  EXPECT_EQ(admitted, "/a");
  EXPECT_EQ(overflow, kOverflowRoute);
  EXPECT_EQ(&moved.admit("/a"), &admitted);
  EXPECT_EQ(moved.admit("/c"), kOverflowRoute);
  EXPECT_EQ(moved.overflowed(), 2u);
  RouteLimiter assigned(5);
  assigned = std::move(moved);
  EXPECT_EQ(assigned.admit("/d"), kOverflowRoute);
  EXPECT_EQ(assigned.overflowed(), 3u);
}

TEST(HttpRoute, LimiterWithZeroCapacityOverflowsEverything) {
  RouteLimiter limiter(0);
  EXPECT_EQ(limiter.admit("/"), kOverflowRoute);
  EXPECT_EQ(limiter.overflowed(), 1u);
}

TEST(HttpMethod, Canonical) {
  for (std::string_view m :
       {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}) {
    EXPECT_EQ(canonical_method(m), m);
  }
  for (std::string_view m : {"get", "PROPFIND", "GETX", "", "M-SEARCH", "_OTHER"}) {
    EXPECT_EQ(canonical_method(m), "_OTHER");
  }
  const std::string dynamic = "POST";
  const std::string_view view = canonical_method(dynamic);
  EXPECT_NE(static_cast<const void*>(view.data()), static_cast<const void*>(dynamic.data()));
}

}  // namespace
}  // namespace redeye::http::testing
