// HTTP basic authentication for /metrics: parses the Authorization header and compares the
// credentials in constant time. Pure: no I/O, so it is unit-tested with plain strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace redeye::web {

struct Credentials {
  std::string username;
  std::string password;
};

// Decodes standard base64 (with or without padding); nullopt on any invalid character.
std::optional<std::string> base64_decode(std::string_view text);

// "Basic dXNlcjpwYXNz" -> {user, pass}; nullopt when the header is not basic auth.
std::optional<Credentials> parse_basic_authorization(std::string_view header);

// Equal length and bytes, taking time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

// Whether `authorization_header` (may be empty) carries exactly `expected`.
bool authorized(std::string_view authorization_header, const Credentials& expected);

}  // namespace redeye::web
