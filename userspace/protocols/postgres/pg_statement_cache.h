// Names of prepared statements (or portals) -> their operation, for one connection. Parse
// names a statement once; Bind/Execute use it by name for as long as the connection lives
// ("-M prepared"). Bounded: past `capacity` names the least recently used one is forgotten
// (an Execute of it is then named from its CommandComplete tag alone). The unnamed statement
// has its own slot and is never evicted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "protocols/postgres/pg_operation.h"

namespace redeye::postgres {

class StatementCache {
 public:
  // Longer names are kept by their prefix (PostgreSQL's own limit is 63 bytes).
  static constexpr size_t kMaxNameBytes = 64;

  explicit StatementCache(size_t capacity) : capacity_(capacity) {}

  // Returns true when an older name had to be forgotten to make room.
  bool put(std::string_view name, OpId op);
  std::optional<OpId> get(std::string_view name);
  void erase(std::string_view name);
  void clear();
  size_t size() const { return by_name_.size() + (unnamed_ ? 1 : 0); }

 private:
  struct Entry {
    OpId op;
    std::list<std::string>::iterator lru;
  };
  // Names are short (drivers use "P0_1", "S_12", "__asyncpg_stmt_3__"): an inline FNV-1a
  // and byte comparison cost less than the library's out-of-line hash and memcmp.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const {
      uint64_t h = 14695981039346656037ull;
      for (const char c : s) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
      return static_cast<size_t>(h);
    }
  };
  struct NameEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const {
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); i++) {
        if (a[i] != b[i]) return false;
      }
      return true;
    }
  };
  static std::string_view key(std::string_view name) { return name.substr(0, kMaxNameBytes); }

  size_t capacity_;
  std::optional<OpId> unnamed_;
  std::list<std::string> lru_;  // most recently used first
  std::unordered_map<std::string, Entry, NameHash, NameEqual> by_name_;
};

}  // namespace redeye::postgres
