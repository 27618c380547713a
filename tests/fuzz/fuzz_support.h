// Shared by the protocol fuzz targets: a deterministic generator seeded from the input (to
// choose chunk sizes, directions and uncaptured counts) and an invariant check that aborts,
// which libFuzzer reports as a crash with the input that broke it.
#pragma once

#include <cstdint>
#include <cstdlib>

namespace redeye::fuzz {

inline void check(bool condition) {
  if (!condition) std::abort();
}

class Rng {
 public:
  explicit Rng(uint32_t seed) : state_(seed == 0 ? 0x9e3779b9u : seed) {}
  uint32_t next() {  // xorshift32
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_;
  }
  uint32_t below(uint32_t n) { return n == 0 ? 0 : next() % n; }

 private:
  uint32_t state_;
};

}  // namespace redeye::fuzz
