#include "protocols/amqp/amqp_channel.h"

namespace redeye::amqp {

std::optional<Delivery> Channel::add_delivery(const Delivery& delivery) {
  // Tags only grow on a channel, so this appends; a stray older tag is kept in order.
  auto it = std::upper_bound(unacked_.begin(), unacked_.end(), delivery.tag,
                             [](uint64_t tag, const Delivery& d) { return tag < d.tag; });
  if (it != unacked_.begin() && std::prev(it)->tag == delivery.tag) {
    const Delivery replaced = *std::prev(it);
    *std::prev(it) = delivery;
    return replaced;
  }
  unacked_.insert(it, delivery);
  return std::nullopt;
}

size_t Channel::drop_confirms() {
  const size_t n = confirms_.size();
  confirms_.clear();
  return n;
}

std::optional<Consumer> Channel::consumer(std::string_view tag) const {
  auto it = consumers_.find(tag);
  if (it == consumers_.end()) return std::nullopt;
  return it->second;
}

void Channel::add_consumer(std::string_view tag, const Consumer& consumer) {
  consumers_.insert_or_assign(std::string(tag), consumer);
}

bool Channel::remove_consumer(std::string_view tag) {
  auto it = consumers_.find(tag);
  if (it == consumers_.end()) return false;
  consumers_.erase(it);
  return true;
}

size_t Channel::drop_consumers() {
  const size_t n = consumers_.size();
  consumers_.clear();
  return n;
}

}  // namespace redeye::amqp
