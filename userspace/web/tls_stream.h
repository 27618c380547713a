// One accepted, non-blocking connection of the metrics endpoint, plain or TLS: each call does
// what the socket allows now and says what it waits for (readable or writable), so one event
// loop drives every connection. OpenSSL's WANT_READ/WANT_WRITE map onto the same answers.
#pragma once

#include <cstddef>

struct ssl_st;
struct ssl_ctx_st;

namespace redeye::web {

enum class Io {
  kDone,       // the step finished (or moved `n` bytes)
  kWantRead,   // wait until readable, then call again
  kWantWrite,  // wait until writable, then call again
  kClosed,     // the peer closed (before a byte, for the handshake)
  kFailed,     // an error, e.g. a failed TLS handshake
};

class Stream {
 public:
  // Takes ownership of `fd` (non-blocking). `tls` null: plain.
  Stream(int fd, ssl_ctx_st* tls) : fd_(fd), tls_ctx_(tls) {}
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  int fd() const { return fd_; }
  // The TLS handshake (plain: kDone at once). A peer that closes before sending a byte gets
  // kClosed, not kFailed: a TCP probe of the port is no failed handshake. The TLS state is
  // made only once the first byte arrives, so idle connections cost no OpenSSL memory.
  Io handshake();
  // Reads up to `len` bytes into `buf`; kDone with `n` > 0 when some arrived.
  Io read(char* buf, size_t len, size_t& n);
  // Writes up to `len` bytes; kDone with `n` > 0 when some were taken.
  Io write(const char* buf, size_t len, size_t& n);
  // Sends TLS close_notify once, without waiting for the peer's.
  void finish();

 private:
  // What a recv/send/SSL_read/SSL_write result `rc` means; `would_block`: the wait when a
  // plain socket has nothing to give or no room.
  Io moved(long rc, size_t& n, Io would_block);
  Io tls_result(int rc);

  int fd_;
  ssl_ctx_st* tls_ctx_;
  ssl_st* ssl_ = nullptr;
  bool handshake_done_ = false;
};

}  // namespace redeye::web
