// Space-Saving (Metwally, Agrawal, El Abbadi, "Efficient Computation of Frequent and Top-k
// Elements in Data Streams", 2005): approximate counts of the most frequent keys of a stream
// in a fixed number of counters.
//
// It keeps at most `capacity` (K') keys, each with a count and an error. A key that is
// tracked gets +1; an untracked key takes over the counter with the smallest count m: its
// count becomes m + 1 and its error m. Hence, with N keys offered so far:
//   * counts sum to N exactly;
//   * for every tracked key, true count (since the agent started) is in [count - error, count],
//     and count - error is exactly what it got since it took its counter;
//   * error <= min_count() <= N / K'; every key offered more than N / K' times is tracked.
// Until K' distinct keys have been seen, every count is exact (error 0).
//
// Memory is fixed at construction: 32 bytes per counter plus a hash table of 4-byte entries,
// bit_ceil(2 K') of them (2 to 4 per counter). Updates are O(log K') (a binary min-heap over
// the counters), lookups O(1) expected (open addressing on the key; keys are assumed to be
// uniformly distributed, e.g. the prefix of a cryptographic hash). Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace redeye {

class SpaceSaving {
 public:
  // capacity >= 1.
  explicit SpaceSaving(std::size_t capacity);

  struct Offer {
    uint32_t slot;  // the counter the key now holds; stable while the key stays tracked
    bool inserted;  // the key was not tracked: it took `slot` (state kept per slot is stale)
    bool evicted;   // ... and the slot's previous key, evicted_key, was dropped for it
    uint64_t evicted_key;
  };

  // Counts one occurrence of `key`.
  Offer offer(uint64_t key);

  std::optional<uint32_t> find(uint64_t key) const;

  std::size_t capacity() const { return keys_.size(); }
  std::size_t size() const { return size_; }
  uint64_t total() const { return total_; }  // N: occurrences offered

  // Slots are 0 .. size() - 1.
  uint64_t key(uint32_t slot) const { return keys_[slot]; }
  uint64_t count(uint32_t slot) const { return counts_[slot]; }
  uint64_t error(uint32_t slot) const { return errors_[slot]; }
  uint64_t guaranteed(uint32_t slot) const { return counts_[slot] - errors_[slot]; }

  // The smallest count once all counters are in use, else 0: no tracked key's error exceeds
  // it, nor will any key's inserted from now on until it grows. Never above N / capacity().
  uint64_t min_count() const;

  // Bytes held, the object included.
  std::size_t memory_bytes() const;

 private:
  void sift_down(std::size_t at);
  std::size_t bucket_of(uint64_t key) const;
  void table_insert(uint64_t key, uint32_t slot);
  void table_erase(uint64_t key);

  std::vector<uint64_t> keys_;
  std::vector<uint64_t> counts_;
  std::vector<uint64_t> errors_;
  std::vector<uint32_t> heap_;      // slots, min-heap by count
  std::vector<uint32_t> heap_pos_;  // slot -> index in heap_
  std::vector<uint32_t> table_;     // open addressing: slot + 1, 0 = empty
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
  uint64_t total_ = 0;
};

}  // namespace redeye
