// Test doubles for the AMQP conversation: a sink that records events as text, and a script
// runner that plays client->broker / broker->client steps as either role.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "amqp_frames.h"
#include "protocols/amqp/amqp_conversation.h"
#include "protocols/amqp/amqp_events.h"

namespace redeye::amqp::testing {

class RecordingSink : public AmqpEventSink {
 public:
  void on_published(std::string_view exchange) override {
    log.push_back("publish " + std::string(exchange));
  }
  void on_confirmed(std::string_view exchange, bool nacked, uint64_t nanos) override {
    log.push_back("confirm " + std::string(exchange) + (nacked ? " nack " : " ack ") +
                  std::to_string(nanos));
  }
  void on_consumed(std::string_view queue, DeliveryKind kind, bool in_flight_now) override {
    log.push_back("consume " + std::string(queue) +
                  (kind == DeliveryKind::kGet ? " get" : " deliver") +
                  (in_flight_now ? " in_flight" : ""));
    if (in_flight_now) in_flight++;
  }
  void on_settled(std::string_view queue, Outcome outcome, bool requeue, uint64_t nanos) override {
    static const char* const kNames[] = {"ack", "nack", "reject"};
    log.push_back("settle " + std::string(queue) + " " + kNames[static_cast<int>(outcome)] +
                  (requeue ? " requeue " : " ") + std::to_string(nanos));
    in_flight--;
  }
  void on_returned(std::string_view queue, uint64_t count) override {
    log.push_back("return " + std::string(queue) + " " + std::to_string(count));
    in_flight -= static_cast<int64_t>(count);
  }
  void on_dead_letter_delivered(std::string_view queue) override {
    log.push_back("x-death " + std::string(queue));
  }
  void on_anomaly(Anomaly anomaly, uint64_t count) override {
    log.push_back(std::string("anomaly ") + anomaly_name(anomaly) + " " + std::to_string(count));
  }

  std::vector<std::string> log;
  int64_t in_flight = 0;
};

struct Step {
  bool to_broker = true;  // client->broker bytes, else broker->client
  std::string bytes;
  uint64_t ts = 0;
  uint64_t uncaptured = 0;  // bytes after `bytes` that the kernel did not copy
};
using Script = std::vector<Step>;

inline Step c2b(std::string bytes, uint64_t ts = 0) { return {true, std::move(bytes), ts, 0}; }
inline Step b2c(std::string bytes, uint64_t ts = 0) { return {false, std::move(bytes), ts, 0}; }

inline std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

inline void play(AmqpConversation& conversation, protocols::Role role, const Step& step,
                 std::span<const uint8_t> bytes, uint64_t uncaptured) {
  const protocols::Chunk chunk{bytes, uncaptured, step.ts};
  // The client writes client->broker bytes; the broker reads them.
  if (step.to_broker == (role == protocols::Role::kClient)) {
    conversation.on_outbound(chunk);
  } else {
    conversation.on_inbound(chunk);
  }
}

// Plays `script` as `role`; with `cut` >= 0 every step is fed in two chunks split there.
inline std::vector<std::string> run(const Script& script,
                                    protocols::Role role = protocols::Role::kClient,
                                    int64_t cut = -1, bool close = true,
                                    int64_t* in_flight_after = nullptr) {
  RecordingSink sink;
  AmqpConversation conversation(role, sink);
  for (const Step& step : script) {
    const auto bytes = as_bytes(step.bytes);
    if (cut < 0 || static_cast<size_t>(cut) >= bytes.size()) {
      play(conversation, role, step, bytes, step.uncaptured);
    } else {
      play(conversation, role, step, bytes.first(static_cast<size_t>(cut)), 0);
      play(conversation, role, step, bytes.subspan(static_cast<size_t>(cut)), step.uncaptured);
    }
  }
  if (in_flight_after != nullptr) *in_flight_after = sink.in_flight;
  if (close) conversation.on_close(script.empty() ? 0 : script.back().ts + 1);
  return sink.log;
}

// The handshake of a fresh connection up to an open channel 1.
inline Script handshake(uint16_t channel = 1) {
  return {c2b(protocol_header(), 1),
          b2c(connection_start(), 2),
          c2b(connection_start_ok(), 3),
          b2c(connection_tune(), 4),
          c2b(connection_tune(1) + connection_open(), 5),
          b2c(connection_open_ok(), 6),
          c2b(channel_open(channel), 7),
          b2c(channel_open_ok(channel), 8)};
}

inline Script operator+(Script a, const Script& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace redeye::amqp::testing
