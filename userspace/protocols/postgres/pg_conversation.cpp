#include "protocols/postgres/pg_conversation.h"

#include <algorithm>
#include <utility>

namespace redeye::postgres {

PgConversation::PgConversation(protocols::Role role, PgEventSink& sink)
    : PgConversation(role, protocols::SinkRef<PgEventSink>(sink)) {}

PgConversation::PgConversation(protocols::Role role, std::unique_ptr<PgEventSink> sink)
    : PgConversation(role, protocols::SinkRef<PgEventSink>(std::move(sink))) {}

PgConversation::PgConversation(protocols::Role role, protocols::SinkRef<PgEventSink> sink)
    : role_(role),
      sink_(std::move(sink)),
      frontend_(Stream::kFrontend, kMaxFrontendFrameBytes),
      backend_(Stream::kBackend, kMaxBackendFrameBytes),
      matcher_(*sink_) {
  frontend_.decoder.set_startup_phase(true);
}

void PgConversation::on_inbound(const protocols::Chunk& chunk) {
  feed(role_ == protocols::Role::kClient ? backend_ : frontend_, chunk);
}

void PgConversation::on_outbound(const protocols::Chunk& chunk) {
  feed(role_ == protocols::Role::kClient ? frontend_ : backend_, chunk);
}

void PgConversation::on_close(uint64_t /*ts_ns*/) {
  // Pending requests whose completion the kernel saw in uncaptured bytes are counted once,
  // as not captured; the rest never got an answer.
  const uint64_t pending = matcher_.reset();
  const uint64_t hidden_left = settle_hidden(true);
  if (pending > hidden_left) {
    sink_->on_not_measured(NotMeasured::kResponseNotSeen, pending - hidden_left);
  }
}

uint64_t PgConversation::settle_hidden(bool closing) {
  if (!closing && matcher_.pending() != 0) return 0;
  const uint64_t accounted = hidden_reported_ + matcher_.inferred();
  if (hidden_ <= accounted) return 0;
  const uint64_t now = hidden_ - accounted;
  sink_->on_not_measured(NotMeasured::kNotCaptured, now);
  hidden_reported_ += now;
  return now;
}

void PgConversation::feed(Direction& direction, const protocols::Chunk& chunk) {
  if (encrypted_) return;
  if (&direction == &backend_) hidden_ += chunk.hidden_messages;
  direction.reassembler.feed(
      chunk.captured, chunk.uncaptured, chunk.ts_ns,
      [this, &direction](const protocols::Frame& frame) { on_frame(direction, frame); });
  if (!encrypted_) check_losses(direction, chunk.ts_ns);
  settle_hidden(false);
}

void PgConversation::check_losses(Direction& direction, uint64_t ts_ns) {
  const protocols::ReassemblyStats& now = direction.reassembler.stats();
  protocols::ReassemblyStats& seen = direction.reported;
  if (now.gaps == seen.gaps && now.invalid == seen.invalid) return;
  if (now.gaps > seen.gaps) sink_->on_anomaly(PgAnomaly::kCaptureGap, now.gaps - seen.gaps);
  if (now.invalid > seen.invalid) {
    sink_->on_anomaly(PgAnomaly::kMalformedMessage, now.invalid - seen.invalid);
  }
  seen = now;
  if (direction.decoder.stream() == Stream::kFrontend) {
    matcher_.frontend_lost(ts_ns);
  } else {
    matcher_.backend_lost(ts_ns);
  }
}

void PgConversation::on_frame(Direction& direction, const protocols::Frame& frame) {
  if (encrypted_ || frame.bytes.empty()) return;
  check_losses(direction, frame.ts_ns);
  if (direction.decoder.stream() == Stream::kFrontend) {
    on_frontend_frame(frame);
  } else {
    on_backend_frame(frame);
  }
}

void PgConversation::on_frontend_frame(const protocols::Frame& frame) {
  PgFrameDecoder& decoder = frontend_.decoder;
  if (decoder.startup_phase() && frame.bytes[0] == 0) {
    // The decoder accepted it, so its 8-byte header is there.
    switch (startup_kind(read_be32(frame.bytes.data()), read_be32(frame.bytes.data() + 4))) {
      case StartupKind::kSslRequest:
      case StartupKind::kGssEncRequest:
        backend_.decoder.set_encryption_answer_expected(true);
        return;
      case StartupKind::kStartup:
        decoder.set_startup_phase(false);  // typed messages from here on
        return;
      default:  // CancelRequest: the connection closes
        return;
    }
  }
  decoder.set_startup_phase(false);
  matcher_.on_frontend(frame.bytes[0], frame.bytes.subspan(std::min<size_t>(5, frame.bytes.size())),
                       frame.ts_ns);
}

void PgConversation::on_backend_frame(const protocols::Frame& frame) {
  PgFrameDecoder& decoder = backend_.decoder;
  if (decoder.encryption_answer_expected()) {
    decoder.set_encryption_answer_expected(false);
    if (frame.length == 1) {
      if (frame.bytes[0] == 'S' || frame.bytes[0] == 'G') {
        // TLS or GSSAPI encryption follows: nothing more can be read.
        encrypted_ = true;
        matcher_.reset();
        sink_->on_anomaly(frame.bytes[0] == 'S' ? PgAnomaly::kTls : PgAnomaly::kGssEncryption, 1);
      }
      return;  // 'N': refused, the client goes on in plain text
    }
  }
  matcher_.on_backend(frame.bytes[0], frame.bytes.subspan(std::min<size_t>(5, frame.bytes.size())),
                      frame.ts_ns);
}

}  // namespace redeye::postgres
