// Frames of one direction of a PostgreSQL connection for the shared FrameReassembler: a type
// byte and an int32 length that counts itself. Two connection phases change the framing, and
// the conversation switches them as it reads:
//   * frontend, before the StartupMessage: untyped messages (int32 length, int32 code) - the
//     StartupMessage, SSLRequest, GSSENCRequest and CancelRequest;
//   * backend, right after an SSLRequest/GSSENCRequest: a single byte, 'S'/'G' (encryption
//     follows) or 'N' (refused; plain startup follows).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "protocols/common/frame_reassembler.h"
#include "protocols/postgres/pg_wire.h"

namespace redeye::postgres {

class PgFrameDecoder : public protocols::FrameDecoder {
 public:
  explicit PgFrameDecoder(Stream stream) : stream_(stream) {}

  Stream stream() const { return stream_; }
  // Frontend: untyped startup-phase messages may come next (a connection's first bytes).
  void set_startup_phase(bool on) { startup_phase_ = on; }
  bool startup_phase() const { return startup_phase_; }
  // Backend: the one-byte answer to an SSLRequest/GSSENCRequest comes next.
  void set_encryption_answer_expected(bool on) { answer_expected_ = on; }
  bool encryption_answer_expected() const { return answer_expected_; }

  protocols::FrameProbe probe(std::span<const uint8_t> bytes) const override;
  size_t find_boundary(std::span<const uint8_t> bytes) const override;

  // True when `bytes` starts a message of this stream whose header (and, where the bytes
  // reach, start of body and the header of the message after it) looks right. Public for the
  // tests; find_boundary() returns the first offset where this holds.
  bool plausible_start(std::span<const uint8_t> bytes) const;

 private:
  bool plausible_typed(std::span<const uint8_t> bytes, bool check_next) const;
  bool plausible_body(uint8_t type, std::span<const uint8_t> body) const;

  Stream stream_;
  bool startup_phase_ = false;
  bool answer_expected_ = false;
};

}  // namespace redeye::postgres
