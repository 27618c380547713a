#include "protocols/http/http_stream_buffer.h"

#include <algorithm>

namespace redeye::http {

void StreamBuffer::append(std::span<const uint8_t> bytes, uint64_t ts) {
  if (bytes.empty()) return;
  if (marks_.empty() || marks_.back().ts != ts) marks_.push_back({bytes_.size(), ts});
  bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
}

void StreamBuffer::append(const StreamBuffer& other, std::size_t from) {
  while (from < other.size()) {
    const Segment segment = other.segment_at(from);
    append({segment.data, segment.size}, segment.ts);
    from += segment.size;
  }
}

void StreamBuffer::erase_front(std::size_t n) {
  if (n >= bytes_.size()) {
    clear();
    return;
  }
  if (n == 0) return;
  const std::size_t first = mark_index(n);
  marks_.erase(marks_.begin(), marks_.begin() + static_cast<std::ptrdiff_t>(first));
  for (Mark& mark : marks_) mark.offset = mark.offset > n ? mark.offset - n : 0;
  bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(n));
  release_unused();
}

void StreamBuffer::clear() {
  bytes_.clear();
  marks_.clear();
  release_unused();
}

void StreamBuffer::release_unused() {
  constexpr std::size_t kKeepBytes = 4096;
  constexpr std::size_t kKeepMarks = 64;
  if (bytes_.capacity() > kKeepBytes && bytes_.size() < bytes_.capacity() / 4) {
    bytes_.shrink_to_fit();
  }
  if (marks_.capacity() > kKeepMarks && marks_.size() < marks_.capacity() / 4) {
    marks_.shrink_to_fit();
  }
}

std::size_t StreamBuffer::mark_index(std::size_t offset) const {
  // The last mark whose offset is <= `offset`.
  const auto it = std::upper_bound(marks_.begin(), marks_.end(), offset,
                                   [](std::size_t off, const Mark& m) { return off < m.offset; });
  return static_cast<std::size_t>(it - marks_.begin()) - 1;
}

uint64_t StreamBuffer::ts_at(std::size_t offset) const { return marks_[mark_index(offset)].ts; }

StreamBuffer::Segment StreamBuffer::segment_at(std::size_t offset) const {
  const std::size_t index = mark_index(offset);
  const std::size_t end = index + 1 < marks_.size() ? marks_[index + 1].offset : bytes_.size();
  return {bytes_.data() + offset, end - offset, marks_[index].ts};
}

}  // namespace redeye::http
