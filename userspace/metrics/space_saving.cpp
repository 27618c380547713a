#include "metrics/space_saving.h"

#include <bit>
#include <stdexcept>
#include <utility>

namespace redeye {

SpaceSaving::SpaceSaving(std::size_t capacity)
    : keys_(capacity), counts_(capacity), errors_(capacity), heap_pos_(capacity) {
  if (capacity == 0 || capacity > (std::size_t{1} << 30)) {
    throw std::invalid_argument("SpaceSaving: capacity out of range");
  }
  heap_.reserve(capacity);
  // At most half full: short probe sequences.
  const std::size_t buckets = std::bit_ceil(capacity * 2);
  table_.assign(buckets, 0);
  mask_ = buckets - 1;
}

std::size_t SpaceSaving::bucket_of(uint64_t key) const {
  // Fibonacci hashing: spreads keys that are not uniform (small integers in tests) too.
  return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> 32) & mask_;
}

std::optional<uint32_t> SpaceSaving::find(uint64_t key) const {
  for (std::size_t b = bucket_of(key);; b = (b + 1) & mask_) {
    const uint32_t entry = table_[b];
    if (entry == 0) return std::nullopt;
    if (keys_[entry - 1] == key) return entry - 1;
  }
}

void SpaceSaving::table_insert(uint64_t key, uint32_t slot) {
  std::size_t b = bucket_of(key);
  while (table_[b] != 0) b = (b + 1) & mask_;
  table_[b] = slot + 1;
}

void SpaceSaving::table_erase(uint64_t key) {
  std::size_t b = bucket_of(key);
  while (keys_[table_[b] - 1] != key) b = (b + 1) & mask_;  // the key is present
  // Backward-shift deletion: move later entries of the probe run into the hole when their
  // home bucket allows it, so that lookups never need tombstones.
  std::size_t hole = b;
  for (std::size_t next = (hole + 1) & mask_; table_[next] != 0; next = (next + 1) & mask_) {
    const std::size_t home = bucket_of(keys_[table_[next] - 1]);
    // `next` may move to `hole` if its home is not in the cyclic range (hole, next].
    const bool movable = ((next - home) & mask_) >= ((next - hole) & mask_);
    if (movable) {
      table_[hole] = table_[next];
      hole = next;
    }
  }
  table_[hole] = 0;
}

void SpaceSaving::sift_down(std::size_t at) {
  const std::size_t n = heap_.size();
  const uint32_t slot = heap_[at];
  const uint64_t count = counts_[slot];
  while (true) {
    std::size_t child = 2 * at + 1;
    if (child >= n) break;
    if (child + 1 < n && counts_[heap_[child + 1]] < counts_[heap_[child]]) ++child;
    if (counts_[heap_[child]] >= count) break;
    heap_[at] = heap_[child];
    heap_pos_[heap_[at]] = static_cast<uint32_t>(at);
    at = child;
  }
  heap_[at] = slot;
  heap_pos_[slot] = static_cast<uint32_t>(at);
}

SpaceSaving::Offer SpaceSaving::offer(uint64_t key) {
  ++total_;
  if (const std::optional<uint32_t> slot = find(key)) {
    ++counts_[*slot];
    sift_down(heap_pos_[*slot]);
    return {*slot, false, false, 0};
  }
  if (size_ < keys_.size()) {
    // A free counter. Every count in use is >= 1, so a count of 1 belongs at the top: sift up.
    const auto slot = static_cast<uint32_t>(size_++);
    keys_[slot] = key;
    counts_[slot] = 1;
    errors_[slot] = 0;
    std::size_t at = heap_.size();
    heap_.push_back(slot);
    while (at > 0) {
      const std::size_t parent = (at - 1) / 2;
      if (counts_[heap_[parent]] <= 1) break;
      heap_[at] = heap_[parent];
      heap_pos_[heap_[at]] = static_cast<uint32_t>(at);
      at = parent;
    }
    heap_[at] = slot;
    heap_pos_[slot] = static_cast<uint32_t>(at);
    table_insert(key, slot);
    return {slot, true, false, 0};
  }
  // Take over the counter with the smallest count.
  const uint32_t slot = heap_.front();
  const uint64_t evicted = keys_[slot];
  table_erase(evicted);
  keys_[slot] = key;
  errors_[slot] = counts_[slot];
  ++counts_[slot];
  sift_down(0);
  table_insert(key, slot);
  return {slot, true, true, evicted};
}

uint64_t SpaceSaving::min_count() const {
  if (size_ < keys_.size() || heap_.empty()) return 0;
  return counts_[heap_.front()];
}

std::size_t SpaceSaving::memory_bytes() const {
  return sizeof(*this) + keys_.capacity() * sizeof(uint64_t) +
         counts_.capacity() * sizeof(uint64_t) + errors_.capacity() * sizeof(uint64_t) +
         heap_.capacity() * sizeof(uint32_t) + heap_pos_.capacity() * sizeof(uint32_t) +
         table_.capacity() * sizeof(uint32_t);
}

}  // namespace redeye
