#include "protocols/amqp/amqp_conversation.h"

#include <algorithm>
#include <utility>

#include "protocols/amqp/amqp_constants.h"
#include "protocols/amqp/amqp_content_header.h"

namespace redeye::amqp {
namespace {

uint64_t elapsed(uint64_t from, uint64_t to) { return to > from ? to - from : 0; }

bool starts_like_protocol_header(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return false;
  const size_t n = std::min(bytes.size(), kProtocolHeader.size());
  return std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n),
                    kProtocolHeader.begin());
}

}  // namespace

AmqpConversation::AmqpConversation(protocols::Role role, AmqpEventSink& sink)
    : role_(role), sink_(sink) {}

AmqpConversation::AmqpConversation(protocols::Role role, std::unique_ptr<AmqpEventSink> sink)
    : role_(role), sink_(std::move(sink)) {}

// The client writes the client->broker stream; the broker reads it.
void AmqpConversation::on_inbound(const protocols::Chunk& chunk) {
  feed(role_ == protocols::Role::kClient ? kToClient : kToBroker, chunk);
}

void AmqpConversation::on_outbound(const protocols::Chunk& chunk) {
  feed(role_ == protocols::Role::kClient ? kToBroker : kToClient, chunk);
}

void AmqpConversation::on_close(uint64_t /*ts_ns*/) {
  close_all();
  for (Direction& direction : directions_) {
    if (direction.reassembler) report(direction);
    direction.reassembler.reset();
    direction.reported = {};
    direction.resync = false;
  }
  started_ = false;
  names_ = NameTable();
}

// A connection seen from its start begins with the client's protocol header: both streams
// are then in sync. Anything else was joined mid-stream: search both for a frame.
void AmqpConversation::start(Stream stream, std::span<const uint8_t> captured) {
  const bool fresh = stream == kToBroker && starts_like_protocol_header(captured);
  for (Direction& direction : directions_) {
    direction.reassembler.emplace(decoder_, kMaxKeptFrameBytes, fresh);
  }
  started_ = true;
}

void AmqpConversation::feed(Stream stream, const protocols::Chunk& chunk) {
  if (!started_) start(stream, chunk.captured);
  Direction& direction = directions_[stream];
  direction.resync = false;
  direction.reassembler->feed(chunk.captured, chunk.uncaptured, chunk.ts_ns,
                              [&](const protocols::Frame& frame) {
                                if (!direction.resync) on_frame(stream, frame);
                              });
  const bool lost = report(direction) || direction.resync;
  if (direction.resync) {
    direction.reassembler.emplace(decoder_, kMaxKeptFrameBytes, /*start_in_sync=*/false);
    direction.reported = {};
  }
  if (lost) lost_sync(stream);
}

// Frames were lost: forget what can no longer be matched rather than match it wrongly.
void AmqpConversation::lost_sync(Stream stream) {
  for (auto& [id, channel] : channels_) {
    if (stream == kToBroker) {
      // Lost publishes shift the broker's sequence numbers against ours.
      confirms_ -= channel.abandon_confirms();
    } else {
      // Lost replies would pair later replies with the wrong Consume/Get; a lost delivery
      // would hand its content header to the previous one.
      channel.pending_consumes.clear();
      channel.pending_gets.clear();
      channel.awaiting_header.reset();
    }
  }
}

// Turns the reassembler's new stats into anomalies; true when bytes were skipped.
bool AmqpConversation::report(Direction& direction) {
  const protocols::ReassemblyStats& now = direction.reassembler->stats();
  protocols::ReassemblyStats& before = direction.reported;
  const uint64_t gaps = now.gaps - before.gaps;
  const uint64_t invalid = now.invalid - before.invalid;
  if (gaps > 0) anomaly(Anomaly::kCaptureGap, gaps);
  if (invalid > 0) anomaly(Anomaly::kInvalidFrame, invalid);
  if (gaps == 0 && invalid == 0 && now.skipped_bytes != before.skipped_bytes) {
    anomaly(Anomaly::kOutOfSync);
  }
  const bool skipped = now.skipped_bytes != before.skipped_bytes || gaps > 0 || invalid > 0;
  before = now;
  return skipped;
}

void AmqpConversation::on_frame(Stream stream, const protocols::Frame& frame) {
  const std::span<const uint8_t> bytes = frame.bytes;
  // The protocol header (or a broker's protocol-version reply): nothing to measure.
  if (!bytes.empty() && bytes[0] == kProtocolHeader[0]) return;
  if (bytes.size() < kFrameHeaderBytes) return;  // the decoder saw it; cannot happen
  const bool cut = frame.truncated();
  if (!cut && bytes.back() != kFrameEnd) {
    anomaly(Anomaly::kBadFrameEnd);
    directions_[stream].resync = true;
    return;
  }
  const uint16_t channel = static_cast<uint16_t>((bytes[1] << 8) | bytes[2]);
  const size_t payload_end = cut ? bytes.size() : bytes.size() - 1;
  const std::span<const uint8_t> payload =
      bytes.subspan(kFrameHeaderBytes, payload_end - kFrameHeaderBytes);
  switch (bytes[0]) {
    case kFrameMethod: {
      Method method;
      switch (parse_method(payload, cut, method)) {
        case MethodParse::kOk:
          on_method(stream, channel, method, frame.ts_ns);
          return;
        case MethodParse::kUnknown:
          anomaly(Anomaly::kUnknownMethod);
          return;
        case MethodParse::kTruncated:
          anomaly(Anomaly::kTruncatedMethod);
          return;
        case MethodParse::kMalformed:
          anomaly(Anomaly::kMalformedMethod);
          return;
      }
      return;
    }
    case kFrameHeader:
      on_content_header(stream, channel, payload, cut);
      return;
    default:  // body frames carry nothing measured; heartbeats only keep the connection up
      return;
  }
}

