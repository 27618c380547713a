// The PostgreSQL frontend/backend protocol (version 3) as bytes: message types, their length
// bounds, the untyped startup-phase messages, and a reader for message bodies. Pure.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace redeye::postgres {

// Frontend = what the client sends, backend = what the server sends.
enum class Stream : uint8_t { kFrontend, kBackend };

inline constexpr uint32_t kProtocolMajor3 = 3u << 16;  // 196608 = 3.0
inline constexpr uint32_t kSslRequestCode = 80877103;
inline constexpr uint32_t kGssEncRequestCode = 80877104;
inline constexpr uint32_t kCancelRequestCode = 80877102;
inline constexpr uint32_t kMaxStartupLength = 10000;     // the server refuses longer ones
inline constexpr uint32_t kMaxMessageLength = 1u << 30;  // the server's allocation limit

// Bounds of a typed message's int32 length (which counts itself, not the type byte).
struct LengthBounds {
  uint32_t min = 0;
  uint32_t max = 0;         // what the protocol allows
  uint32_t resync_max = 0;  // what a resync believes (strict: real messages are shorter)
};

// Bounds by type byte, nullopt for a type that is not a message of that stream (pg_wire.cpp).
extern const std::array<std::optional<LengthBounds>, 256> kFrontendBounds;
extern const std::array<std::optional<LengthBounds>, 256> kBackendBounds;

// nullopt: `type` is not a message of `stream`. Inline: every frame's probe asks.
inline std::optional<LengthBounds> typed_bounds(Stream stream, uint8_t type) {
  return stream == Stream::kFrontend ? kFrontendBounds[type] : kBackendBounds[type];
}

// The untyped messages a client may send before its StartupMessage.
enum class StartupKind : uint8_t { kNone, kStartup, kSslRequest, kGssEncRequest, kCancel };

// What an untyped message with this length and code is, kNone when it is none.
StartupKind startup_kind(uint32_t length, uint32_t code);

inline uint32_t read_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
inline uint16_t read_be16(const uint8_t* p) {
  return static_cast<uint16_t>((uint32_t{p[0]} << 8) | uint32_t{p[1]});
}

// Reads fields from a message body that may have been truncated by the capture limit: every
// read says whether the field was whole.
class BodyReader {
 public:
  explicit BodyReader(std::span<const uint8_t> body) : body_(body) {}
  // A \0-terminated string; false (and the rest of the body in `out`) when unterminated.
  bool cstring(std::string_view& out);
  bool byte(uint8_t& out);
  bool int16(uint16_t& out);
  bool int32(uint32_t& out);
  bool skip(size_t n);
  std::span<const uint8_t> rest() const { return body_.subspan(pos_); }

 private:
  std::span<const uint8_t> body_;
  size_t pos_ = 0;
};

// The SQLSTATE in an ErrorResponse/NoticeResponse body (field 'C'), or "" when not captured.
std::string_view error_sqlstate(std::span<const uint8_t> body);

}  // namespace redeye::postgres
