// libFuzzer target for user identity extraction (userspace/protocols/http/user_identity).
//
// Input layout:
//   byte 0   source: 0 header, 1 jwt_sub, 2 basic_user, 3 client_address (mod 4)
//   then     the header value (and the client address, for client_address)
// Besides the raw value, the same bytes are tried as a JWT payload ("Bearer h.<b64url>.s")
// and as basic-auth credentials ("Basic <b64>"), so the JSON scanner and the user:password
// split see arbitrary decoded bytes, not only what survives base64 decoding.
//
// Checked properties (abort on violation):
//   * kFound carries 1..kMaxIdentityBytes bytes without control characters; the other
//     statuses carry nothing;
//   * extraction is deterministic;
//   * base64_decode of an encoding gives the input back;
//   * json_top_level_string never returns more bytes than the JSON it was given.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocols/http/user_identity.h"

namespace {

using redeye::http::Identity;
using redeye::http::IdentitySource;
using redeye::http::IdentityStatus;

void check(bool ok) {
  if (!ok) std::abort();
}

std::string encode(std::string_view data, bool url) {
  const char* alphabet = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                             : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : data) {
    bits = (bits << 8) | static_cast<unsigned char>(c);
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += alphabet[(bits >> count) & 63];
    }
  }
  if (count > 0) out += alphabet[(bits << (6 - count)) & 63];
  return out;
}

void check_identity(const Identity& identity) {
  if (identity.status != IdentityStatus::kFound) {
    check(identity.value.empty());
    return;
  }
  check(!identity.value.empty() && identity.value.size() <= redeye::http::kMaxIdentityBytes);
  for (char c : identity.value) {
    const auto u = static_cast<unsigned char>(c);
    check(u >= 0x20 && u != 0x7f);
  }
}

void extract_twice(IdentitySource source, std::string_view value, std::string_view address) {
  const Identity a = redeye::http::extract_identity(source, value, address);
  const Identity b = redeye::http::extract_identity(source, value, address);
  check(a.status == b.status && a.value == b.value);
  check_identity(a);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto source = static_cast<IdentitySource>(data[0] % 4);
  const std::string_view value(reinterpret_cast<const char*>(data + 1), size - 1);
  extract_twice(source, value, value);

  const std::string payload = encode(value, true);
  extract_twice(IdentitySource::kJwtSub, "Bearer eyJhbGciOiJub25lIn0." + payload + ".sig", "");
  extract_twice(IdentitySource::kBasicUser, "Basic " + encode(value, false), "");

  const auto decoded = redeye::http::base64_decode(payload, true);
  check(decoded && *decoded == value);
  if (const auto sub = redeye::http::json_top_level_string(value, "sub")) {
    check(sub->size() <= value.size());
  }
  return 0;
}
