#include "protocols/postgres/pg_wire.h"

#include <array>
#include <cstring>

namespace redeye::postgres {
namespace {

constexpr uint32_t k64KiB = 1u << 16;
constexpr uint32_t k16MiB = 1u << 24;

constexpr LengthBounds exactly(uint32_t n) { return {n, n, n}; }
constexpr LengthBounds at_least(uint32_t min, uint32_t resync_max) {
  return {min, kMaxMessageLength, resync_max};
}

constexpr std::optional<LengthBounds> frontend_bounds(uint8_t type) {
  switch (type) {
    case 'Q':  // Query: SQL \0
      return at_least(5, k16MiB);
    case 'P':  // Parse: name \0, SQL \0, int16 n, int32 oids[n]
      return at_least(8, k16MiB);
    case 'B':  // Bind: portal \0, statement \0, int16 formats..., int16 values..., int16 results...
      return at_least(12, k16MiB);
    case 'D':  // Describe: 'S'/'P', name \0
    case 'C':  // Close: 'S'/'P', name \0
      return at_least(6, k64KiB);
    case 'E':  // Execute: portal \0, int32 max rows
      return at_least(9, k64KiB);
    case 'S':  // Sync
    case 'H':  // Flush
    case 'X':  // Terminate
    case 'c':  // CopyDone
      return exactly(4);
    case 'd':  // CopyData
      return at_least(4, k16MiB);
    case 'f':  // CopyFail: message \0
      return at_least(5, k64KiB);
    case 'F':  // FunctionCall
      return at_least(14, k16MiB);
    case 'p':  // PasswordMessage, SASLInitialResponse, SASLResponse, GSSResponse
      return at_least(4, k64KiB);
    default:
      return std::nullopt;
  }
}

constexpr std::optional<LengthBounds> backend_bounds(uint8_t type) {
  switch (type) {
    case 'R':  // Authentication*: int32 code, ...
      return at_least(8, k64KiB);
    case 'K':  // BackendKeyData: int32 pid, key (4 bytes in 3.0, up to 256 in 3.2)
      return LengthBounds{12, 8 + 256, 8 + 256};
    case 'S':  // ParameterStatus: name \0 value \0
      return at_least(6, 4096);
    case 'Z':  // ReadyForQuery: status byte
      return exactly(5);
    case 'C':  // CommandComplete: tag \0
      return at_least(5, 256);
    case 'I':  // EmptyQueryResponse
    case '1':  // ParseComplete
    case '2':  // BindComplete
    case '3':  // CloseComplete
    case 'n':  // NoData
    case 's':  // PortalSuspended
    case 'c':  // CopyDone
      return exactly(4);
    case 'E':  // ErrorResponse: (code, string \0)*, \0
    case 'N':  // NoticeResponse
      return at_least(5, k64KiB);
    case 'T':  // RowDescription: int16 n, fields
    case 't':  // ParameterDescription: int16 n, oids
      return at_least(6, k16MiB);
    case 'D':  // DataRow: int16 n, columns
      return at_least(6, k16MiB);
    case 'A':  // NotificationResponse: int32 pid, channel \0, payload \0
      return at_least(10, k64KiB);
    case 'G':  // CopyInResponse: int8 format, int16 n, int16 formats[n]
    case 'H':  // CopyOutResponse
    case 'W':  // CopyBothResponse
      return at_least(7, k64KiB);
    case 'd':  // CopyData
      return at_least(4, k16MiB);
    case 'V':  // FunctionCallResponse: int32 len, bytes
      return at_least(8, k16MiB);
    case 'v':  // NegotiateProtocolVersion: int32 minor, int32 n, names
      return at_least(12, k64KiB);
    default:
      return std::nullopt;
  }
}

// The switches above as one table per stream, indexed by the type byte.
constexpr std::array<std::optional<LengthBounds>, 256> make_bounds_table(Stream stream) {
  std::array<std::optional<LengthBounds>, 256> table;
  for (size_t type = 0; type < 256; type++) {
    table[type] = stream == Stream::kFrontend ? frontend_bounds(static_cast<uint8_t>(type))
                                              : backend_bounds(static_cast<uint8_t>(type));
  }
  return table;
}

}  // namespace

constinit const std::array<std::optional<LengthBounds>, 256> kFrontendBounds =
    make_bounds_table(Stream::kFrontend);
constinit const std::array<std::optional<LengthBounds>, 256> kBackendBounds =
    make_bounds_table(Stream::kBackend);

StartupKind startup_kind(uint32_t length, uint32_t code) {
  switch (code) {
    case kSslRequestCode:
      return length == 8 ? StartupKind::kSslRequest : StartupKind::kNone;
    case kGssEncRequestCode:
      return length == 8 ? StartupKind::kGssEncRequest : StartupKind::kNone;
    case kCancelRequestCode:  // 3.2 allows keys of up to 256 bytes
      return length >= 16 && length <= 12 + 256 ? StartupKind::kCancel : StartupKind::kNone;
    default:
      break;
  }
  // Protocol 3.0 .. 3.2; at least one parameter pair and the final \0.
  if (code >= kProtocolMajor3 && code <= kProtocolMajor3 + 2 && length >= 12 &&
      length <= kMaxStartupLength) {
    return StartupKind::kStartup;
  }
  return StartupKind::kNone;
}

bool BodyReader::cstring(std::string_view& out) {
  const std::span<const uint8_t> rest = body_.subspan(pos_);
  const void* zero = std::memchr(rest.data(), 0, rest.size());
  if (zero == nullptr) {
    out = std::string_view(reinterpret_cast<const char*>(rest.data()), rest.size());
    pos_ = body_.size();
    return false;
  }
  const size_t n = static_cast<size_t>(static_cast<const uint8_t*>(zero) - rest.data());
  out = std::string_view(reinterpret_cast<const char*>(rest.data()), n);
  pos_ += n + 1;
  return true;
}

bool BodyReader::byte(uint8_t& out) {
  if (body_.size() - pos_ < 1) return false;
  out = body_[pos_++];
  return true;
}

bool BodyReader::int16(uint16_t& out) {
  if (body_.size() - pos_ < 2) return false;
  out = read_be16(body_.data() + pos_);
  pos_ += 2;
  return true;
}

bool BodyReader::int32(uint32_t& out) {
  if (body_.size() - pos_ < 4) return false;
  out = read_be32(body_.data() + pos_);
  pos_ += 4;
  return true;
}

bool BodyReader::skip(size_t n) {
  if (body_.size() - pos_ < n) return false;
  pos_ += n;
  return true;
}

std::string_view error_sqlstate(std::span<const uint8_t> body) {
  BodyReader reader(body);
  uint8_t code = 0;
  while (reader.byte(code) && code != 0) {
    std::string_view value;
    const bool whole = reader.cstring(value);
    if (code == 'C') return whole ? value : std::string_view();
    if (!whole) break;
  }
  return {};
}

}  // namespace redeye::postgres
