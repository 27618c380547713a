// One direction of an HTTP/1.x connection: splits the byte stream into messages (head + body),
// resynchronises after a desync, and reports what it found to a listener. It knows nothing about
// the other direction; the listener decides each body's framing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "protocols/http/http_body_framer.h"
#include "protocols/http/http_boundary_finder.h"
#include "protocols/http/http_events.h"
#include "protocols/http/http_message_head.h"
#include "protocols/http/http_start_line.h"
#include "protocols/http/http_stream_buffer.h"

namespace redeye::http {

enum class StreamRole : uint8_t { kRequests, kResponses };

class MessageReaderListener {
 public:
  virtual ~MessageReaderListener() = default;
  // A valid head was parsed. `first_byte_ts` is the timestamp of the chunk that carried its
  // first byte. Returns how the body that follows is framed.
  virtual BodyFraming on_head(const MessageHead& head, uint64_t first_byte_ts) = 0;
  // `n` more payload bytes of the current message's body.
  virtual void on_body(uint64_t n) = 0;
  // The current message ended; `ts` is the timestamp of the chunk carrying its last byte.
  virtual void on_message_end(uint64_t ts) = 0;
  // The current message was lost for `cause` (kCaptureGap, kHeadTooLarge, kMalformedRequest or
  // kMalformedResponse); the reader now resynchronises. If `head_delivered`, on_head was called
  // for it (its body broke). Otherwise `start_line` carries the method and target (requests) or
  // status code (responses) if its start line was complete and valid, else it is null, and
  // `first_byte_ts` is the timestamp of its first byte (0 if no byte of it was captured).
  virtual void on_message_lost(HttpAnomaly cause, const MessageHead* start_line,
                               uint64_t first_byte_ts, bool head_delivered) = 0;
  // Resynchronisation discarded bytes. Called at most once per resynchronisation.
  virtual void on_bytes_skipped() = 0;
};

// Semantics, per direction:
//  * A head at a "trusted" boundary (right after a message that ended normally) that is invalid
//    is reported as malformed. The very first message of the stream, and a message found by
//    resynchronisation, are not trusted: if they turn out invalid, the reader silently keeps
//    resynchronising (we probably joined mid-stream / matched inside a body).
//  * Resynchronisation skips bytes until find_request_boundary / find_response_boundary finds a
//    message start; discarded bytes (captured or not) are reported once via on_bytes_skipped.
//  * Uncaptured bytes inside a body of known remaining length are payload. Elsewhere (a head,
//    chunk framing, a message boundary) they lose the current/next message: kCaptureGap. At
//    the very start of the stream they only count as skipped bytes.
//  * Requests may be preceded by empty lines (CRLF), which are ignored (RFC 9112 section 2.2).
//  * After make_opaque() every byte is ignored.
class MessageReader {
 public:
  explicit MessageReader(StreamRole role) : role_(role) {}

  // Request heads: the field names whose value goes to MessageHead::selected_value (see
  // parse_request_head). `names` must outlive the reader; empty by default.
  void select_fields(std::span<const std::string> names) { select_ = names; }

  void feed(std::span<const uint8_t> captured, uint64_t uncaptured, uint64_t ts,
            MessageReaderListener& listener);
  void make_opaque() { opaque_ = true; }
  bool opaque() const { return opaque_; }
  // True while reading a body that only ends when the connection closes.
  bool in_until_close_body() const {
    return !opaque_ && mode_ == Mode::kBody && body_.kind() == BodyKind::kUntilClose;
  }

 private:
  enum class Mode : uint8_t { kHead, kBody, kSeek };

  // Each step consumes a prefix of the bytes (possibly none, if it changed mode).
  std::size_t step(const uint8_t* data, std::size_t n, uint64_t ts);
  std::size_t step_head(const uint8_t* data, std::size_t n, uint64_t ts);
  std::size_t step_body(const uint8_t* data, std::size_t n, uint64_t ts);
  std::size_t step_seek(const uint8_t* data, std::size_t n, uint64_t ts);
  void handle_gap(uint64_t n, uint64_t ts);

  void on_line_complete(uint64_t ts);
  bool partial_start_line_viable();
  void head_complete(uint64_t ts);
  // A valid head: the listener decides its body's framing. `ts`: the chunk with its last byte.
  // `buffered`: the head was read into buf_ (which is then reset), not parsed in place.
  void deliver_head(const MessageHead& head, uint64_t first_byte_ts, uint64_t ts, bool buffered);
  void head_failed(HttpAnomaly cause);
  void body_failed(HttpAnomaly cause);
  void message_done(uint64_t ts);
  void reset_head();
  void enter_seek();
  void note_skipped();
  Boundary find_boundary(std::span<const uint8_t> bytes) const;
  HttpAnomaly malformed() const;

  StreamRole role_;
  Mode mode_ = Mode::kHead;
  bool opaque_ = false;
  bool trusted_ = false;
  bool skip_reported_ = false;
  BodyFramer body_;

  StreamBuffer buf_;                // head being read, or a possible message start while seeking
  std::size_t line_start_ = 0;      // offset in buf_ of the head line being read
  std::size_t start_line_len_ = 0;  // 0 until the start line is complete and valid
  RequestLineScan request_scan_;    // progress on buf_'s request line

  StreamBuffer replay_;  // bytes to process again before the rest of the input
  std::size_t replay_pos_ = 0;
  StreamBuffer pending_replay_;  // queued by a step; goes in front of replay_
  MessageReaderListener* listener_ = nullptr;
  std::span<const std::string> select_;
};

}  // namespace redeye::http
