// HPACK decoding for a connection joined mid-stream, when the dynamic table's earlier entries
// are unknown (RFC 7541 numbers dynamic entries from the newest, 62 on). Dynamic index i names
// the entry inserted (i - 62) insertions before the last one seen, and eviction only ever
// removes the oldest entries, so the numbering of the entries inserted since the join stays
// exact without knowing the table's size. An index past them names an entry from before the
// join: unknown, but every field representation is self-delimiting, so the rest of the block
// still parses. A literal with incremental indexing whose name is unknown still inserts (its
// name unknown), which keeps the numbering right.
//
// Memory is bounded: the newest kMaxEntries entries, kMaxKeptBytes of names and values; an
// older entry, or a name or value longer than kept, reads as unknown, never as a guess.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocols/http2/hpack_field.h"

namespace redeye::http2 {

class LateJoinDecoder {
 public:
  static constexpr size_t kMaxEntries = 128;
  static constexpr size_t kMaxKeptBytes = 8192;
  static constexpr size_t kMaxNameBytes = 128;
  static constexpr size_t kMaxValueBytes = 512;

  // Decodes one complete header block, giving each field to `sink`. `table_size_limit`: the
  // receiver's SETTINGS_HEADER_TABLE_SIZE when known. Anything but kOk restarts the numbering
  // (the block's insertions are unknown).
  DecodeResult decode(std::span<const uint8_t> block, FieldSink& sink,
                      std::optional<uint32_t> table_size_limit = std::nullopt);
  // A block of this direction was lost: every entry known so far is forgotten.
  void restart();

  uint64_t insertions() const { return insertions_; }
  size_t kept_entries() const { return entries_.size(); }
  size_t kept_bytes() const { return kept_bytes_; }

 private:
  struct Entry {
    std::string name;
    std::string value;
    bool name_known = false;
    bool value_known = false;
  };
  DecodeResult decode_fields(std::span<const uint8_t> block, FieldSink& sink,
                             std::optional<uint32_t> table_size_limit);
  // The entry behind index `index` (>= 1): static, known dynamic, or nullptr when unknown.
  const Entry* dynamic_entry(uint32_t index) const;
  void insert(Entry entry);

  std::vector<Entry> entries_;  // oldest first: the last one is dynamic index 62
  size_t kept_bytes_ = 0;
  uint64_t insertions_ = 0;  // since the join (or the last restart)
};

}  // namespace redeye::http2