void AmqpConversation::on_method(Stream stream, uint16_t channel_id, const Method& method,
                                 uint64_t ts_ns) {
  if (method.class_id == kClassConnection) {
    if (method.method_id == kConnectionClose || method.method_id == kConnectionCloseOk) {
      close_all();
    }
    return;
  }
  if (method.class_id == kClassChannel) {
    if (method.method_id == kChannelClose || method.method_id == kChannelCloseOk) {
      close_channel(channel_id);
      return;
    }
    if (method.method_id == kChannelOpen) close_channel(channel_id);  // a fresh channel
  }
  if (channel_id == 0) return;
  Channel* channel = open_channel(channel_id);
  if (channel == nullptr) return;
  if (stream == kToBroker) {
    on_client_method(*channel, method, ts_ns);
  } else {
    channel->awaiting_header.reset();  // a content header follows its method immediately
    on_broker_method(*channel, method, ts_ns);
  }
}

void AmqpConversation::on_client_method(Channel& channel, const Method& method, uint64_t ts_ns) {
  if (method.is(kClassConfirm, kConfirmSelect)) {
    channel.select_confirms();
    return;
  }
  if (method.class_id != kClassBasic) return;
  switch (method.method_id) {
    case kBasicPublish: {
      sink_->on_published(method.exchange);
      if (!channel.confirm_mode()) return;
      const uint64_t seq = channel.next_publish_seq();
      if (confirms_ >= kMaxPendingConfirms) {
        anomaly(Anomaly::kConfirmLimit);
        return;
      }
      channel.add_confirm({seq, ts_ns, intern(method.exchange)});
      confirms_++;
      return;
    }
    case kBasicConsume:
      if (method.no_wait) {  // no ConsumeOk will come: the tag is the client's
        add_consumer(channel, method.consumer_tag, {intern(method.queue), method.no_ack});
      } else {
        push_request(channel.pending_consumes, method.queue, method.no_ack);
      }
      return;
    case kBasicCancel:
      if (method.no_wait && channel.remove_consumer(method.consumer_tag)) consumers_--;
      return;
    case kBasicGet:
      push_request(channel.pending_gets, method.queue, method.no_ack);
      return;
    case kBasicAck:
      settle(channel, method, Outcome::kAck, ts_ns);
      return;
    case kBasicNack:
      settle(channel, method, Outcome::kNack, ts_ns);
      return;
    case kBasicReject:
      settle(channel, method, Outcome::kReject, ts_ns);
      return;
    case kBasicRecover:
    case kBasicRecoverAsync:  // unacked deliveries come again, under new delivery tags
      return_deliveries(channel);
      return;
    default:
      return;
  }
}

void AmqpConversation::on_broker_method(Channel& channel, const Method& method, uint64_t ts_ns) {
  if (method.class_id != kClassBasic) return;
  switch (method.method_id) {
    case kBasicConsumeOk: {
      if (channel.pending_consumes.empty()) return;  // joined after the Consume
      const PendingRequest request = channel.pending_consumes.front();
      channel.pending_consumes.pop_front();
      add_consumer(channel, method.consumer_tag, {request.queue, request.no_ack});
      return;
    }
    case kBasicCancel:  // the broker cancelled the consumer (queue deleted, ...)
    case kBasicCancelOk:
      if (channel.remove_consumer(method.consumer_tag)) consumers_--;
      return;
    case kBasicDeliver: {
      // Unknown consumer (joined mid-stream, or over the limit): its acknowledgement mode is
      // unknown too, so its deliveries are counted but not tracked in flight.
      const std::optional<Consumer> consumer = channel.consumer(method.consumer_tag);
      deliver(channel, consumer ? consumer->queue : NameTable::kUnknown, DeliveryKind::kDeliver,
              consumer && !consumer->no_ack, method.delivery_tag, ts_ns);
      return;
    }
    case kBasicGetOk:
    case kBasicGetEmpty: {
      std::optional<PendingRequest> request;
      if (!channel.pending_gets.empty()) {
        request = channel.pending_gets.front();
        channel.pending_gets.pop_front();
      }
      if (method.method_id == kBasicGetEmpty) return;
      deliver(channel, request ? request->queue : NameTable::kUnknown, DeliveryKind::kGet,
              request && !request->no_ack, method.delivery_tag, ts_ns);
      return;
    }
    case kBasicAck:  // publisher confirms
      confirm(channel, method, /*nacked=*/false, ts_ns);
      return;
    case kBasicNack:
      confirm(channel, method, /*nacked=*/true, ts_ns);
      return;
    default:
      return;
  }
}

