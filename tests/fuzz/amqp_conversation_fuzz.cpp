// libFuzzer target for the AMQP 0-9-1 conversation (userspace/protocols/amqp).
//
// Input layout:
//   byte 0-1  client->broker stream length L (little endian; clamped to what is there)
//   byte 2-5  seed of the generator that picks chunk sizes, directions and uncaptured counts
//   byte 6    maximum chunk size - 1 (chunks are 1..byte6+1 bytes)
//   byte 7    flags: bit 0 = insert uncaptured gaps, bit 1 = interleave directions randomly
//             (otherwise all client->broker bytes first), bit 2 = occasionally huge gaps,
//             bit 3 = play the server role (the broker process) instead of the client
//   then      L bytes of client->broker stream, the rest is the broker->client stream
//
// Checked properties (abort on violation):
//   * the in-flight count the events imply never goes negative and always equals what the
//     conversation holds; after on_close nothing is held (deliveries, confirms, channels);
//   * the memory limits hold (channels, deliveries, confirms, consumers);
//   * durations never exceed the time that went by; names are shortstr-sized;
//   * for a connection seen from its protocol header that never loses sync, the events do not
//     depend on how the streams are chunked, nor on the role.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "protocols/amqp/amqp_constants.h"
#include "protocols/amqp/amqp_conversation.h"
#include "protocols/amqp/amqp_events.h"
#include "protocols/amqp/amqp_frame_decoder.h"

namespace {

using redeye::fuzz::deliver;
using redeye::fuzz::feed_schedule;
using redeye::fuzz::Schedule;
using redeye::fuzz::Stream;

using redeye::amqp::AmqpConversation;
using redeye::amqp::AmqpEventSink;
using redeye::amqp::Anomaly;
using redeye::amqp::DeliveryKind;
using redeye::amqp::Outcome;
using redeye::protocols::Chunk;
using redeye::protocols::Role;

void check(bool condition, int line = __builtin_LINE()) {
  if (condition) return;
  std::fprintf(stderr, "amqp_conversation_fuzz: check failed at line %d\n", line);
  std::abort();
}

// Records events without durations; checks what can be checked per event.
class CheckingSink : public AmqpEventSink {
 public:
  void on_published(std::string_view exchange) override {
    name(exchange);
    log.push_back("P " + std::string(exchange));
  }
  void on_confirmed(std::string_view exchange, bool nacked, uint64_t nanos) override {
    name(exchange);
    check(nanos <= elapsed);
    log.push_back(std::string(nacked ? "N " : "C ") + std::string(exchange));
  }
  void on_consumed(std::string_view queue, DeliveryKind kind, bool in_flight_now) override {
    name(queue);
    if (in_flight_now) in_flight++;
    log.push_back(std::string(kind == DeliveryKind::kGet ? "G " : "D ") + std::string(queue) +
                  (in_flight_now ? " +" : ""));
  }
  void on_settled(std::string_view queue, Outcome outcome, bool requeue, uint64_t nanos) override {
    name(queue);
    check(nanos <= elapsed);
    check(!(requeue && outcome == Outcome::kAck));
    in_flight--;
    check(in_flight >= 0);
    log.push_back("S " + std::string(queue) + " " + std::to_string(static_cast<int>(outcome)) +
                  (requeue ? " r" : ""));
  }
  void on_returned(std::string_view queue, uint64_t count) override {
    name(queue);
    check(count > 0);
    in_flight -= static_cast<int64_t>(count);
    check(in_flight >= 0);
    log.push_back("R " + std::string(queue) + " " + std::to_string(count));
  }
  void on_dead_letter_delivered(std::string_view queue) override {
    name(queue);
    log.push_back("X " + std::string(queue));
  }
  void on_anomaly(Anomaly anomaly, uint64_t count) override {
    check(anomaly < Anomaly::kCount && count > 0);
    switch (anomaly) {
      case Anomaly::kCaptureGap:
      case Anomaly::kInvalidFrame:
      case Anomaly::kOutOfSync:
      case Anomaly::kBadFrameEnd:
        lost_sync = true;  // chunking-dependent: not logged
        return;
      default:
        log.push_back("A " + std::string(redeye::amqp::anomaly_name(anomaly)));
    }
  }

