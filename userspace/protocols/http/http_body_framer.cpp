#include "protocols/http/http_body_framer.h"

#include <algorithm>

#include "protocols/http/http_char_class.h"
#include "protocols/http/http_limits.h"
#include "protocols/http/http_start_line.h"

namespace redeye::http {

namespace {

int hex_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void BodyFramer::reset(BodyFraming framing) {
  kind_ = framing.kind;
  remaining_ = framing.kind == BodyKind::kLength ? framing.length : 0;
  payload_ = 0;
  chunk_ = Chunk::kSizeStart;
  line_bytes_ = 0;
  trailer_bytes_ = 0;
}

bool BodyFramer::done() const {
  switch (kind_) {
    case BodyKind::kNone:
      return true;
    case BodyKind::kLength:
      return remaining_ == 0;
    case BodyKind::kChunked:
      return chunk_ == Chunk::kDone;
    case BodyKind::kUntilClose:
      return false;
  }
  return false;
}

BodyFramer::Status BodyFramer::feed(std::span<const uint8_t> bytes, std::size_t& consumed) {
  consumed = 0;
  switch (kind_) {
    case BodyKind::kNone:
      return Status::kDone;
    case BodyKind::kLength: {
      const uint64_t take = std::min<uint64_t>(remaining_, bytes.size());
      remaining_ -= take;
      payload_ += take;
      consumed = static_cast<std::size_t>(take);
      return remaining_ == 0 ? Status::kDone : Status::kInProgress;
    }
    case BodyKind::kChunked:
      return feed_chunked(bytes, consumed);
    case BodyKind::kUntilClose:
      payload_ += bytes.size();
      consumed = bytes.size();
      return Status::kInProgress;
  }
  return Status::kInProgress;
}

BodyFramer::Status BodyFramer::feed_gap(uint64_t n, uint64_t& consumed) {
  consumed = 0;
  switch (kind_) {
    case BodyKind::kNone:
      return Status::kDone;
    case BodyKind::kLength:
      consumed = std::min(remaining_, n);
      remaining_ -= consumed;
      payload_ += consumed;
      return remaining_ == 0 ? Status::kDone : Status::kInProgress;
    case BodyKind::kChunked:
      if (chunk_ == Chunk::kDone) return Status::kDone;
      if (chunk_ != Chunk::kData) return Status::kGap;
      consumed = std::min(remaining_, n);
      remaining_ -= consumed;
      payload_ += consumed;
      if (remaining_ == 0) chunk_ = Chunk::kDataCr;
      return consumed < n ? Status::kGap : Status::kInProgress;
    case BodyKind::kUntilClose:
      consumed = n;
      payload_ += n;
      return Status::kInProgress;
  }
  return Status::kInProgress;
}

BodyFramer::Status BodyFramer::feed_chunked(std::span<const uint8_t> bytes, std::size_t& consumed) {
  std::size_t i = 0;
  while (i < bytes.size() && chunk_ != Chunk::kDone) {
    if (chunk_ == Chunk::kData) {
      const uint64_t take = std::min<uint64_t>(remaining_, bytes.size() - i);
      remaining_ -= take;
      payload_ += take;
      i += static_cast<std::size_t>(take);
      if (remaining_ == 0) chunk_ = Chunk::kDataCr;
      continue;
    }
    if (!chunk_framing_byte(bytes[i])) {
      consumed = i;
      return trailer_bytes_ > kMaxHeadBytes ? Status::kTooLarge : Status::kMalformed;
    }
    ++i;
  }
  consumed = i;
  return chunk_ == Chunk::kDone ? Status::kDone : Status::kInProgress;
}

bool BodyFramer::chunk_framing_byte(uint8_t c) {
  switch (chunk_) {
    case Chunk::kSizeStart:
    case Chunk::kSize: {
      if (++line_bytes_ > kMaxChunkLineBytes) return false;
      const int digit = hex_value(c);
      if (digit >= 0) {
        if (remaining_ > (UINT64_MAX >> 4)) return false;  // chunk-size overflows 64 bits
        remaining_ = (remaining_ << 4) | static_cast<uint64_t>(digit);
        chunk_ = Chunk::kSize;
        return true;
      }
      if (chunk_ == Chunk::kSizeStart) return false;
      [[fallthrough]];
    }
    case Chunk::kSizeSpace:
      if (chunk_ == Chunk::kSizeSpace && ++line_bytes_ > kMaxChunkLineBytes) return false;
      if (c == ' ' || c == '\t') {
        chunk_ = Chunk::kSizeSpace;
      } else if (c == ';') {
        chunk_ = Chunk::kExtension;
      } else if (c == '\r') {
        chunk_ = Chunk::kSizeLf;
      } else {
        return false;
      }
      return true;
    case Chunk::kExtension:
      if (++line_bytes_ > kMaxChunkLineBytes) return false;
      if (c == '\r') {
        chunk_ = Chunk::kSizeLf;
        return true;
      }
      return is_field_value_char(c);
    case Chunk::kSizeLf:
      if (c != '\n') return false;
      line_bytes_ = 0;
      chunk_ = remaining_ == 0 ? Chunk::kTrailerStart : Chunk::kData;
      return true;
    case Chunk::kData:
      return false;  // handled by feed_chunked
    case Chunk::kDataCr:
      if (c != '\r') return false;
      chunk_ = Chunk::kDataLf;
      return true;
    case Chunk::kDataLf:
      if (c != '\n') return false;
      chunk_ = Chunk::kSizeStart;
      return true;
    case Chunk::kTrailerStart:
    case Chunk::kTrailerName:
    case Chunk::kTrailerValue:
    case Chunk::kTrailerLf:
    case Chunk::kFinalLf:
      if (++trailer_bytes_ > kMaxHeadBytes) return false;
      break;
    case Chunk::kDone:
      return false;
  }
  // Trailer section.
  switch (chunk_) {
    case Chunk::kTrailerStart:
      if (c == '\r') {
        chunk_ = Chunk::kFinalLf;
        return true;
      }
      if (!is_tchar(c)) return false;
      chunk_ = Chunk::kTrailerName;
      return true;
    case Chunk::kTrailerName:
      if (c == ':') {
        chunk_ = Chunk::kTrailerValue;
        return true;
      }
      return is_tchar(c);
    case Chunk::kTrailerValue:
      if (c == '\r') {
        chunk_ = Chunk::kTrailerLf;
        return true;
      }
      return is_field_value_char(c);
    case Chunk::kTrailerLf:
      if (c != '\n') return false;
      chunk_ = Chunk::kTrailerStart;
      return true;
    case Chunk::kFinalLf:
      if (c != '\n') return false;
      chunk_ = Chunk::kDone;
      return true;
    default:
      return false;
  }
}

}  // namespace redeye::http