void AmqpConversation::on_content_header(Stream stream, uint16_t channel_id,
                                         std::span<const uint8_t> payload, bool cut) {
  // Content the client publishes is not looked at; a Basic.Return's content is not awaited.
  if (stream != kToClient) return;
  auto it = channels_.find(channel_id);
  if (it == channels_.end() || !it->second.awaiting_header) return;
  const uint32_t queue = *it->second.awaiting_header;
  it->second.awaiting_header.reset();
  ContentHeader header;
  switch (parse_content_header(payload, cut, header)) {
    case HeaderParse::kOk:
      if (header.x_death) sink_->on_dead_letter_delivered(name(queue));
      return;
    case HeaderParse::kTruncated:
      anomaly(Anomaly::kHeadersNotCaptured);
      return;
    case HeaderParse::kMalformed:
      // The x-death field may have been read before the damage: still a dead letter.
      if (header.x_death) sink_->on_dead_letter_delivered(name(queue));
      anomaly(Anomaly::kMalformedHeader);
      return;
  }
}

Channel* AmqpConversation::open_channel(uint16_t id) {
  auto it = channels_.find(id);
  if (it != channels_.end()) return &it->second;
  if (channels_.size() >= kMaxChannels) {
    anomaly(Anomaly::kChannelLimit);
    return nullptr;
  }
  return &channels_[id];
}

void AmqpConversation::close_channel(uint16_t id) {
  auto it = channels_.find(id);
  if (it == channels_.end()) return;
  Channel& channel = it->second;
  return_deliveries(channel);
  confirms_ -= channel.drop_confirms();
  consumers_ -= channel.drop_consumers();
  channels_.erase(it);
}

void AmqpConversation::close_all() {
  while (!channels_.empty()) close_channel(channels_.begin()->first);
}

void AmqpConversation::return_deliveries(Channel& channel) {
  std::map<uint32_t, uint64_t> per_queue;
  unacked_ -= channel.take_all_deliveries([&](const Delivery& d) { per_queue[d.queue]++; });
  for (const auto& [queue, count] : per_queue) sink_->on_returned(name(queue), count);
}

void AmqpConversation::deliver(Channel& channel, uint32_t queue, DeliveryKind kind, bool awaits_ack,
                               uint64_t tag, uint64_t ts_ns) {
  bool in_flight = awaits_ack;
  if (in_flight && unacked_ >= kMaxUnacked) {
    anomaly(Anomaly::kUnackedLimit);
    in_flight = false;
  }
  sink_->on_consumed(name(queue), kind, in_flight);
  if (in_flight) {
    if (const auto replaced = channel.add_delivery({tag, ts_ns, queue})) {
      sink_->on_returned(name(replaced->queue), 1);
    } else {
      unacked_++;
    }
  }
  channel.awaiting_header = queue;
}

void AmqpConversation::settle(Channel& channel, const Method& method, Outcome outcome,
                              uint64_t ts_ns) {
  // Basic.Ack carries no requeue bit; an acked message is done with.
  const bool requeue = outcome != Outcome::kAck && method.requeue;
  unacked_ -= channel.settle(method.delivery_tag, method.multiple, [&](const Delivery& d) {
    sink_->on_settled(name(d.queue), outcome, requeue, elapsed(d.ts_ns, ts_ns));
  });
}

void AmqpConversation::confirm(Channel& channel, const Method& method, bool nacked,
                               uint64_t ts_ns) {
  confirms_ -= channel.confirm(method.delivery_tag, method.multiple, [&](const PendingConfirm& p) {
    sink_->on_confirmed(name(p.exchange), nacked, elapsed(p.ts_ns, ts_ns));
  });
}

void AmqpConversation::add_consumer(Channel& channel, std::string_view tag,
                                    const Consumer& consumer) {
  if (channel.consumer(tag)) {
    channel.add_consumer(tag, consumer);  // replaces
  } else if (consumers_ < kMaxConsumers) {
    channel.add_consumer(tag, consumer);
    consumers_++;
  } else {
    anomaly(Anomaly::kConsumerLimit);
  }
}

void AmqpConversation::push_request(std::deque<PendingRequest>& requests, std::string_view queue,
                                    bool no_ack) {
  if (requests.size() >= kMaxPendingRequests) {
    anomaly(Anomaly::kRequestLimit);
    requests.pop_front();  // its reply will be matched to the next request: forget the oldest
  }
  requests.push_back({intern(queue), no_ack});
}

uint32_t AmqpConversation::intern(std::string_view name) {
  bool overflowed = false;
  const uint32_t id = names_.intern(name, overflowed);
  if (overflowed) anomaly(Anomaly::kNameLimit);
  return id;
}

}  // namespace redeye::amqp
