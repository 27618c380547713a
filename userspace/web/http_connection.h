// One connection of the metrics endpoint as a state machine: TLS handshake -> reading the
// request head (at most kMaxRequestHead bytes) -> writing the answer (buffered; partial
// writes resume when the socket is writable) -> closed ("Connection: close", one request).
// advance() never blocks; the event loop calls it whenever the socket is ready.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "web/connection_limits.h"
#include "web/endpoint_request.h"
#include "web/tls_stream.h"

namespace redeye::web {

class HttpConnection {
 public:
  // The whole answer (status line, headers, body) to a parsed head (nullopt: not HTTP).
  using Answer = std::function<std::string(const std::optional<EndpointRequest>&)>;
  enum class Wait { kRead, kWrite, kClose };
  struct Progress {
    Wait wait;
    std::optional<CloseReason> reason;  // with kClose: counted why, none for a normal end
  };

  HttpConnection(int fd, ssl_ctx_st* tls) : stream_(fd, tls) {}

  Progress advance(const Answer& answer);
  bool head_complete() const { return state_ == State::kWriting; }
  int fd() const { return stream_.fd(); }

 private:
  enum class State { kHandshake, kReading, kWriting };
  static Progress waiting(Io io);

  Stream stream_;
  State state_ = State::kHandshake;
  std::string head_;
  std::string out_;
  size_t written_ = 0;
  bool head_too_large_ = false;
};

}  // namespace redeye::web
