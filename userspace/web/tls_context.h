// The server-side TLS context of the metrics endpoint (OpenSSL), TLS 1.2 and newer.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

struct ssl_ctx_st;

namespace redeye::web {

class TlsContext {
 public:
  // Loads the certificate chain and the key (the key may be in the certificate file).
  // Throws std::runtime_error naming the file and OpenSSL's reason.
  TlsContext(const std::string& cert_file, const std::string& key_file);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  ssl_ctx_st* get() const { return ctx_; }

 private:
  ssl_ctx_st* ctx_ = nullptr;
};

// OpenSSL's most recent error as text ("" when none).
std::string last_tls_error();

}  // namespace redeye::web
