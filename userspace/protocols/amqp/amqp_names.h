// Queue and exchange names one conversation has seen, stored once and referred to by id, so
// that every tracked delivery and publish costs a few bytes. Bounded: past kMaxNames the
// table answers kOverflow ("_OTHER").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace redeye::amqp {

inline constexpr std::string_view kUnknownName = "_unknown";  // queue of an unknown consumer
inline constexpr std::string_view kOverflowName = "_OTHER";
// RabbitMQ names server-named queues "amq.gen-<random>": one label value for all of them.
inline constexpr std::string_view kGeneratedPrefix = "amq.gen-";
inline constexpr std::string_view kGeneratedName = "amq.gen-*";

class NameTable {
 public:
  static constexpr uint32_t kUnknown = 0;
  static constexpr uint32_t kOverflow = 1;

  NameTable();
  // The id of `name` (server-generated queue names folded to kGeneratedName); sets
  // `overflowed` when the table was full and the answer is kOverflow.
  uint32_t intern(std::string_view name, bool& overflowed);
  std::string_view name(uint32_t id) const { return names_[id]; }
  size_t size() const { return names_.size(); }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, uint32_t> ids_;
};

}  // namespace redeye::amqp
