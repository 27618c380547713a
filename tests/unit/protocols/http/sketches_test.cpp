// The keyed hash, Space-Saving and HyperLogLog.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "metrics/hyperloglog.h"
#include "metrics/space_saving.h"
#include "protocols/http/user_identity_hash.h"

namespace redeye {
namespace {

using http::UserIdentityHasher;

// --- keyed hash --------------------------------------------------------------------------

TEST(UserIdentityHasher, MatchesHmacSha256TestVectors) {
  // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?";
  // HMAC-SHA256 = 5bdcc146bf60754e6a042426089575c7 5a003f089d2739839dec58b964ec3843.
  UserIdentityHasher hasher("Jefe");
  const uint64_t id = hasher.id("what do ya want for nothing?");
  EXPECT_EQ(UserIdentityHasher::label(id), "5bdcc146bf60754e");
  EXPECT_EQ(id, 0x5bdcc146bf60754eull);
  // RFC 4231 test case 1: key 20 x 0x0b, data "Hi There" -> b0344c61d8db3853...
  UserIdentityHasher hasher1(std::string(20, '\x0b'));
  EXPECT_EQ(UserIdentityHasher::label(hasher1.id("Hi There")), "b0344c61d8db3853");
}

TEST(UserIdentityHasher, StableForAKeyDifferentAcrossKeysNeverTheRawId) {
  UserIdentityHasher a("key-a-0123456789abcdef");
  UserIdentityHasher a_again("key-a-0123456789abcdef");
  UserIdentityHasher b("key-b-0123456789abcdef");
  std::set<std::string> labels;
  for (int i = 0; i < 1000; ++i) {
    const std::string user = "user-" + std::to_string(i);
    const uint64_t id = a.id(user);
    EXPECT_EQ(id, a.id(user));  // the context is reused: same answer every time
    EXPECT_EQ(id, a_again.id(user));
    EXPECT_NE(id, b.id(user));
    const std::string label = UserIdentityHasher::label(id);
    ASSERT_EQ(label.size(), 16u);
    EXPECT_EQ(label.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(label.find(user), std::string::npos);
    labels.insert(label);
  }
  EXPECT_EQ(labels.size(), 1000u);
  EXPECT_EQ(UserIdentityHasher::label(0), "0000000000000000");
  EXPECT_EQ(UserIdentityHasher::label(0xfedcba9876543210ull), "fedcba9876543210");
}

TEST(UserIdentityHasher, RandomKeysDiffer) {
  const std::string k1 = UserIdentityHasher::random_key();
  const std::string k2 = UserIdentityHasher::random_key();
  EXPECT_EQ(k1.size(), UserIdentityHasher::kRandomKeyBytes);
  EXPECT_NE(k1, k2);
  UserIdentityHasher h1(k1);
  UserIdentityHasher h2(k2);
  EXPECT_NE(h1.id("alice"), h2.id("alice"));
  EXPECT_THROW(UserIdentityHasher(""), std::invalid_argument);
}

// --- Space-Saving -------------------------------------------------------------------------

TEST(SpaceSaving, ExactBelowCapacity) {
  SpaceSaving ss(16);
  std::map<uint64_t, uint64_t> truth;
  std::mt19937_64 rng(1);
  for (int i = 0; i < 5000; ++i) {
    const uint64_t key = rng() % 16;
    ++truth[key];
    const SpaceSaving::Offer offer = ss.offer(key);
    EXPECT_FALSE(offer.evicted);
  }
  EXPECT_EQ(ss.size(), 16u);
  EXPECT_EQ(ss.total(), 5000u);
  EXPECT_EQ(ss.min_count(), std::min_element(truth.begin(), truth.end(), [](auto& a, auto& b) {
                              return a.second < b.second;
                            })->second);
  for (const auto& [key, count] : truth) {
    const auto slot = ss.find(key);
    ASSERT_TRUE(slot);
    EXPECT_EQ(ss.count(*slot), count);
    EXPECT_EQ(ss.error(*slot), 0u);
  }
  EXPECT_FALSE(ss.find(99));
}

TEST(SpaceSaving, SmallExample) {
  SpaceSaving ss(2);
  ss.offer(1);
  ss.offer(1);
  ss.offer(2);
  const SpaceSaving::Offer offer = ss.offer(3);  // takes 2's counter: count 2, error 1
  EXPECT_TRUE(offer.inserted);
  EXPECT_TRUE(offer.evicted);
  EXPECT_EQ(offer.evicted_key, 2u);
  EXPECT_EQ(ss.count(offer.slot), 2u);
  EXPECT_EQ(ss.error(offer.slot), 1u);
  EXPECT_EQ(ss.guaranteed(offer.slot), 1u);
  EXPECT_FALSE(ss.find(2));
  EXPECT_EQ(ss.min_count(), 2u);
}

// Checks every guarantee of the summary against exact counts.
void check_bounds(const SpaceSaving& ss, const std::unordered_map<uint64_t, uint64_t>& truth,
                  uint64_t n) {
  ASSERT_EQ(ss.total(), n);
  ASSERT_LE(ss.size(), ss.capacity());
  uint64_t sum = 0;
  uint64_t min = UINT64_MAX;
  for (uint32_t slot = 0; slot < ss.size(); ++slot) {
    const uint64_t key = ss.key(slot);
    const uint64_t actual = truth.at(key);
    // true count in [count - error, count]
    ASSERT_LE(ss.count(slot) - ss.error(slot), actual) << key;
    ASSERT_GE(ss.count(slot), actual) << key;
    // error <= N / K'
    ASSERT_LE(ss.error(slot) * ss.capacity(), n) << key;
    ASSERT_LE(ss.error(slot), ss.min_count());
    ASSERT_EQ(ss.find(key), slot);
    sum += ss.count(slot);
    min = std::min(min, ss.count(slot));
  }
  EXPECT_EQ(sum, n);  // counts add up to N exactly
  EXPECT_EQ(ss.min_count(), ss.size() == ss.capacity() ? min : 0);
  EXPECT_LE(ss.min_count() * ss.capacity(), n);
  // Every key with more than N / K' occurrences is tracked.
  for (const auto& [key, count] : truth) {
    if (count * ss.capacity() > n) {
      EXPECT_TRUE(ss.find(key)) << key << " count " << count;
    }
  }
}

TEST(SpaceSaving, ErrorBoundHoldsOnSkewedRandomStreams) {
  for (const double skew : {0.8, 1.0, 1.3}) {
    for (const std::size_t capacity : {8u, 80u, 400u}) {
      SCOPED_TRACE("zipf s=" + std::to_string(skew) + " K'=" + std::to_string(capacity));
      // Zipf over 20,000 keys by inverse transform on the cumulative weights.
      const int universe = 20000;
      std::vector<double> cumulative(universe);
      double acc = 0;
      for (int i = 0; i < universe; ++i) {
        acc += 1.0 / std::pow(i + 1, skew);
        cumulative[i] = acc;
      }
      std::mt19937_64 rng(static_cast<uint64_t>(skew * 1000) + capacity);
      std::uniform_real_distribution<double> uniform(0, acc);
      SpaceSaving ss(capacity);
      std::unordered_map<uint64_t, uint64_t> truth;
      const uint64_t n = 200000;
      for (uint64_t i = 1; i <= n; ++i) {
        const auto rank = static_cast<uint64_t>(
            std::lower_bound(cumulative.begin(), cumulative.end(), uniform(rng)) -
            cumulative.begin());
        const uint64_t key = rank * 0x9e3779b97f4a7c15ull + 7;  // spread, never 0
        ++truth[key];
        ss.offer(key);
        if (i % 50000 == 0) check_bounds(ss, truth, i);
      }
    }
  }
}

TEST(SpaceSaving, AdversarialStreamsNeverTrackMoreThanCapacity) {
  SpaceSaving ss(80);
  std::unordered_map<uint64_t, uint64_t> truth;
  uint64_t n = 0;
  // Distinct keys only, then a cycle over capacity + 1 keys (the worst case for eviction),
  // then heavy keys arriving late.
  for (uint64_t k = 1; k <= 100000; ++k, ++n) {
    ++truth[k];
    ss.offer(k);
  }
  for (uint64_t round = 0; round < 1000; ++round) {
    for (uint64_t k = 0; k <= 80; ++k, ++n) {
      ++truth[1000000 + k];
      ss.offer(1000000 + k);
    }
  }
  for (uint64_t k = 0; k < 3 * 50000; ++k, ++n) {
    ++truth[5000000 + k % 3];
    ss.offer(5000000 + k % 3);
  }
  check_bounds(ss, truth, n);
  EXPECT_EQ(ss.size(), 80u);
  for (uint64_t k = 0; k < 3; ++k) EXPECT_TRUE(ss.find(5000000 + k));
  EXPECT_LT(ss.memory_bytes(), 80u * 32 + 256 * 4 + 512);
}

// --- HyperLogLog --------------------------------------------------------------------------

uint64_t mix(uint64_t x) {  // splitmix64 finaliser: uniform 64-bit values from a counter
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

TEST(HyperLogLog, EmptyAndSmall) {
  HyperLogLog hll(14);
  EXPECT_EQ(hll.estimate(), 0.0);
  hll.add(mix(1));
  EXPECT_NEAR(hll.estimate(), 1.0, 0.01);
  for (int i = 0; i < 10; ++i) hll.add(mix(1));  // duplicates change nothing
  EXPECT_NEAR(hll.estimate(), 1.0, 0.01);
  for (uint64_t i = 2; i <= 10; ++i) hll.add(mix(i));
  EXPECT_NEAR(hll.estimate(), 10.0, 0.1);
  hll.clear();
  EXPECT_EQ(hll.estimate(), 0.0);
  EXPECT_EQ(hll.memory_bytes(), sizeof(HyperLogLog) + 16384);
  EXPECT_NEAR(hll.relative_standard_error(), 0.0081, 0.0001);
}

TEST(HyperLogLog, WithinThreeSigmaFromAThousandToAMillion) {
  for (const unsigned p : {12u, 14u}) {
    HyperLogLog hll(p);
    const double sigma = hll.relative_standard_error();
    uint64_t added = 0;
    for (const uint64_t n : {1000ull, 10000ull, 100000ull, 1000000ull}) {
      for (; added < n; ++added) {
        hll.add(mix(added + p * 1000000000ull));
        if (added % 3 == 0) hll.add(mix(added + p * 1000000000ull));  // duplicates
      }
      const double estimate = hll.estimate();
      SCOPED_TRACE("p=" + std::to_string(p) + " n=" + std::to_string(n));
      EXPECT_LE(std::abs(estimate - n) / n, 3 * sigma) << estimate;
    }
  }
}

}  // namespace
}  // namespace redeye
