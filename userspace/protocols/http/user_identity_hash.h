// Keyed hashing of user identities: HMAC-SHA256(key, identity). Without the key nobody can
// tell which identity a label stands for, nor test a guess; with it (the operator's key file)
// a label can be recomputed for a known identity.
//
// The label is the first 16 hex characters (64 bits) of the MAC. Two of n distinct users
// share a label with probability about n^2 / 2^65: 3e-8 for a million users. The same 64 bits
// key the per-user counting structures (Space-Saving, HyperLogLog).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace redeye::http {

class UserIdentityHasher {
 public:
  static constexpr std::size_t kLabelChars = 16;
  static constexpr std::size_t kRandomKeyBytes = 32;

  // `key` must not be empty. Throws std::runtime_error if OpenSSL cannot set up HMAC-SHA256.
  explicit UserIdentityHasher(std::string_view key);
  ~UserIdentityHasher();
  UserIdentityHasher(const UserIdentityHasher&) = delete;
  UserIdentityHasher& operator=(const UserIdentityHasher&) = delete;

  // The first 8 bytes of HMAC-SHA256(key, identity), big-endian. Not thread-safe (one
  // hasher per thread).
  uint64_t id(std::string_view identity);

  // id as 16 lowercase hex characters: the first 16 hex characters of the MAC.
  static std::string label(uint64_t id);

  // kRandomKeyBytes from the operating system's CSPRNG (OpenSSL RAND_bytes).
  static std::string random_key();

 private:
  struct Mac;
  std::unique_ptr<Mac> mac_;
};

}  // namespace redeye::http
