#include "protocols/http/user_identity_hash.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace redeye::http {

struct UserIdentityHasher::Mac {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* ctx = nullptr;
  ~Mac() {
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
  }
};

UserIdentityHasher::UserIdentityHasher(std::string_view key) : mac_(std::make_unique<Mac>()) {
  if (key.empty()) throw std::invalid_argument("UserIdentityHasher: empty key");
  mac_->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac_->mac != nullptr) mac_->ctx = EVP_MAC_CTX_new(mac_->mac);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  if (mac_->ctx == nullptr ||
      EVP_MAC_init(mac_->ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params) != 1) {
    throw std::runtime_error("cannot set up HMAC-SHA256 (OpenSSL)");
  }
}

UserIdentityHasher::~UserIdentityHasher() = default;

uint64_t UserIdentityHasher::id(std::string_view identity) {
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t length = 0;
  // A null key re-initialises with the key already set (the precomputed inner/outer pads).
  if (EVP_MAC_init(mac_->ctx, nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(mac_->ctx, reinterpret_cast<const unsigned char*>(identity.data()),
                     identity.size()) != 1 ||
      EVP_MAC_final(mac_->ctx, out, &length, sizeof(out)) != 1 || length < 8) {
    throw std::runtime_error("HMAC-SHA256 failed (OpenSSL)");
  }
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | out[i];
  return value;
}

std::string UserIdentityHasher::label(uint64_t id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(kLabelChars, '0');
  for (std::size_t i = 0; i < kLabelChars; ++i) {
    text[kLabelChars - 1 - i] = kHex[id & 0xf];
    id >>= 4;
  }
  return text;
}

std::string UserIdentityHasher::random_key() {
  std::string key(kRandomKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) {
    throw std::runtime_error("cannot generate a random users hash key (OpenSSL RAND_bytes)");
  }
  return key;
}

}  // namespace redeye::http
