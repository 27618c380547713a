// A byte buffer that remembers, for every byte, the timestamp of the chunk it arrived in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace redeye::http {

class StreamBuffer {
 public:
  // A maximal run of bytes that arrived with the same timestamp.
  struct Segment {
    const uint8_t* data = nullptr;
    std::size_t size = 0;
    uint64_t ts = 0;
  };

  void append(std::span<const uint8_t> bytes, uint64_t ts);
  // Appends other[from..].
  void append(const StreamBuffer& other, std::size_t from);
  void erase_front(std::size_t n);
  void clear();

  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  std::span<const uint8_t> bytes() const { return bytes_; }
  uint8_t operator[](std::size_t i) const { return bytes_[i]; }
  // Timestamp of the byte at `offset` (< size()).
  uint64_t ts_at(std::size_t offset) const;
  // The run of same-timestamp bytes starting at `offset` (< size()).
  Segment segment_at(std::size_t offset) const;

 private:
  struct Mark {
    std::size_t offset;  // first byte with this timestamp
    uint64_t ts;
  };
  std::size_t mark_index(std::size_t offset) const;
  // Gives memory back once the buffer has shrunk well below its capacity, so that an idle
  // connection does not keep the largest buffer it ever needed.
  void release_unused();

  std::vector<uint8_t> bytes_;
  std::vector<Mark> marks_;  // ascending offsets; marks_[0].offset == 0 when non-empty
};

}  // namespace redeye::http
