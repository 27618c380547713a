#include "protocols/postgres/pg_statement_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace redeye::postgres {
namespace {

TEST(StatementCacheTest, RemembersNamesAndTheUnnamedStatement) {
  StatementCache cache(4);
  EXPECT_FALSE(cache.put("P0_1", 3));
  EXPECT_FALSE(cache.put("", 2));
  EXPECT_EQ(cache.get("P0_1"), OpId{3});
  EXPECT_EQ(cache.get(""), OpId{2});
  EXPECT_FALSE(cache.get("P0_2").has_value());
  cache.erase("P0_1");
  EXPECT_FALSE(cache.get("P0_1").has_value());
  cache.erase("");
  EXPECT_FALSE(cache.get("").has_value());
}

TEST(StatementCacheTest, ForgetsTheLeastRecentlyUsedName) {
  StatementCache cache(3);
  cache.put("a", 1);
  cache.put("b", 2);
  cache.put("c", 3);
  EXPECT_EQ(cache.get("a"), OpId{1});  // a is now the most recent
  EXPECT_TRUE(cache.put("d", 4));      // b goes
  EXPECT_FALSE(cache.get("b").has_value());
  EXPECT_EQ(cache.get("a"), OpId{1});
  EXPECT_EQ(cache.get("c"), OpId{3});
  EXPECT_EQ(cache.get("d"), OpId{4});
  EXPECT_FALSE(cache.put("", 5));  // the unnamed slot never evicts
  EXPECT_EQ(cache.size(), 4u);
}

TEST(StatementCacheTest, LongNamesAreKeptByTheirPrefix) {
  StatementCache cache(2);
  const std::string base(StatementCache::kMaxNameBytes, 'n');
  cache.put(base + "1", 1);
  EXPECT_EQ(cache.get(base + "2"), OpId{1});
  cache.put(base, 2);
  EXPECT_EQ(cache.size(), 1u);
}

}  // namespace
}  // namespace redeye::postgres
