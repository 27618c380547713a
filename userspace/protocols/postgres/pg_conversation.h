// One PostgreSQL connection seen from the followed process. The client writes the frontend
// stream and reads the backend stream; the server (a PostgreSQL backend process) does the
// reverse: the role maps directions onto the two logical streams, and everything else - the
// framing, the startup phase, the matching - is the same for both.
//
// Connection phases: a connection seen from its first byte starts with untyped messages
// (SSLRequest, GSSENCRequest, StartupMessage, CancelRequest). An SSLRequest answered 'N'
// continues in plain text; answered 'S' (or a GSSENCRequest answered 'G') the rest is
// encrypted: the conversation stops parsing and counts it once (anomaly tls/gssenc). A
// connection joined mid-stream starts at a typed message (the kernel classified it by one).
#pragma once

#include <cstdint>
#include <memory>

#include "protocols/common/frame_reassembler.h"
#include "protocols/postgres/pg_events.h"
#include "protocols/postgres/pg_frame_decoder.h"
#include "protocols/postgres/pg_matcher.h"
#include "protocols/protocol.h"
#include "protocols/sink_ref.h"

namespace redeye::postgres {

class PgConversation : public protocols::Conversation {
 public:
  // Bytes kept of one message: enough for SQL heads, names, tags and SQLSTATEs.
  static constexpr size_t kMaxFrontendFrameBytes = 4096;
  static constexpr size_t kMaxBackendFrameBytes = 1024;

  PgConversation(protocols::Role role, PgEventSink& sink);
  PgConversation(protocols::Role role, std::unique_ptr<PgEventSink> sink);
  PgConversation(const PgConversation&) = delete;
  PgConversation& operator=(const PgConversation&) = delete;

  void on_inbound(const protocols::Chunk& chunk) override;
  void on_outbound(const protocols::Chunk& chunk) override;
  void on_close(uint64_t ts_ns) override;

  bool encrypted() const { return encrypted_; }
  size_t pending() const { return matcher_.pending(); }

 private:
  struct Direction {
    Direction(Stream stream, size_t max_frame_bytes)
        : decoder(stream), reassembler(decoder, max_frame_bytes) {}
    PgFrameDecoder decoder;
    protocols::FrameReassembler reassembler;
    protocols::ReassemblyStats reported;  // stats already turned into anomalies
  };

  PgConversation(protocols::Role role, protocols::SinkRef<PgEventSink> sink);
  void feed(Direction& direction, const protocols::Chunk& chunk);
  void on_frame(Direction& direction, const protocols::Frame& frame);
  void on_frontend_frame(const protocols::Frame& frame);
  void on_backend_frame(const protocols::Frame& frame);
  // Reports bytes the reassembler lost since the last call, in stream order.
  void check_losses(Direction& direction, uint64_t ts_ns);
  // Reports the completions the kernel counted in uncaptured bytes that the matcher did not
  // infer, once nothing is pending (so none of them can still be inferred). Returns how many
  // it reported now.
  uint64_t settle_hidden(bool closing);

  protocols::Role role_;
  protocols::SinkRef<PgEventSink> sink_;
  Direction frontend_;
  Direction backend_;
  PgMatcher matcher_;
  bool encrypted_ = false;
  uint64_t hidden_ = 0;           // completions the kernel counted in uncaptured backend bytes
  uint64_t hidden_reported_ = 0;  // of those, reported as not measured (or inferred)
};

}  // namespace redeye::postgres