  std::vector<std::string> log;
  int64_t in_flight = 0;
  uint64_t elapsed = 0;  // ts of the latest chunk - ts of the first
  bool lost_sync = false;

 private:
  static void name(std::string_view s) { check(s.size() <= 255); }
};

struct Options : Schedule {
  Role role = Role::kClient;  // which side is followed
};

void check_holdings(const AmqpConversation& c, const CheckingSink& sink) {
  check(c.channels() <= redeye::amqp::kMaxChannels);
  check(c.unacked() <= redeye::amqp::kMaxUnacked);
  check(c.pending_confirms() <= redeye::amqp::kMaxPendingConfirms);
  check(c.consumers() <= redeye::amqp::kMaxConsumers);
  check(static_cast<int64_t>(c.unacked()) == sink.in_flight);
}

struct Result {
  std::vector<std::string> log;
  bool lost_sync = false;
};

// Feeds both streams in chunks chosen by the generator, then closes.
Result run(Stream to_broker, Stream to_client, const Options& options) {
  CheckingSink sink;
  AmqpConversation conversation(options.role, sink);
  const uint64_t start = 1000;
  const uint64_t ts = feed_schedule(
      to_broker, to_client, options, start,
      [&](bool c2b, std::span<const uint8_t> bytes, uint64_t uncaptured, uint64_t at) {
        sink.elapsed = at - start;
        deliver(conversation, options.role, c2b, Chunk{bytes, uncaptured, at});
        check_holdings(conversation, sink);
      });
  sink.elapsed = ts - start;
  conversation.on_close(ts);
  check(sink.in_flight == 0);
  check(conversation.unacked() == 0 && conversation.pending_confirms() == 0);
  check(conversation.channels() == 0 && conversation.consumers() == 0);
  // A closed conversation starts afresh and stays consistent.
  deliver(conversation, options.role, true, Chunk{to_broker.bytes, 0, ts + 1});
  deliver(conversation, options.role, false, Chunk{to_client.bytes, 0, ts + 2});
  sink.elapsed = ts + 2 - start;
  check_holdings(conversation, sink);
  conversation.on_close(ts + 3);
  check(sink.in_flight == 0);
  return {std::move(sink.log), sink.lost_sync};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const auto input = redeye::fuzz::decode_conversation_input(data, size);
  if (!input) return 0;
  Options options;
  static_cast<Schedule&>(options) = input->schedule;
  options.role = (input->flags & 8) != 0 ? Role::kServer : Role::kClient;
  const std::span<const uint8_t> payload = input->payload;
  const Stream to_broker = input->first;
  const Stream to_client = input->second;

  run(to_broker, to_client, options);

  // A connection seen from its start that stays in sync: the events depend neither on where
  // the chunks are cut nor on which side is followed.
  const std::string_view header = redeye::amqp::kProtocolHeader;
  const bool fresh = to_broker.bytes.size() >= header.size() &&
                     std::equal(header.begin(), header.end(), to_broker.bytes.begin());
  if (fresh) {
    Options whole = options;
    whole.gaps = false;
    whole.interleave = false;
    whole.max_chunk = 0;
    const Result reference = run(to_broker, to_client, whole);
    if (!reference.lost_sync) {
      Options chunked = whole;
      chunked.max_chunk = options.max_chunk;
      const Result cut = run(to_broker, to_client, chunked);
      check(!cut.lost_sync && cut.log == reference.log);
      Options other_role = whole;
      other_role.role = options.role == Role::kClient ? Role::kServer : Role::kClient;
      check(run(to_broker, to_client, other_role).log == reference.log);
    }
  }

  // The boundary finder never points past the bytes and agrees with plausible_frame_start.
  const redeye::amqp::AmqpFrameDecoder decoder;
  const std::size_t boundary = decoder.find_boundary(payload);
  check(boundary <= payload.size());
  if (boundary < payload.size()) {
    check(redeye::amqp::plausible_frame_start(payload.subspan(boundary)));
  }
  return 0;
}
