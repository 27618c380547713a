/* HTTP/1.x inference (see protocol_infer.h for how rules are combined).
 *
 * A request is recognised by its shape, not by a list of methods: a token (RFC 9110 tchar),
 * one space, a request target, one space, "HTTP/1." DIGIT CR. So WebDAV (PROPFIND), PURGE,
 * lowercase and custom methods are HTTP too; the userspace parser labels them _OTHER. The
 * version check is what keeps other text protocols out: an SMTP greeting, a memcached or Redis
 * inline command and the HTTP/2 preface ("PRI * HTTP/2.0") all fail it. The nine standard
 * methods followed by a space are believed at once (as before): their request line may be
 * longer than the inference window.
 *
 * A read that ends inside a request line that still fits the shape is REDEYE_INFER_MORE: the
 * kernel keeps those bytes and looks again with the next read (a client writing its request
 * one byte at a time). */
#ifndef REDEYE_INFER_HTTP_H
#define REDEYE_INFER_HTTP_H

#include "redeye/infer/common.h"

/* Longest method token believed (the longest registered method, BASELINE-CONTROL, has 16). */
#define REDEYE_HTTP_MAX_METHOD 24

/* RFC 9110 tchar: "!#$%&'*+-.^_`|~", digits and letters. */
static inline int redeye_http_is_tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return 1;
    default:
      return 0;
  }
}

/* True when `p` starts with a standard HTTP/1.x request method followed by a space. */
static inline int redeye_http_known_method(const unsigned char* p, unsigned int len) {
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

/* `p[at..]` against "HTTP/1." DIGIT `last`: 1 all there, MORE a matching prefix, 0 not. */
static inline int redeye_http_version_at(const unsigned char* p, unsigned int len, unsigned int at,
                                         unsigned char last) {
  const char* version = "HTTP/1.";
  for (unsigned int k = 0; k < 9; k++) {
    unsigned int i = at + k;
    if (i >= redeye_opaque(len) || i >= REDEYE_INFER_WINDOW) return REDEYE_INFER_MORE;
    unsigned char c = p[i];
    int ok = k < 7 ? c == (unsigned char)version[k] : k == 7 ? (c >= '0' && c <= '9') : c == last;
    if (!ok) return 0;
  }
  return 1;
}

/* The first byte of a request target: origin-form "/", asterisk-form "*", absolute-form
 * "http://...", authority-form "host:port" or "[v6]:port". */
static inline int redeye_http_is_target_start(unsigned char c) {
  return c == '/' || c == '*' || c == '[' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

/* A request line's shape over the window: 1 yes, MORE not decided yet, 0 no.
 *
 * Two loops that share only the index: after the method the loop does not need the method's
 * length, so the BPF verifier sees the same state at each target byte whatever the method was
 * (one loop carrying both positions made it walk every pair of them). */
static inline int redeye_looks_like_http_request(const unsigned char* p, unsigned int len) {
  if (len == 0) return 0;
  if (redeye_http_known_method(p, len)) return 1;
  unsigned int i = 0;
  for (; i < REDEYE_HTTP_MAX_METHOD; i++) {
    if (i >= redeye_opaque(len)) return REDEYE_INFER_MORE;
    unsigned char c = p[i];
    if (c == ' ') break;
    if (!redeye_http_is_tchar(c)) return 0;
  }
  if (i == 0 || i >= REDEYE_HTTP_MAX_METHOD) return 0;
  i++;
  if (i >= redeye_opaque(len)) return REDEYE_INFER_MORE;
  if (!redeye_http_is_target_start(p[i])) return 0;
  for (i++; i < REDEYE_INFER_WINDOW; i++) {
    if (i >= redeye_opaque(len)) return REDEYE_INFER_MORE;
    unsigned char c = p[i];
    if (c == ' ') break;
    if (c <= 0x20 || c >= 0x7f) return 0; /* CR, LF, controls, non-ASCII: not a target */
  }
  if (i >= REDEYE_INFER_WINDOW) return 0; /* the target fills the window: too long to believe */
  /* Where the version starts, as a bounded value rather than one known per exit of the loop:
   * the verifier then checks the version once, not once per target length. */
  unsigned int at = (redeye_opaque(i) + 1) & (REDEYE_INFER_WINDOW - 1);
  return redeye_http_version_at(p, len, at, '\r');
}

/* True when `p` starts with an HTTP/1.x status line ("HTTP/1.1 200"); MORE for a prefix. */
static inline int redeye_looks_like_http_response(const unsigned char* p, unsigned int len) {
  int version = redeye_http_version_at(p, len, 0, ' ');
  if (version != 1) return version;
  for (unsigned int i = 9; i < 12; i++) {
    if (i >= redeye_opaque(len)) return REDEYE_INFER_MORE;
    if (p[i] < '0' || p[i] > '9') return 0;
  }
  return 1;
}

/* Requests are written by clients and read by servers; a response read means a client.
 * Returns 1 (sets *role), REDEYE_INFER_MORE or 0. */
static inline int redeye_infer_http(const unsigned char* p, unsigned int len, int direction,
                                    int* role) {
  int request = redeye_looks_like_http_request(p, len);
  if (request == 1) {
    *role = direction == REDEYE_DIR_INBOUND ? REDEYE_ROLE_SERVER : REDEYE_ROLE_CLIENT;
    return 1;
  }
  if (direction != REDEYE_DIR_INBOUND) return request;
  int response = redeye_looks_like_http_response(p, len);
  if (response == 1) {
    *role = REDEYE_ROLE_CLIENT;
    return 1;
  }
  return request == REDEYE_INFER_MORE || response == REDEYE_INFER_MORE ? REDEYE_INFER_MORE : 0;
}

#endif /* REDEYE_INFER_HTTP_H */
