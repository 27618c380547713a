/* HTTP/1.x inference (see protocol_infer.h for how rules are combined). */
#ifndef REDEYE_INFER_HTTP_H
#define REDEYE_INFER_HTTP_H

#include "redeye/infer/common.h"

/* True when `p` starts with an HTTP/1.x request method followed by a space. */
static inline int redeye_looks_like_http_request(const unsigned char* p, unsigned int len) {
  if (len < 4) return 0;
  switch (p[0]) {
    case 'G':
      return redeye_prefix_is(p, len, "GET ", 4);
    case 'P':
      return redeye_prefix_is(p, len, "POST ", 5) || redeye_prefix_is(p, len, "PUT ", 4) ||
             redeye_prefix_is(p, len, "PATCH ", 6);
    case 'H':
      return redeye_prefix_is(p, len, "HEAD ", 5);
    case 'D':
      return redeye_prefix_is(p, len, "DELETE ", 7);
    case 'O':
      return redeye_prefix_is(p, len, "OPTIONS ", 8);
    case 'C':
      return redeye_prefix_is(p, len, "CONNECT ", 8);
    case 'T':
      return redeye_prefix_is(p, len, "TRACE ", 6);
    default:
      return 0;
  }
}

/* True when `p` starts with an HTTP/1.x status line ("HTTP/1.1 200"). */
static inline int redeye_looks_like_http_response(const unsigned char* p, unsigned int len) {
  return redeye_prefix_is(p, len, "HTTP/1.", 7) && len >= 9 && (p[7] == '0' || p[7] == '1') &&
         p[8] == ' ';
}

/* Requests are written by clients and read by servers; a response read means a client. */
static inline int redeye_infer_http(const unsigned char* p, unsigned int len, int direction,
                                    int* role) {
  if (redeye_looks_like_http_request(p, len)) {
    *role = direction == REDEYE_INFER_INBOUND ? REDEYE_INFER_SERVER : REDEYE_INFER_CLIENT;
    return 1;
  }
  if (direction == REDEYE_INFER_INBOUND && redeye_looks_like_http_response(p, len)) {
    *role = REDEYE_INFER_CLIENT;
    return 1;
  }
  return 0;
}

#endif /* REDEYE_INFER_HTTP_H */
