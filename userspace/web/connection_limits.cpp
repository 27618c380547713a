#include "web/connection_limits.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "metrics/family_builder.h"

namespace redeye::web {

const char* close_reason_label(CloseReason reason) {
  // In the order of the enum.
  static constexpr std::array<const char*, kCloseReasons> kLabels = {
      "per_client_limit", "total_limit",          "header_timeout",
      "write_timeout",    "tls_handshake_failed", "head_too_large"};
  return kLabels.at(static_cast<size_t>(reason));
}

std::string client_key(const sockaddr_storage& peer) {
  char text[INET6_ADDRSTRLEN] = "";
  if (peer.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(peer);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text));
    return text;
  }
  if (peer.ss_family != AF_INET6) return "other";
  in6_addr addr = reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr;
  if (IN6_IS_ADDR_V4MAPPED(&addr)) {
    inet_ntop(AF_INET, &addr.s6_addr[12], text, sizeof(text));
    return text;
  }
  std::memset(&addr.s6_addr[8], 0, 8);
  inet_ntop(AF_INET6, &addr, text, sizeof(text));
  return std::string(text) + "/64";
}

ConnectionLimits::Admission ConnectionLimits::admit(Id id, const std::string& client,
                                                    Clock::time_point now) {
  Admission admission;
  auto make_room = [&](const std::set<Id>* candidates, CloseReason reason) {
    if (!candidates || candidates->empty()) {
      admission.refused_reason = reason;
      return;
    }
    const Id oldest = *candidates->begin();
    admission.to_close.emplace_back(oldest, reason);
    forget(oldest, entries_.at(oldest));
  };
  if (from(client) >= policy_.max_per_client) {
    const auto it = incomplete_by_client_.find(client);
    make_room(it == incomplete_by_client_.end() ? nullptr : &it->second,
              CloseReason::kPerClientLimit);
  }
  if (admission.admitted() && entries_.size() >= policy_.max_connections) {
    make_room(&incomplete_, CloseReason::kTotalLimit);
  }
  if (!admission.admitted()) return admission;
  const Clock::time_point deadline = now + policy_.header_timeout;
  entries_.emplace(id, Entry{client, deadline, false});
  per_client_[client]++;
  incomplete_by_client_[client].insert(id);
  incomplete_.insert(id);
  deadlines_.emplace(deadline, id);
  return admission;
}

void ConnectionLimits::head_complete(Id id, Clock::time_point now) {
  const auto it = entries_.find(id);
  if (it == entries_.end() || it->second.complete) return;
  Entry& entry = it->second;
  entry.complete = true;
  incomplete_.erase(id);
  const auto by_client = incomplete_by_client_.find(entry.client);
  by_client->second.erase(id);
  if (by_client->second.empty()) incomplete_by_client_.erase(by_client);
  deadlines_.erase({entry.deadline, id});
  entry.deadline = now + policy_.write_timeout;
  deadlines_.emplace(entry.deadline, id);
}

void ConnectionLimits::remove(Id id) {
  const auto it = entries_.find(id);
  if (it != entries_.end()) forget(id, it->second);
}

void ConnectionLimits::forget(Id id, const Entry& entry) {
  deadlines_.erase({entry.deadline, id});
  if (!entry.complete) {
    incomplete_.erase(id);
    const auto by_client = incomplete_by_client_.find(entry.client);
    by_client->second.erase(id);
    if (by_client->second.empty()) incomplete_by_client_.erase(by_client);
  }
  const auto count = per_client_.find(entry.client);
  if (--count->second == 0) per_client_.erase(count);
  entries_.erase(id);  // last: `entry` refers into it
}

std::optional<Clock::time_point> ConnectionLimits::next_deadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

std::vector<std::pair<ConnectionLimits::Id, CloseReason>> ConnectionLimits::expired(
    Clock::time_point now) const {
  std::vector<std::pair<Id, CloseReason>> out;
  for (auto it = deadlines_.begin(); it != deadlines_.end() && it->first <= now; ++it) {
    const bool complete = entries_.at(it->second).complete;
    out.emplace_back(it->second,
                     complete ? CloseReason::kWriteTimeout : CloseReason::kHeaderTimeout);
  }
  return out;
}

size_t ConnectionLimits::from(const std::string& client) const {
  const auto it = per_client_.find(client);
  return it == per_client_.end() ? 0 : it->second;
}

std::vector<prometheus::MetricFamily> ConnectionStats::Collect() const {
  auto open = gauge_family("redeye_metrics_endpoint_connections",
                           "Connections to the metrics endpoint open now");
  open.add(static_cast<double>(open_.load()));
  auto closed = counter_family(
      "redeye_metrics_endpoint_connections_closed_total",
      "Connections the metrics endpoint closed on its own: caps, deadlines, failed handshakes");
  for (size_t i = 0; i < kCloseReasons; i++) {
    closed.add(static_cast<double>(closed_[i].load()),
               {{"reason", close_reason_label(static_cast<CloseReason>(i))}});
  }
  return {open.take(), closed.take()};
}

}  // namespace redeye::web
