/* HTTP/2 inference (see protocol_infer.h for how rules are combined).
 *
 * A fresh connection starts with the client writing the preface, whose first line
 * "PRI * HTTP/2.0\r\n" is exactly 16 bytes (gRPC writes the 24-byte preface alone; the HTTP/1
 * rule does not take it: its version must be HTTP/1.x).
 *
 * A connection opened before the agent is recognised by a HEADERS frame, walking at most
 * REDEYE_H2_INFER_FRAMES frames of the first bytes (Go's gRPC glues WINDOW_UPDATE and PING
 * before HEADERS in one write). Every frame walked must be plausible: length <= 16384 (the
 * default SETTINGS_MAX_FRAME_SIZE: byte 0 is 0, which no TLS record, HTTP/1 line, AMQP frame or
 * PostgreSQL message has there), a known type with only that type's flags, the reserved bit
 * clear, and each type's stream and length rules (SETTINGS, PING, GOAWAY on stream 0 with their
 * lengths; HEADERS, DATA, RST_STREAM, PRIORITY, CONTINUATION on a stream; PING 8 bytes,
 * RST_STREAM and WINDOW_UPDATE 4, PRIORITY 5). The HEADERS frame must be on an odd
 * (client-initiated) stream and its header block's first byte tells the side: a request
 * starts with a request pseudo-header (:method, :scheme, :path or :authority, static indexes
 * 1..7, indexed or as a literal's name), a response with :status (static 8..14). A HEADERS
 * frame that begins with anything else (trailers, a dynamic-table reference) is no evidence:
 * the rule answers 0 and the next read or write is tried. */
#ifndef REDEYE_INFER_HTTP2_H
#define REDEYE_INFER_HTTP2_H

#include "redeye/infer/common.h"

#define REDEYE_H2_FRAME_HEADER 9u
#define REDEYE_H2_MAX_INFER_FRAME 16384u
#define REDEYE_H2_INFER_FRAMES 4

#define REDEYE_H2_DATA 0
#define REDEYE_H2_HEADERS 1
#define REDEYE_H2_PRIORITY 2
#define REDEYE_H2_RST_STREAM 3
#define REDEYE_H2_SETTINGS 4
#define REDEYE_H2_PUSH_PROMISE 5
#define REDEYE_H2_PING 6
#define REDEYE_H2_GOAWAY 7
#define REDEYE_H2_WINDOW_UPDATE 8
#define REDEYE_H2_CONTINUATION 9

#define REDEYE_H2_FLAG_END_STREAM 0x1
#define REDEYE_H2_FLAG_ACK 0x1
#define REDEYE_H2_FLAG_END_HEADERS 0x4
#define REDEYE_H2_FLAG_PADDED 0x8
#define REDEYE_H2_FLAG_PRIORITY 0x20

/* 1 when a frame header with these fields can be HTTP/2 (RFC 9113 section 6). */
static inline int redeye_h2_frame_plausible(unsigned int length, unsigned int type,
                                            unsigned int flags, unsigned int stream) {
  if (length > REDEYE_H2_MAX_INFER_FRAME || (stream & 0x80000000u)) return 0;
  switch (type) {
    case REDEYE_H2_DATA:
      return stream != 0 && (flags & ~0x09u) == 0;
    case REDEYE_H2_HEADERS:
      return stream != 0 && (flags & ~0x2Du) == 0;
    case REDEYE_H2_PRIORITY:
      return stream != 0 && flags == 0 && length == 5;
    case REDEYE_H2_RST_STREAM:
      return stream != 0 && flags == 0 && length == 4;
    case REDEYE_H2_SETTINGS:
      return stream == 0 && (flags & ~0x01u) == 0 && length % 6 == 0 &&
             (!(flags & REDEYE_H2_FLAG_ACK) || length == 0);
    case REDEYE_H2_PING:
      return stream == 0 && (flags & ~0x01u) == 0 && length == 8;
    case REDEYE_H2_GOAWAY:
      return stream == 0 && flags == 0 && length >= 8;
    case REDEYE_H2_WINDOW_UPDATE:
      return flags == 0 && length == 4;
    case REDEYE_H2_CONTINUATION:
      return stream != 0 && (flags & ~0x04u) == 0;
    default: /* PUSH_PROMISE (gRPC never pushes), extension types */
      return 0;
  }
}

/* The side a header block's first byte shows: 1 a request, 2 a response, 0 no evidence. */
static inline int redeye_h2_block_side(unsigned int b) {
  unsigned int index;
  if (b & 0x80) {
    index = b & 0x7F; /* indexed field */
  } else if ((b & 0xC0) == 0x40) {
    index = b & 0x3F; /* literal with incremental indexing, name by index */
  } else if ((b & 0xE0) == 0x00) {
    index = b & 0x0F; /* literal without indexing / never indexed, name by index */
  } else {
    return 0; /* dynamic table size update */
  }
  if (index >= 1 && index <= 7) return 1;
  if (index >= 8 && index <= 14) return 2;
  return 0;
}

static inline int redeye_infer_http2(const unsigned char* p, unsigned int len, int direction,
                                     int* role) {
  int written = direction == REDEYE_DIR_OUTBOUND;
  if (redeye_prefix_is(p, len, "PRI * HTTP/2.0\r\n", 16)) {
    *role = written ? REDEYE_ROLE_CLIENT : REDEYE_ROLE_SERVER;
    return 1;
  }
  unsigned int off = 0;
  for (int i = 0; i < REDEYE_H2_INFER_FRAMES; i++) {
    if (off + REDEYE_H2_FRAME_HEADER > redeye_opaque(len) ||
        off + REDEYE_H2_FRAME_HEADER > REDEYE_INFER_WINDOW)
      return 0;
    /* Masked through an opaque copy, so the compiler cannot use `off` instead: the verifier
     * then sees every read within the window (off <= 119 here, so the mask changes nothing). */
    unsigned int at = redeye_opaque(off) & (REDEYE_INFER_WINDOW - 1);
    const unsigned char* h = p + at;
    unsigned int length = ((unsigned int)h[0] << 16) | ((unsigned int)h[1] << 8) | h[2];
    unsigned int type = h[3];
    unsigned int flags = h[4];
    unsigned int stream = redeye_be32(h + 5);
    if (!redeye_h2_frame_plausible(length, type, flags, stream)) return 0;
    if (type == REDEYE_H2_HEADERS) {
      if ((stream & 1u) == 0) return 0;
      unsigned int first = REDEYE_H2_FRAME_HEADER;
      if (flags & REDEYE_H2_FLAG_PADDED) first += 1;
      if (flags & REDEYE_H2_FLAG_PRIORITY) first += 5;
      if (first >= REDEYE_H2_FRAME_HEADER + length) return 0; /* no header block */
      if (off + first >= redeye_opaque(len) || off + first >= REDEYE_INFER_WINDOW) return 0;
      unsigned int b_at = redeye_opaque(off + first) & (REDEYE_INFER_WINDOW - 1);
      int side = redeye_h2_block_side(p[b_at]);
      if (side == 0) return 0;
      /* A request is written by the client; a response is written by the server. */
      int client = (side == 1) == written;
      *role = client ? REDEYE_ROLE_CLIENT : REDEYE_ROLE_SERVER;
      return 1;
    }
    off += REDEYE_H2_FRAME_HEADER + length;
  }
  return 0;
}

#endif /* REDEYE_INFER_HTTP2_H */
