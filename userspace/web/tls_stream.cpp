#include "web/tls_stream.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

namespace redeye::web {
namespace {

int clamp(size_t len) { return len > INT_MAX ? INT_MAX : static_cast<int>(len); }

}  // namespace

Stream::~Stream() {
  if (ssl_) SSL_free(ssl_);
  close(fd_);
}

Io Stream::moved(long rc, size_t& n, Io would_block) {
  n = 0;
  if (rc > 0) {
    n = static_cast<size_t>(rc);
    return Io::kDone;
  }
  if (ssl_) return tls_result(static_cast<int>(rc));
  if (rc == 0) return Io::kClosed;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return would_block;
  return errno == ECONNRESET || errno == EPIPE ? Io::kClosed : Io::kFailed;
}

Io Stream::tls_result(int rc) {
  switch (SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_WANT_READ:
      return Io::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return Io::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return Io::kClosed;
    default:
      ERR_clear_error();
      return Io::kFailed;
  }
}

Io Stream::handshake() {
  if (!tls_ctx_ || handshake_done_) return Io::kDone;
  if (!ssl_) {
    char first;
    size_t n = 0;
    const Io peeked = moved(recv(fd_, &first, 1, MSG_PEEK), n, Io::kWantRead);
    if (peeked != Io::kDone) return peeked;
    ssl_ = SSL_new(tls_ctx_);
    if (!ssl_ || SSL_set_fd(ssl_, fd_) != 1) return Io::kFailed;
  }
  ERR_clear_error();
  const int rc = SSL_accept(ssl_);
  if (rc == 1) {
    handshake_done_ = true;
    return Io::kDone;
  }
  return tls_result(rc);
}

Io Stream::read(char* buf, size_t len, size_t& n) {
  ERR_clear_error();  // SSL_get_error reads this thread's queue, shared by all connections
  return moved(ssl_ ? SSL_read(ssl_, buf, clamp(len)) : recv(fd_, buf, len, 0), n, Io::kWantRead);
}

Io Stream::write(const char* buf, size_t len, size_t& n) {
  ERR_clear_error();
  return moved(ssl_ ? SSL_write(ssl_, buf, clamp(len)) : send(fd_, buf, len, MSG_NOSIGNAL), n,
               Io::kWantWrite);
}

void Stream::finish() {
  if (!ssl_ || !handshake_done_) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

}  // namespace redeye::web
