/* The kernel's protocol table: which rule recognises which protocol, in order. Strict rules
 * first-match: a false positive costs events for the connection's lifetime, a false negative
 * only delays classification to the connection's next read or write.
 *
 * Plain C: compiled into the BPF object and into the C++ unit tests
 * (tests/unit/protocol_infer_test.cpp). Adding a protocol: its rule in infer/<name>.h, one
 * line below, its id in abi.h (enum redeye_protocol). */
#ifndef REDEYE_PROTOCOL_INFER_H
#define REDEYE_PROTOCOL_INFER_H

#include "redeye/abi.h"
#include "redeye/infer/amqp.h"
#include "redeye/infer/common.h"
#include "redeye/infer/http.h"
#include "redeye/infer/http2.h"
#include "redeye/infer/postgres.h"

/* `p`: the first `len` (<= REDEYE_INFER_WINDOW) bytes of the connection in `direction`.
 * Returns the protocol (enum redeye_protocol) and sets *role; REDEYE_INFER_MORE when no rule
 * matched but one may with more bytes in the same direction; 0 when none can. */
static inline int redeye_infer_protocol(const unsigned char* p, unsigned int len, int direction,
                                        int* role) {
  unsigned int head = len < REDEYE_INFER_PREFIX ? len : REDEYE_INFER_PREFIX;
  int http = redeye_infer_http(p, len, direction, role);
  if (http == 1) return REDEYE_PROTO_HTTP1;
  if (redeye_infer_postgres(p, head, direction, role)) return REDEYE_PROTO_POSTGRES;
  if (redeye_infer_amqp(p, head, direction, role)) return REDEYE_PROTO_AMQP;
  /* The whole window: mid-stream, HEADERS may follow other frames of the same write. */
  if (redeye_infer_http2(p, len, direction, role)) return REDEYE_PROTO_HTTP2;
  return http == REDEYE_INFER_MORE ? REDEYE_INFER_MORE : 0;
}

#endif /* REDEYE_PROTOCOL_INFER_H */
