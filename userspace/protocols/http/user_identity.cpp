#include "protocols/http/user_identity.h"

#include <array>

#include "text/ascii.h"

namespace redeye::http {

namespace {

using text::iequals;

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF) without control
// characters (C0, DEL, C1): what may become a label value.
bool printable_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++i;
      continue;
    }
    std::size_t n = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    if (cp >= 0x80 && cp <= 0x9f) return false;  // C1 controls
    i += n + 1;
  }
  return true;
}

Identity found(std::string value) {
  if (value.empty()) return {IdentityStatus::kAbsent, {}};
  if (value.size() > kMaxIdentityBytes || !printable_utf8(value)) {
    return {IdentityStatus::kInvalid, {}};
  }
  return {IdentityStatus::kFound, std::move(value)};
}

Identity invalid() { return {IdentityStatus::kInvalid, {}}; }
Identity absent() { return {IdentityStatus::kAbsent, {}}; }

// Splits "Scheme credentials". Returns false when `value` has no scheme (a bare token).
bool split_scheme(std::string_view value, std::string_view& scheme, std::string_view& rest) {
  std::size_t space = 0;
  while (space < value.size() && !is_space(value[space])) ++space;
  if (space == value.size()) return false;
  scheme = value.substr(0, space);
  rest = trim(value.substr(space));
  return true;
}

constexpr std::array<int8_t, 256> decode_table(bool url) {
  std::array<int8_t, 256> table{};
  for (auto& v : table) v = -1;
  const char* alphabet = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                             : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i)
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return table;
}

constexpr std::array<int8_t, 256> kStandard = decode_table(false);
constexpr std::array<int8_t, 256> kUrl = decode_table(true);

// A JSON reader that only looks for one member of the top-level object.
class JsonScanner {
 public:
  explicit JsonScanner(std::string_view text) : s_(text) {}

  std::optional<std::string> top_level_string(std::string_view name) {
    skip_ws();
    if (!eat('{')) return std::nullopt;
    skip_ws();
    if (eat('}')) return std::nullopt;
    while (true) {
      std::string key;
      if (!string(&key)) return std::nullopt;
      skip_ws();
      if (!eat(':')) return std::nullopt;
      skip_ws();
      if (key == name) {
        std::string value;
        if (peek() != '"' || !string(&value)) return std::nullopt;
        return value;
      }
      if (!value(1)) return std::nullopt;
      skip_ws();
      if (eat(',')) {
        skip_ws();
        continue;
      }
      return std::nullopt;  // '}' (not found) or malformed
    }
  }

