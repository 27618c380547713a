#include "protocols/postgres/pg_statement_cache.h"

namespace redeye::postgres {

bool StatementCache::put(std::string_view name, OpId op) {
  if (name.empty()) {
    unnamed_ = op;
    return false;
  }
  const std::string_view k = key(name);
  if (auto it = by_name_.find(k); it != by_name_.end()) {
    it->second.op = op;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return false;
  }
  bool evicted = false;
  if (by_name_.size() >= capacity_) {
    if (lru_.empty()) return true;  // capacity 0: nothing is kept
    by_name_.erase(lru_.back());
    lru_.pop_back();
    evicted = true;
  }
  lru_.emplace_front(k);
  by_name_.emplace(lru_.front(), Entry{op, lru_.begin()});
  return evicted;
}

std::optional<OpId> StatementCache::get(std::string_view name) {
  if (name.empty()) return unnamed_;
  auto it = by_name_.find(key(name));
  if (it == by_name_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.op;
}

void StatementCache::erase(std::string_view name) {
  if (name.empty()) {
    unnamed_.reset();
    return;
  }
  auto it = by_name_.find(key(name));
  if (it == by_name_.end()) return;
  lru_.erase(it->second.lru);
  by_name_.erase(it);
}

void StatementCache::clear() {
  unnamed_.reset();
  lru_.clear();
  by_name_.clear();
}

}  // namespace redeye::postgres
