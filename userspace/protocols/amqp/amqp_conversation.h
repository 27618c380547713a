// One AMQP 0-9-1 connection seen from the followed process, for either role: as the client
// (the application: it writes client->broker frames and reads broker->client frames) or as the
// server (the broker process: the other way round). Both roles map the two byte streams onto
// the same logical client->broker / broker->client streams and run one state machine over them.
//
// Framing is by position (FrameReassembler + AmqpFrameDecoder); per channel the conversation
// follows consumer tags -> queues, deliveries awaiting an ack, publisher confirms, and reports
// message-level events to an AmqpEventSink. Pure: no clocks, no I/O; memory bounded by the
// limits in amqp_constants.h.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "protocols/amqp/amqp_channel.h"
#include "protocols/amqp/amqp_events.h"
#include "protocols/amqp/amqp_frame_decoder.h"
#include "protocols/amqp/amqp_method.h"
#include "protocols/amqp/amqp_names.h"
#include "protocols/common/frame_reassembler.h"
#include "protocols/protocol.h"
#include "protocols/sink_ref.h"

namespace redeye::amqp {

class AmqpConversation : public protocols::Conversation {
 public:
  AmqpConversation(protocols::Role role, AmqpEventSink& sink);
  AmqpConversation(protocols::Role role, std::unique_ptr<AmqpEventSink> sink);

  void on_inbound(const protocols::Chunk& chunk) override;
  void on_outbound(const protocols::Chunk& chunk) override;
  // Every delivery still awaiting an ack returns to its queue (on_returned); pending confirms
  // are forgotten. The conversation then starts afresh.
  void on_close(uint64_t ts_ns) override;

  // What the conversation holds now (tests, limits).
  size_t channels() const { return channels_.size(); }
  size_t unacked() const { return unacked_; }
  size_t pending_confirms() const { return confirms_; }
  size_t consumers() const { return consumers_; }

 private:
  enum Stream : int { kToBroker = 0, kToClient = 1 };
  struct Direction {
    std::optional<protocols::FrameReassembler> reassembler;
    protocols::ReassemblyStats reported;  // the part of the stats already reported
    bool resync = false;                  // restart out of sync after the current chunk
  };

  void feed(Stream stream, const protocols::Chunk& chunk);
  void start(Stream stream, std::span<const uint8_t> captured);
  bool report(Direction& direction);
  void lost_sync(Stream stream);
  void on_frame(Stream stream, const protocols::Frame& frame);
  void on_method(Stream stream, uint16_t channel_id, const Method& method, uint64_t ts_ns);
  void on_client_method(Channel& channel, const Method& method, uint64_t ts_ns);
  void on_broker_method(Channel& channel, const Method& method, uint64_t ts_ns);
  void on_content_header(Stream stream, uint16_t channel_id, std::span<const uint8_t> payload,
                         bool cut);

  Channel* open_channel(uint16_t id);
  void close_channel(uint16_t id);
  void close_all();
  void return_deliveries(Channel& channel);
  void deliver(Channel& channel, uint32_t queue, DeliveryKind kind, bool awaits_ack, uint64_t tag,
               uint64_t ts_ns);
  void settle(Channel& channel, const Method& method, Outcome outcome, uint64_t ts_ns);
  void confirm(Channel& channel, const Method& method, bool nacked, uint64_t ts_ns);
  void add_consumer(Channel& channel, std::string_view tag, const Consumer& consumer);
  void push_request(std::deque<PendingRequest>& requests, std::string_view queue, bool no_ack);
  uint32_t intern(std::string_view name);
  std::string_view name(uint32_t id) const { return names_.name(id); }
  void anomaly(Anomaly anomaly, uint64_t count = 1) { sink_->on_anomaly(anomaly, count); }

  protocols::Role role_;
  protocols::SinkRef<AmqpEventSink> sink_;
  AmqpFrameDecoder decoder_;
  std::array<Direction, 2> directions_;
  bool started_ = false;
  std::map<uint16_t, Channel> channels_;
  NameTable names_;
  size_t unacked_ = 0;    // deliveries awaiting an ack, all channels
  size_t confirms_ = 0;   // publishes awaiting a confirm, all channels
  size_t consumers_ = 0;  // consumer tags, all channels
};

}  // namespace redeye::amqp