 private:
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool eat(char c) {
    if (pos_ >= s_.size() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool hex4(uint32_t& out) {
    if (pos_ + 4 > s_.size()) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = hex(s_[pos_++]);
      if (h < 0) return false;
      out = (out << 4) | static_cast<uint32_t>(h);
    }
    return true;
  }

  static void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  // A string at pos_; its decoded text goes to *out unless out is null.
  bool string(std::string* out) {
    if (!eat('"')) return false;
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        if (out) *out += c;
        continue;
      }
      if (pos_ >= s_.size()) return false;
      const char e = s_[pos_++];
      char plain = 0;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          plain = e;
          break;
        case 'b':
          plain = '\b';
          break;
        case 'f':
          plain = '\f';
          break;
        case 'n':
          plain = '\n';
          break;
        case 'r':
          plain = '\r';
          break;
        case 't':
          plain = '\t';
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t low = 0;
            if (!eat('\\') || !eat('u') || !hex4(low) || low < 0xdc00 || low > 0xdfff) {
              return false;
            }
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            return false;  // a lone low surrogate
          }
          if (out) append_utf8(*out, cp);
          continue;
        }
        default:
          return false;
      }
      if (out) *out += plain;
    }
    return false;
  }

  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool number() {
    const std::size_t start = pos_;
    while (pos_ < s_.size() &&
           std::string_view("+-0123456789.eE").find(s_[pos_]) != std::string_view::npos) {
      ++pos_;
    }
    return pos_ > start;
  }

  // Skips one value. `depth` is the nesting level of the container it is in.
  bool value(int depth) {
    switch (peek()) {
      case '"':
        return string(nullptr);
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      case '{':
      case '[': {
        if (depth >= kMaxJsonDepth) return false;
        const char close = peek() == '{' ? '}' : ']';
        const bool object = close == '}';
        ++pos_;
        skip_ws();
        if (eat(close)) return true;
        while (true) {
          if (object) {
            if (!string(nullptr)) return false;
            skip_ws();
            if (!eat(':')) return false;
            skip_ws();
          }
          if (!value(depth + 1)) return false;
          skip_ws();
          if (eat(close)) return true;
          if (!eat(',')) return false;
          skip_ws();
        }
      }
      default:
        return number();
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

std::optional<IdentitySource> identity_source_from_name(std::string_view name) {
  if (name == "header") return IdentitySource::kHeader;
  if (name == "jwt_sub") return IdentitySource::kJwtSub;
  if (name == "basic_user") return IdentitySource::kBasicUser;
  if (name == "client_address") return IdentitySource::kClientAddress;
  return std::nullopt;
}

std::vector<std::string> identity_headers(IdentitySource source, std::string_view header) {
  switch (source) {
    case IdentitySource::kHeader:
      return {std::string(header)};
    case IdentitySource::kJwtSub:
      return {header.empty() ? std::string("Authorization") : std::string(header)};
    case IdentitySource::kBasicUser:
      return {"Authorization"};
    case IdentitySource::kClientAddress:
      break;
  }
  return {};
}

std::optional<std::string> base64_decode(std::string_view text, bool url_alphabet) {
  const std::array<int8_t, 256>& table = url_alphabet ? kUrl : kStandard;
  std::size_t padding = 0;
  while (!text.empty() && text.back() == '=' && padding < 2) {
    text.remove_suffix(1);
    ++padding;
  }
  if (text.size() % 4 == 1) return std::nullopt;
  if (padding > 0 && (text.size() + padding) % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    const int8_t v = table[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  return out;
}

std::optional<std::string> json_top_level_string(std::string_view json, std::string_view name) {
  return JsonScanner(json).top_level_string(name);
}

Identity identity_from_header_value(std::string_view value) {
  if (value.size() > kMaxIdentitySourceBytes) return invalid();
  return found(std::string(trim(value)));
}

Identity identity_from_bearer_jwt(std::string_view value) {
  value = trim(value);
  if (value.empty()) return absent();
  if (value.size() > kMaxIdentitySourceBytes) return invalid();
  std::string_view scheme;
  std::string_view token = value;
  if (split_scheme(value, scheme, token)) {
    if (!iequals(scheme, "bearer")) return absent();  // another scheme: not a JWT user
  }
  // header.payload.signature, each base64url; JWE (five parts) cannot be read.
  const std::size_t first = token.find('.');
  if (first == std::string_view::npos) return invalid();
  const std::size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return invalid();
  }
  const std::string_view payload = token.substr(first + 1, second - first - 1);
  if (first == 0 || payload.empty()) return invalid();
  const std::optional<std::string> json = base64_decode(payload, true);
  if (!json) return invalid();
  std::optional<std::string> sub = json_top_level_string(*json, "sub");
  if (!sub || sub->empty()) return invalid();
  return found(std::move(*sub));
}

Identity identity_from_basic_auth(std::string_view value) {
  value = trim(value);
  if (value.empty()) return absent();
  if (value.size() > kMaxIdentitySourceBytes) return invalid();
  std::string_view scheme;
  std::string_view credentials;
  if (!split_scheme(value, scheme, credentials) || !iequals(scheme, "basic")) return absent();
  const std::optional<std::string> decoded = base64_decode(credentials, false);
  if (!decoded) return invalid();
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos || colon == 0) return invalid();
  return found(decoded->substr(0, colon));
}

Identity identity_from_client_address(std::string_view address) {
  if (address.size() > 7 && iequals(address.substr(0, 7), "::ffff:") &&
      address.find('.') != std::string_view::npos) {
    address.remove_prefix(7);
  }
  return found(std::string(address));
}

Identity extract_identity(IdentitySource source, std::string_view source_value,
                          std::string_view client_address) {
  switch (source) {
    case IdentitySource::kHeader:
      return identity_from_header_value(source_value);
    case IdentitySource::kJwtSub:
      return identity_from_bearer_jwt(source_value);
    case IdentitySource::kBasicUser:
      return identity_from_basic_auth(source_value);
    case IdentitySource::kClientAddress:
      return identity_from_client_address(client_address);
  }
  return absent();
}

}  // namespace redeye::http
