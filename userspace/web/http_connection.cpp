#include "web/http_connection.h"

#include <algorithm>

namespace redeye::web {

HttpConnection::Progress HttpConnection::waiting(Io io) {
  if (io == Io::kWantRead) return {Wait::kRead, std::nullopt};
  if (io == Io::kWantWrite) return {Wait::kWrite, std::nullopt};
  return {Wait::kClose, std::nullopt};  // the client went away or broke off: not counted
}

HttpConnection::Progress HttpConnection::advance(const Answer& answer) {
  if (state_ == State::kHandshake) {
    const Io io = stream_.handshake();
    if (io == Io::kFailed) return {Wait::kClose, CloseReason::kTlsHandshakeFailed};
    if (io != Io::kDone) return waiting(io);
    state_ = State::kReading;
  }
  if (state_ == State::kReading) {
    size_t end = std::string::npos;
    char buf[4096];
    while (end == std::string::npos && head_.size() < kMaxRequestHead) {
      size_t n = 0;
      const Io io = stream_.read(buf, std::min(sizeof(buf), kMaxRequestHead - head_.size()), n);
      if (io != Io::kDone) return waiting(io);
      head_.append(buf, n);
      end = request_head_end(head_);
    }
    std::optional<EndpointRequest> request;
    if (end != std::string::npos) {
      request = parse_endpoint_request(std::string_view(head_).substr(0, end));
    } else {
      head_too_large_ = true;  // answered 400, like any head that is not HTTP
    }
    out_ = answer(request);
    head_.clear();
    head_.shrink_to_fit();
    state_ = State::kWriting;
  }
  while (written_ < out_.size()) {
    size_t n = 0;
    const Io io = stream_.write(out_.data() + written_, out_.size() - written_, n);
    if (io != Io::kDone) return waiting(io);
    written_ += n;
  }
  stream_.finish();
  if (head_too_large_) return {Wait::kClose, CloseReason::kHeadTooLarge};
  return {Wait::kClose, std::nullopt};
}

}  // namespace redeye::web
