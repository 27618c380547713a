#include "web/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace redeye::web {

std::string last_tls_error() {
  const unsigned long code = ERR_get_error();
  if (code == 0) return "";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  ERR_clear_error();
  return text;
}

TlsContext::TlsContext(const std::string& cert_file, const std::string& key_file) {
  ctx_ = SSL_CTX_new(TLS_server_method());
  if (!ctx_) throw std::runtime_error("TLS: cannot create a context: " + last_tls_error());
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  // Idle connections (up to thousands) then hold no 16 KiB record buffers each.
  SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS);
  const std::string& key = key_file.empty() ? cert_file : key_file;
  if (SSL_CTX_use_certificate_chain_file(ctx_, cert_file.c_str()) != 1) {
    std::string why = last_tls_error();
    SSL_CTX_free(ctx_);
    throw std::runtime_error("web.tls_cert_file: cannot load " + cert_file + ": " + why);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx_) != 1) {
    std::string why = last_tls_error();
    SSL_CTX_free(ctx_);
    throw std::runtime_error("web.tls_key_file: cannot use " + key + ": " + why);
  }
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

}  // namespace redeye::web
