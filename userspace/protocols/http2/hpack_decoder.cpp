#include "protocols/http2/hpack_decoder.h"

#include "protocols/http2/hpack_primitives.h"

namespace redeye::http2 {
namespace {

// nghttp2 refuses a table size update over its limit like any other error: the updates at the
// start of the block are checked first, so that case is counted as what it is.
bool updates_within(std::span<const uint8_t> block, uint32_t limit) {
  HpackCursor cursor(block);
  while (!cursor.done() && (cursor.peek() & 0xE0) == 0x20) {
    uint32_t size = 0;
    if (!cursor.integer(5, size)) return true;  // malformed: the decoder says so
    if (size > limit) return false;
  }
  return true;
}

}  // namespace

void HpackDecoder::start_from_preface() {
  if (touched_ || inflater_) return;
  inflater_ = std::make_unique<Inflater>();
  if (!inflater_->usable()) inflater_.reset();
  limit_ = kDefaultTableSize;
}

DecodeResult HpackDecoder::decode(std::span<const uint8_t> block, FieldSink& sink) {
  touched_ = true;
  if (!inflater_) return late_.decode(block, sink, limit_);
  if (limit_ && !updates_within(block, *limit_)) {
    fall_back();
    return DecodeResult::kTableSizeOverLimit;
  }
  const DecodeResult result = inflater_->decode(block, sink);
  if (result != DecodeResult::kOk) fall_back();
  return result;
}

void HpackDecoder::lost_block() {
  touched_ = true;
  fall_back();
}

void HpackDecoder::fall_back() {
  inflater_.reset();
  late_.restart();
}

void HpackDecoder::set_table_size_limit(uint32_t limit) {
  limit_ = limit;
  if (!inflater_) return;
  if (limit > kMaxInflaterTableSize || !inflater_->set_table_size_limit(limit)) fall_back();
}

}  // namespace redeye::http2
