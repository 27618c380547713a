#include "protocols/http/http_message_reader.h"

#include <algorithm>
#include <cstring>
#include <optional>

namespace redeye::http {

void MessageReader::feed(std::span<const uint8_t> captured, uint64_t uncaptured, uint64_t ts,
                         MessageReaderListener& listener) {
  listener_ = &listener;
  std::size_t in_pos = 0;
  while (!opaque_) {
    if (replay_pos_ < replay_.size()) {
      const StreamBuffer::Segment segment = replay_.segment_at(replay_pos_);
      replay_pos_ += step(segment.data, segment.size, segment.ts);
    } else if (in_pos < captured.size()) {
      in_pos += step(captured.data() + in_pos, captured.size() - in_pos, ts);
    } else {
      break;
    }
    if (!pending_replay_.empty()) {
      pending_replay_.append(replay_, replay_pos_);
      std::swap(replay_, pending_replay_);
      pending_replay_.clear();
      replay_pos_ = 0;
    }
  }
  if (!replay_.empty()) replay_.clear();
  replay_pos_ = 0;
  if (!pending_replay_.empty()) pending_replay_.clear();
  if (uncaptured > 0 && !opaque_) handle_gap(uncaptured, ts);
  listener_ = nullptr;
}

std::size_t MessageReader::step(const uint8_t* data, std::size_t n, uint64_t ts) {
  switch (mode_) {
    case Mode::kHead:
      return step_head(data, n, ts);
    case Mode::kBody:
      return step_body(data, n, ts);
    case Mode::kSeek:
      return step_seek(data, n, ts);
  }
  return n;
}

std::size_t MessageReader::step_head(const uint8_t* data, std::size_t n, uint64_t ts) {
  if (buf_.empty() && start_line_len_ == 0 && request_scan_.pos == 0) {
    if (role_ == StreamRole::kRequests && n >= 2 && data[0] == '\r' && data[1] == '\n') {
      // Empty lines before a request-line are ignored (as on_line_complete does one by one),
      // all at once: the attempt below is made once per message start, not once per line.
      std::size_t skip = 2;
      while (n - skip >= 2 && data[skip] == '\r' && data[skip + 1] == '\n') skip += 2;
      return skip;
    }
    // At a message start: if these bytes hold the whole head (the common case: a request or
    // response head in one read or write), parse it in place, without buffering it. Otherwise
    // (a partial or invalid head) read it line by line below, which reports what is wrong.
    const std::span<const uint8_t> bytes(data, std::min(n, kMaxHeadBytes));
    std::size_t length = 0;
    const std::optional<MessageHead> head = role_ == StreamRole::kRequests
                                                ? parse_request_head_prefix(bytes, select_, length)
                                                : parse_response_head_prefix(bytes, length);
    if (head) {
      deliver_head(*head, ts, ts, false);
      return length;
    }
  }
  // Take bytes up to the end of the current line, but never beyond the head size cap.
  const void* lf = std::memchr(data, '\n', n);
  std::size_t take = lf ? static_cast<std::size_t>(static_cast<const uint8_t*>(lf) - data) + 1 : n;
  const std::size_t room = kMaxHeadBytes - buf_.size();
  const bool overflow = take > room;
  if (overflow) take = room;
  buf_.append({data, take}, ts);
  if (lf && !overflow) {
    on_line_complete(ts);
  } else if (start_line_len_ == 0 && !partial_start_line_viable()) {
    head_failed(malformed());
  } else if (overflow) {
    head_failed(HttpAnomaly::kHeadTooLarge);
  }
  return take;
}

bool MessageReader::partial_start_line_viable() {
  if (role_ == StreamRole::kRequests) {
    if (buf_.size() == 1 && buf_[0] == '\r') return true;  // maybe an empty line before a request
    return scan_request_line(buf_.bytes(), request_scan_) != LineVerdict::kInvalid;
  }
  return scan_status_line_prefix(buf_.bytes()) != LineVerdict::kInvalid;
}

void MessageReader::on_line_complete(uint64_t ts) {
  const std::span<const uint8_t> line = buf_.bytes().subspan(line_start_);
  const bool blank = line.size() == 2 && line[0] == '\r';
  if (start_line_len_ == 0) {
    if (blank && role_ == StreamRole::kRequests) {
      reset_head();  // empty line before a request-line
      return;
    }
    const bool valid =
        role_ == StreamRole::kRequests
            ? scan_request_line(buf_.bytes(), request_scan_) == LineVerdict::kComplete
            : parse_status_line(buf_.bytes()).has_value();
    if (!valid) {
      head_failed(malformed());
      return;
    }
    start_line_len_ = buf_.size();
    line_start_ = buf_.size();
    return;
  }
  if (blank) {
    head_complete(ts);
    return;
  }
  if (line.size() < 2 || line[line.size() - 2] != '\r' ||
      !is_valid_field_line(line.first(line.size() - 2))) {
    head_failed(malformed());
    return;
  }
  line_start_ = buf_.size();
}

void MessageReader::head_complete(uint64_t ts) {
  std::optional<MessageHead> head = role_ == StreamRole::kRequests
                                        ? parse_request_head(buf_.bytes(), select_)
                                        : parse_response_head(buf_.bytes());
  if (!head) {
    head_failed(malformed());
    return;
  }
  // The head's method and target are views into buf_: it is reset once the listener saw them.
  deliver_head(*head, buf_.ts_at(0), ts, true);
}

void MessageReader::deliver_head(const MessageHead& head, uint64_t first_byte_ts, uint64_t ts,
                                 bool buffered) {
  body_.reset(listener_->on_head(head, first_byte_ts));
  if (buffered) reset_head();
  if (body_.done()) {
    message_done(ts);
  } else {
    mode_ = Mode::kBody;
  }
}

void MessageReader::head_failed(HttpAnomaly cause) {
  const bool is_malformed = cause == malformed();
  std::optional<MessageHead> start_line;
  if (start_line_len_ > 0) {
    const std::span<const uint8_t> bytes = buf_.bytes().first(start_line_len_);
    start_line.emplace();
    if (role_ == StreamRole::kRequests) {
      const std::optional<RequestLine> line = parse_request_line(bytes);
      start_line->method = line->method;  // views into buf_, alive until enter_seek()
      start_line->target = line->target;
      start_line->minor_version = line->minor_version;
    } else {
      const std::optional<StatusLine> line = parse_status_line(bytes);
      start_line->status_code = line->status_code;
      start_line->minor_version = line->minor_version;
    }
  }
  const bool report = !is_malformed || trusted_;
  if (report) {
    const uint64_t first_byte_ts = buf_.empty() ? 0 : buf_.ts_at(0);
    listener_->on_message_lost(cause, start_line ? &*start_line : nullptr, first_byte_ts, false);
  }
  // An invalid head may hide a message start inside it: look again from its second byte, or
  // after its start line if that was valid (and, if reported, was used for the lost message).
  const std::size_t resume = start_line ? start_line_len_ : 1;
  if (is_malformed) pending_replay_.append(buf_, resume);
  enter_seek();
  if (is_malformed && !(report && start_line)) note_skipped();
}

void MessageReader::body_failed(HttpAnomaly cause) {
  listener_->on_message_lost(cause, nullptr, 0, true);
  enter_seek();
}

void MessageReader::message_done(uint64_t ts) {
  mode_ = Mode::kHead;
  trusted_ = true;
  listener_->on_message_end(ts);
}

std::size_t MessageReader::step_body(const uint8_t* data, std::size_t n, uint64_t ts) {
  const uint64_t before = body_.payload_bytes();
  std::size_t consumed = 0;
  const BodyFramer::Status status = body_.feed({data, n}, consumed);
  if (body_.payload_bytes() > before) listener_->on_body(body_.payload_bytes() - before);
  switch (status) {
    case BodyFramer::Status::kDone:
      message_done(ts);
      break;
    case BodyFramer::Status::kMalformed:
      body_failed(malformed());
      break;
    case BodyFramer::Status::kTooLarge:
      body_failed(HttpAnomaly::kHeadTooLarge);
      break;
    case BodyFramer::Status::kInProgress:
    case BodyFramer::Status::kGap:
      break;
  }
  return consumed;
}

std::size_t MessageReader::step_seek(const uint8_t* data, std::size_t n, uint64_t ts) {
  if (buf_.empty()) {
    const Boundary boundary = find_boundary({data, n});
    if (boundary.pos > 0) note_skipped();
    switch (boundary.kind) {
      case Boundary::Kind::kFound:
        mode_ = Mode::kHead;
        return boundary.pos;
      case Boundary::Kind::kPartial:
        buf_.append({data + boundary.pos, n - boundary.pos}, ts);
        return n;
      case Boundary::Kind::kNone:
        return n;
    }
    return n;
  }
  // buf_ holds a possible message start: extend it up to the next line end and look again. A
  // request candidate is decided at its first LF or once it is longer than a head may be; a
  // response one within 13 bytes. Taking at most kMaxHeadBytes + 1 bytes is thus enough.
  const void* lf = std::memchr(data, '\n', n);
  std::size_t take = lf ? static_cast<std::size_t>(static_cast<const uint8_t*>(lf) - data) + 1 : n;
  take = std::min(take, kMaxHeadBytes + 1);
  buf_.append({data, take}, ts);
  const Boundary boundary = find_boundary(buf_.bytes());
  if (boundary.pos > 0) note_skipped();
  switch (boundary.kind) {
    case Boundary::Kind::kFound:
      pending_replay_.append(buf_, boundary.pos);
      buf_.clear();
      mode_ = Mode::kHead;
      break;
    case Boundary::Kind::kPartial:
      buf_.erase_front(boundary.pos);
      break;
    case Boundary::Kind::kNone:
      buf_.clear();
      break;
  }
  return take;
}

void MessageReader::handle_gap(uint64_t n, uint64_t ts) {
  while (n > 0 && !opaque_) {
    switch (mode_) {
      case Mode::kSeek:
        buf_.clear();
        note_skipped();
        return;
      case Mode::kHead:
        if (buf_.empty() && !trusted_) {
          // Nothing seen of this stream yet: we cannot tell where messages start.
          enter_seek();
          note_skipped();
        } else {
          head_failed(HttpAnomaly::kCaptureGap);
        }
        return;
      case Mode::kBody: {
        const uint64_t before = body_.payload_bytes();
        uint64_t consumed = 0;
        const BodyFramer::Status status = body_.feed_gap(n, consumed);
        if (body_.payload_bytes() > before) listener_->on_body(body_.payload_bytes() - before);
        n -= consumed;
        if (status == BodyFramer::Status::kDone) {
          message_done(ts);
          continue;  // the rest of the gap falls on the next message
        }
        if (status == BodyFramer::Status::kGap) body_failed(HttpAnomaly::kCaptureGap);
        return;
      }
    }
  }
}

void MessageReader::reset_head() {
  buf_.clear();
  line_start_ = 0;
  start_line_len_ = 0;
  request_scan_ = RequestLineScan{};
}

void MessageReader::enter_seek() {
  reset_head();
  mode_ = Mode::kSeek;
  trusted_ = false;
  skip_reported_ = false;
}

void MessageReader::note_skipped() {
  if (skip_reported_) return;
  skip_reported_ = true;
  listener_->on_bytes_skipped();
}

Boundary MessageReader::find_boundary(std::span<const uint8_t> bytes) const {
  return role_ == StreamRole::kRequests ? find_request_boundary(bytes)
                                        : find_response_boundary(bytes);
}

HttpAnomaly MessageReader::malformed() const {
  return role_ == StreamRole::kRequests ? HttpAnomaly::kMalformedRequest
                                        : HttpAnomaly::kMalformedResponse;
}

}  // namespace redeye::http
