// What one AMQP channel has outstanding: deliveries awaiting an ack (by delivery tag),
// publishes awaiting a confirm (by publish sequence number), consumer tag -> queue, and
// Consume/Get requests awaiting the broker's reply. Names are ids of the conversation's
// NameTable. Limits are the conversation's (they span channels).
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace redeye::amqp {

struct Delivery {
  uint64_t tag = 0;
  uint64_t ts_ns = 0;
  uint32_t queue = 0;
};

struct PendingConfirm {
  uint64_t seq = 0;
  uint64_t ts_ns = 0;
  uint32_t exchange = 0;
};

struct Consumer {
  uint32_t queue = 0;
  bool no_ack = false;
};

// A Basic.Consume or Basic.Get awaiting ConsumeOk / GetOk|GetEmpty (replies come in order).
struct PendingRequest {
  uint32_t queue = 0;
  bool no_ack = false;
};

// Removes from `items` (ordered by key) what an acknowledgement of `tag` covers: with
// `multiple`, every item up to and including `tag` (all of them when `tag` is 0), else the
// item with exactly that key. Calls each(item) in order; returns how many.
template <class T, class Key, class Each>
size_t take_covered(std::deque<T>& items, uint64_t tag, bool multiple, Key key, Each&& each) {
  if (multiple) {
    size_t n = 0;
    while (!items.empty() && (tag == 0 || key(items.front()) <= tag)) {
      each(items.front());
      items.pop_front();
      n++;
    }
    return n;
  }
  auto it = std::lower_bound(items.begin(), items.end(), tag,
                             [&](const T& item, uint64_t t) { return key(item) < t; });
  if (it == items.end() || key(*it) != tag) return 0;
  each(*it);
  items.erase(it);
  return 1;
}

class Channel {
 public:
  // --- deliveries awaiting an ack (manual acknowledgement mode)
  // Returns the delivery it replaced when the tag was already held (a broker never reuses a
  // tag on a channel; seen only after missed frames).
  std::optional<Delivery> add_delivery(const Delivery& delivery);
  template <class Each>
  size_t settle(uint64_t tag, bool multiple, Each&& each) {
    return take_covered(
        unacked_, tag, multiple, [](const Delivery& d) { return d.tag; }, each);
  }
  template <class Each>
  size_t take_all_deliveries(Each&& each) {
    return take_covered(
        unacked_, 0, true, [](const Delivery& d) { return d.tag; }, each);
  }
  size_t unacked() const { return unacked_.size(); }

  // --- publisher confirms (Confirm.Select): the broker numbers publishes from 1
  void select_confirms() { confirm_mode_ = !confirms_lost_; }
  bool confirm_mode() const { return confirm_mode_; }
  uint64_t next_publish_seq() { return ++publish_seq_; }
  void add_confirm(const PendingConfirm& pending) { confirms_.push_back(pending); }
  template <class Each>
  size_t confirm(uint64_t tag, bool multiple, Each&& each) {
    return take_covered(
        confirms_, tag, multiple, [](const PendingConfirm& p) { return p.seq; }, each);
  }
  size_t pending_confirms() const { return confirms_.size(); }
  size_t drop_confirms();
  // Publishes were lost: sequence numbers can no longer be matched to confirms. Leaves confirm
  // mode (until the channel is opened again) and drops what was pending.
  size_t abandon_confirms() {
    confirms_lost_ = confirms_lost_ || confirm_mode_;
    confirm_mode_ = false;
    return drop_confirms();
  }

  // --- consumers and requests
  std::optional<Consumer> consumer(std::string_view tag) const;
  void add_consumer(std::string_view tag, const Consumer& consumer);
  bool remove_consumer(std::string_view tag);  // true when it was known
  size_t consumers() const { return consumers_.size(); }
  size_t drop_consumers();
  std::deque<PendingRequest> pending_consumes;
  std::deque<PendingRequest> pending_gets;

  // The queue of the Deliver/GetOk whose content header is the next frame from the broker.
  std::optional<uint32_t> awaiting_header;

 private:
  std::deque<Delivery> unacked_;
  bool confirm_mode_ = false;
  bool confirms_lost_ = false;  // publishes went unseen in confirm mode
  uint64_t publish_seq_ = 0;
  std::deque<PendingConfirm> confirms_;
  std::map<std::string, Consumer, std::less<>> consumers_;
};

}  // namespace redeye::amqp
