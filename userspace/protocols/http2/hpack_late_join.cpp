#include "protocols/http2/hpack_late_join.h"

#include <utility>

#include "protocols/http2/hpack_primitives.h"

namespace redeye::http2 {

DecodeResult LateJoinDecoder::decode(std::span<const uint8_t> block, FieldSink& sink,
                                     std::optional<uint32_t> table_size_limit) {
  const DecodeResult result = decode_fields(block, sink, table_size_limit);
  if (result != DecodeResult::kOk) restart();
  return result;
}

void LateJoinDecoder::restart() {
  entries_.clear();
  kept_bytes_ = 0;
  insertions_ = 0;
}

const LateJoinDecoder::Entry* LateJoinDecoder::dynamic_entry(uint32_t index) const {
  const uint64_t age = index - kStaticTableSize - 1;
  return age < entries_.size() ? &entries_[entries_.size() - 1 - age] : nullptr;
}

void LateJoinDecoder::insert(Entry entry) {
  ++insertions_;
  kept_bytes_ += entry.name.size() + entry.value.size();
  entries_.push_back(std::move(entry));
  size_t evicted = 0;
  while (entries_.size() - evicted > kMaxEntries || kept_bytes_ > kMaxKeptBytes) {
    kept_bytes_ -= entries_[evicted].name.size() + entries_[evicted].value.size();
    ++evicted;
  }
  if (evicted != 0) entries_.erase(entries_.begin(), entries_.begin() + static_cast<long>(evicted));
}

DecodeResult LateJoinDecoder::decode_fields(std::span<const uint8_t> block, FieldSink& sink,
                                            std::optional<uint32_t> table_size_limit) {
  HpackCursor cursor(block);
  bool fields_seen = false;
  while (!cursor.done()) {
    const uint8_t first = cursor.peek();
    uint32_t index = 0;
    if (first & 0x80) {  // indexed field
      if (!cursor.integer(7, index) || index == 0) return DecodeResult::kInvalid;
      fields_seen = true;
      if (index <= kStaticTableSize) {
        const StaticEntry& e = static_entry(index);
        sink.on_field({e.name, e.value, true, true});
      } else if (const Entry* e = dynamic_entry(index)) {
        sink.on_field({e->name, e->value, e->name_known, e->value_known});
      } else {
        sink.on_field({{}, {}, false, false});
      }
      continue;
    }
    if ((first & 0xE0) == 0x20) {  // dynamic table size update: only before the fields
      uint32_t size = 0;
      if (fields_seen || !cursor.integer(5, size)) return DecodeResult::kInvalid;
      if (table_size_limit && size > *table_size_limit) return DecodeResult::kTableSizeOverLimit;
      if (size == 0) {  // every entry evicted: none can be named again
        entries_.clear();
        kept_bytes_ = 0;
      }
      continue;
    }
    // Literals: with incremental indexing (01, 6-bit index), without indexing (0000) or never
    // indexed (0001), 4-bit index; index 0 = the name follows as a literal.
    const bool indexing = (first & 0xC0) == 0x40;
    if (!cursor.integer(indexing ? 6 : 4, index)) return DecodeResult::kInvalid;
    fields_seen = true;
    Entry entry;
    if (index == 0) {
      bool kept = false;
      if (!cursor.string(entry.name, kMaxNameBytes, kept)) return DecodeResult::kInvalid;
      entry.name_known = kept;
    } else if (index <= kStaticTableSize) {
      entry.name = static_entry(index).name;
      entry.name_known = true;
    } else if (const Entry* e = dynamic_entry(index)) {
      entry.name = e->name;
      entry.name_known = e->name_known;
    }
    bool kept = false;
    if (!cursor.string(entry.value, kMaxValueBytes, kept)) return DecodeResult::kInvalid;
    entry.value_known = kept;
    sink.on_field({entry.name, entry.value, entry.name_known, entry.value_known});
    if (indexing) insert(std::move(entry));
  }
  return DecodeResult::kOk;
}

}  // namespace redeye::http2
