#include "protocols/http/route_patterns.h"

#include <gtest/gtest.h>

namespace redeye::http {
namespace {

TEST(RoutePatternsTest, FirstMatchingPatternNamesTheRoute) {
  RoutePatterns patterns({"/orders/{id}/items", "/orders/{id}", "/orders/export", "/files/*"});
  EXPECT_EQ(patterns.match("/orders/A-17"), "/orders/{id}");
  EXPECT_EQ(patterns.match("/orders/export"), "/orders/{id}");  // first match wins
  EXPECT_EQ(patterns.match("/orders/9/items?page=2"), "/orders/{id}/items");
  EXPECT_EQ(patterns.match("http://shop:8080/orders/5#frag"), "/orders/{id}");
  EXPECT_EQ(patterns.match("/files"), "/files/*");
  EXPECT_EQ(patterns.match("/files/a/b/c.txt"), "/files/*");
}

TEST(RoutePatternsTest, NoMatchLeavesTheHeuristicToDecide) {
  RoutePatterns patterns({"/orders/{id}"});
  EXPECT_EQ(patterns.match("/orders"), std::nullopt);
  EXPECT_EQ(patterns.match("/orders/1/2"), std::nullopt);
  EXPECT_EQ(patterns.match("/users/1"), std::nullopt);
  EXPECT_EQ(RoutePatterns().match("/x"), std::nullopt);
  EXPECT_TRUE(RoutePatterns().empty());
}

TEST(RoutePatternsTest, RepeatedSlashesAreOneSeparator) {
  RoutePatterns patterns({"/a/{x}"});
  EXPECT_EQ(patterns.match("//a///b"), "/a/{x}");
}

}  // namespace
}  // namespace redeye::http
