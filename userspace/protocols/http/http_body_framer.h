// Finds the end of a message body (RFC 9112 section 6, 7) in a byte stream that arrives in
// arbitrary pieces, some of which may be uncaptured (their length is known, their bytes not).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "protocols/http/http_limits.h"
#include "protocols/http/http_message_head.h"

namespace redeye::http {

class BodyFramer {
 public:
  enum class Status : uint8_t {
    kInProgress,  // everything offered was consumed; the body continues
    kDone,        // the body ended; `consumed` says where
    kMalformed,   // invalid chunk framing at bytes[consumed]
    kGap,         // uncaptured bytes fell on chunk framing (only from feed_gap)
    kTooLarge,    // the trailer section exceeded kMaxHeadBytes
  };

  void reset(BodyFraming framing);

  // Consumes a prefix of `bytes`, stores its length in `consumed`.
  Status feed(std::span<const uint8_t> bytes, std::size_t& consumed);
  // `n` uncaptured bytes: consumed only where the body's length says they are payload (inside a
  // Content-Length body, inside chunk data, or anywhere in a read-until-close body). kGap if
  // some of them would have to be chunk framing; kDone if the body ended within them.
  Status feed_gap(uint64_t n, uint64_t& consumed);

  // Payload bytes consumed so far (for chunked: chunk data only, not framing or trailers).
  uint64_t payload_bytes() const { return payload_; }
  bool done() const;
  BodyKind kind() const { return kind_; }

 private:
  enum class Chunk : uint8_t {
    kSizeStart,     // expecting the first hex digit of a chunk-size
    kSize,          // more hex digits, whitespace, ';' or CR
    kSizeSpace,     // whitespace after the size: more whitespace, ';' or CR
    kExtension,     // chunk-ext up to CR
    kSizeLf,        // LF ending the chunk-size line
    kData,          // chunk data, remaining_ bytes left
    kDataCr,        // CR after chunk data
    kDataLf,        // LF after chunk data
    kTrailerStart,  // start of a trailer field line, or CR of the final blank line
    kTrailerName,   // field name up to ':'
    kTrailerValue,  // field value up to CR
    kTrailerLf,     // LF ending a trailer field line
    kFinalLf,       // LF of the final blank line
    kDone,
  };

  Status feed_chunked(std::span<const uint8_t> bytes, std::size_t& consumed);
  // Advances the chunked state machine by one framing byte. Returns false if it is invalid.
  bool chunk_framing_byte(uint8_t c);

  BodyKind kind_ = BodyKind::kNone;
  uint64_t remaining_ = 0;  // kLength: body bytes left; chunked kData: chunk bytes left
  uint64_t payload_ = 0;
  Chunk chunk_ = Chunk::kSizeStart;
  std::size_t line_bytes_ = 0;     // bytes of the current chunk-size line
  std::size_t trailer_bytes_ = 0;  // bytes of the trailer section
};

}  // namespace redeye::http
