/* The kernel's protocol table: which rule recognises which protocol, in order. Strict rules
 * first-match: a false positive costs events for the connection's lifetime, a false negative
 * only delays classification to the connection's next read or write.
 *
 * Plain C: compiled into the BPF object and into the C++ unit tests
 * (tests/unit/protocol_infer_test.cpp). Adding a protocol: its rule in infer/<name>.h, one
 * line below, its id in abi.h (enum redeye_protocol). */
#ifndef REDEYE_PROTOCOL_INFER_H
#define REDEYE_PROTOCOL_INFER_H

#include "redeye/infer/amqp.h"
#include "redeye/infer/common.h"
#include "redeye/infer/http.h"
#include "redeye/infer/postgres.h"

/* Returns the protocol (enum redeye_protocol) and sets *role, or returns 0. */
static inline int redeye_infer_protocol(const unsigned char* p, unsigned int len, int direction,
                                        int* role) {
  if (redeye_infer_http(p, len, direction, role)) return 1;     /* REDEYE_PROTO_HTTP1 */
  if (redeye_infer_postgres(p, len, direction, role)) return 2; /* REDEYE_PROTO_POSTGRES */
  if (redeye_infer_amqp(p, len, direction, role)) return 3;     /* REDEYE_PROTO_AMQP */
  return 0;
}

#endif /* REDEYE_PROTOCOL_INFER_H */
