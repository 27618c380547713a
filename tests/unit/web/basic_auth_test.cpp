#include "web/basic_auth.h"

#include <gtest/gtest.h>

namespace redeye::web {
namespace {

TEST(BasicAuthTest, Base64RoundTripsKnownValues) {
  EXPECT_EQ(base64_decode("cHJvbTpzM2NyZXQ="), "prom:s3cret");
  EXPECT_EQ(base64_decode("cHJvbTpzM2NyZXQ"), "prom:s3cret");  // padding optional
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_EQ(base64_decode("YQ=="), "a");
  EXPECT_EQ(base64_decode("YWI="), "ab");
  EXPECT_EQ(base64_decode("YWJj"), "abc");
  EXPECT_EQ(base64_decode("Y"), std::nullopt);     // impossible length
  EXPECT_EQ(base64_decode("YW*j"), std::nullopt);  // not base64
}

TEST(BasicAuthTest, ParsesTheHeader) {
  auto c = parse_basic_authorization("Basic cHJvbTpzM2NyZXQ=");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "prom");
  EXPECT_EQ(c->password, "s3cret");
  EXPECT_TRUE(parse_basic_authorization("basic  cHJvbTpzM2NyZXQ="));
  EXPECT_EQ(parse_basic_authorization("Bearer abc"), std::nullopt);
  EXPECT_EQ(parse_basic_authorization("Basic bm9jb2xvbg=="), std::nullopt);  // "nocolon"
  EXPECT_EQ(parse_basic_authorization(""), std::nullopt);
  // A password may itself contain ':'.
  EXPECT_EQ(parse_basic_authorization("Basic dTpwOnE=")->password, "p:q");
}

TEST(BasicAuthTest, AuthorizesOnlyTheExactCredentials) {
  const Credentials expected{"prom", "s3cret"};
  EXPECT_TRUE(authorized("Basic cHJvbTpzM2NyZXQ=", expected));
  EXPECT_FALSE(authorized("Basic cHJvbTpzM2NyZXQx", expected));  // s3cret1
  EXPECT_FALSE(authorized("Basic cHJvOnMzY3JldA==", expected));  // pro:s3cret
  EXPECT_FALSE(authorized("", expected));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
}

}  // namespace
}  // namespace redeye::web
