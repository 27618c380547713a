// Counts gRPC messages in one side of a stream from their 5-byte prefixes (compressed flag,
// 32-bit length) across DATA frames. Bytes not captured inside a message are skipped by the
// length; when a prefix falls in them the count is unknown from there.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>

namespace redeye::http2 {

class MessageCounter {
 public:
  void feed(std::span<const uint8_t> bytes);
  void lose(uint64_t n);
  void make_unknown() { known_ = false; }

  bool known() const { return known_; }
  uint32_t count() const { return count_; }
  // The bytes so far end at a message boundary.
  bool at_boundary() const { return known_ && have_ == 0 && body_left_ == 0; }

 private:
  uint32_t count_ = 0;
  uint64_t body_left_ = 0;  // bytes of the current message still to come
  uint8_t have_ = 0;        // prefix bytes read
  uint32_t length_ = 0;     // the prefix's length so far
  bool known_ = true;
};

inline void MessageCounter::feed(std::span<const uint8_t> bytes) {
  size_t i = 0;
  while (known_ && i < bytes.size()) {
    if (body_left_ != 0) {
      const uint64_t step = std::min<uint64_t>(body_left_, bytes.size() - i);
      body_left_ -= step;
      i += static_cast<size_t>(step);
      continue;
    }
    const uint8_t b = bytes[i++];
    if (have_ == 0) {
      if (b > 1) {  // the compressed flag is 0 or 1: these bytes are no gRPC messages
        known_ = false;
        return;
      }
      length_ = 0;
    } else {
      length_ = (length_ << 8) | b;
    }
    if (++have_ == 5) {
      have_ = 0;
      ++count_;
      body_left_ = length_;
    }
  }
}

inline void MessageCounter::lose(uint64_t n) {
  if (n == 0 || !known_) return;
  if (have_ == 0 && n <= body_left_) {
    body_left_ -= n;
    return;
  }
  known_ = false;
}

}  // namespace redeye::http2
