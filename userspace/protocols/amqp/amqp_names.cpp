#include "protocols/amqp/amqp_names.h"

#include "protocols/amqp/amqp_constants.h"

namespace redeye::amqp {

NameTable::NameTable() : names_{std::string(kUnknownName), std::string(kOverflowName)} {}

uint32_t NameTable::intern(std::string_view name, bool& overflowed) {
  overflowed = false;
  if (name.starts_with(kGeneratedPrefix)) name = kGeneratedName;
  std::string key(name);
  if (auto it = ids_.find(key); it != ids_.end()) return it->second;
  if (names_.size() >= kMaxNames) {
    overflowed = true;
    return kOverflow;
  }
  const auto id = static_cast<uint32_t>(names_.size());
  names_.push_back(key);
  ids_.emplace(std::move(key), id);
  return id;
}

}  // namespace redeye::amqp
