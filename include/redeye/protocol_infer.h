/* Protocol inference run in the kernel on the first bytes of a connection's reads, so that
 * only HTTP conversations cost a ring-buffer event. Plain C with no helpers: the same code is
 * compiled into the BPF object and into the C++ unit tests (tests/unit/protocol_infer_test.cpp).
 *
 * Rules are strict on purpose: a false positive costs events for the connection's lifetime, a
 * false negative only delays classification to the connection's next read. */
#ifndef REDEYE_PROTOCOL_INFER_H
#define REDEYE_PROTOCOL_INFER_H

/* Bytes of a read the classifier needs. */
#define REDEYE_INFER_PREFIX 8

static inline int redeye_prefix_is(const unsigned char* p, unsigned int len, const char* word,
                                   unsigned int word_len) {
  if (len < word_len) return 0;
  for (unsigned int i = 0; i < word_len; i++) {
    if (p[i] != (unsigned char)word[i]) return 0;
  }
  return 1;
}

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

#endif /* REDEYE_PROTOCOL_INFER_H */
