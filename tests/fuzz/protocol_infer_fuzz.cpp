// libFuzzer target for the kernel's protocol rules (include/redeye/protocol_infer.h), compiled
// as C++: no read past the bytes given (each call gets a heap copy of exactly that many, so
// AddressSanitizer sees any), verdicts in range, and the HTTP rule never changes its mind as
// bytes are added (the kernel keeps a connection's first bytes while a rule says "more" and
// asks again with more: a decision taken on a prefix must be the one the whole would give).
// Input: byte 0 = direction (bit 0), the rest = the connection's first bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "redeye/abi.h"
#include "redeye/protocol_infer.h"

namespace {

int http_verdict(const uint8_t* data, size_t n, int direction) {
  std::vector<unsigned char> copy(data, data + n);
  int role = 0;
  const int v = redeye_infer_http(copy.data(), static_cast<unsigned int>(n), direction, &role);
  if (v == 1 && role != REDEYE_ROLE_SERVER && role != REDEYE_ROLE_CLIENT) std::abort();
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int direction = data[0] & 1 ? REDEYE_DIR_OUTBOUND : REDEYE_DIR_INBOUND;
  const uint8_t* bytes = data + 1;
  const size_t len = std::min<size_t>(size - 1, REDEYE_INFER_WINDOW);

  std::vector<unsigned char> copy(bytes, bytes + len);
  int role = 0;
  const int protocol =
      redeye_infer_protocol(copy.data(), static_cast<unsigned int>(len), direction, &role);
  const bool known = protocol == REDEYE_PROTO_HTTP1 || protocol == REDEYE_PROTO_POSTGRES ||
                     protocol == REDEYE_PROTO_AMQP || protocol == REDEYE_PROTO_HTTP2;
  if (!known && protocol != 0 && protocol != REDEYE_INFER_MORE) std::abort();
  if (known && role != REDEYE_ROLE_SERVER && role != REDEYE_ROLE_CLIENT) std::abort();

  int decided = REDEYE_INFER_MORE;
  for (size_t n = 1; n <= len; n++) {  // the kernel never asks about zero bytes
    const int v = http_verdict(bytes, n, direction);
    if (decided != REDEYE_INFER_MORE && v != decided) std::abort();
    if (v != REDEYE_INFER_MORE) decided = v;
  }
  return 0;
}
