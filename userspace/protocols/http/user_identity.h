// Who sent a request, for per-user request counting (services[].users in the configuration):
// from a header value, the `sub` claim of a bearer JWT, the user of HTTP basic auth, or the
// client's address. Pure functions of their inputs, bounded work, fuzzed
// (tests/fuzz/user_identity_fuzz.cpp). Signatures are not checked: the identity is a label
// for counting, not an authentication.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace redeye::http {

enum class IdentitySource : uint8_t { kHeader, kJwtSub, kBasicUser, kClientAddress };

// "header", "jwt_sub", "basic_user", "client_address" (the configuration's names).
std::optional<IdentitySource> identity_source_from_name(std::string_view name);

// An identity longer than this is invalid (it would not be a user id but a payload).
inline constexpr std::size_t kMaxIdentityBytes = 256;
// A header value longer than this is invalid without being decoded.
inline constexpr std::size_t kMaxIdentitySourceBytes = 8192;
// JSON nesting deeper than this makes a JWT payload invalid.
inline constexpr int kMaxJsonDepth = 32;

enum class IdentityStatus : uint8_t {
  kFound,    // value holds the identity
  kAbsent,   // the request carries none (no header, an empty one, another auth scheme)
  kInvalid,  // it carries one that cannot be read (broken token, no sub, too long, ...)
};

struct Identity {
  IdentityStatus status = IdentityStatus::kAbsent;
  std::string value;  // set only for kFound: 1..kMaxIdentityBytes bytes of UTF-8, no controls
};

// The header fields a conversation must keep for `source` (see HttpConversation):
// `header` for kHeader, `header` or else Authorization for kJwtSub, Authorization for
// kBasicUser, none for kClientAddress.
std::vector<std::string> identity_headers(IdentitySource source, std::string_view header);

// `source_value` is HttpRequestHead::user_identity_source (empty: the header was absent);
// `client_address` is the connection's remote address (kClientAddress only).
Identity extract_identity(IdentitySource source, std::string_view source_value,
                          std::string_view client_address);

// The parts, for tests and the fuzzer.
Identity identity_from_header_value(std::string_view value);
// "Bearer <jwt>" (any case, one or more spaces), or a bare JWT when the header holds only the
// token. The token is a JWS in compact form (three base64url segments); its payload is a JSON
// object whose top-level "sub" must be a string.
Identity identity_from_bearer_jwt(std::string_view value);
// "Basic <base64 of user:password>": the user part (before the first ':').
Identity identity_from_basic_auth(std::string_view value);
// The textual address; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes a.b.c.d.
Identity identity_from_client_address(std::string_view address);

// Standard (+/) or URL (-_) alphabet; '=' padding optional but, if present, correct;
// whitespace is not allowed. nullopt on any other character or impossible length.
std::optional<std::string> base64_decode(std::string_view text, bool url_alphabet);

// The string value of member `name` of the top-level JSON object `json` (escapes decoded,
// \u surrogate pairs to UTF-8). nullopt if json is not an object, is malformed up to that
// member, nests deeper than kMaxJsonDepth, or the member is absent or not a string.
// The first occurrence wins.
std::optional<std::string> json_top_level_string(std::string_view json, std::string_view name);

}  // namespace redeye::http
