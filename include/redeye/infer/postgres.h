/* PostgreSQL frontend/backend protocol (v3) inference (see protocol_infer.h for how rules are
 * combined). Only frontend messages are recognised, so the role follows from the direction:
 * written -> the process is a client, read -> the process is the server.
 *
 *   From the start of a connection: the untyped startup-phase messages
 *     StartupMessage  int32 len, int32 196608 (3.0; up to 3.2), "name\0value\0"...
 *     SSLRequest      int32 8,   int32 80877103
 *     GSSENCRequest   int32 8,   int32 80877104
 *     CancelRequest   int32 16,  int32 80877102, int32 pid, int32 key
 *   Mid-stream (connections opened before the agent): a simple Query ('Q'), a Parse ('P') or
 *   a Bind ('B'), each checked against the message layout as far as the prefix reaches.
 *
 * Strict on purpose: a false positive costs events for the connection's lifetime. Plain C,
 * loops bounded by REDEYE_INFER_PREFIX: it runs in BPF. */
#ifndef REDEYE_INFER_POSTGRES_H
#define REDEYE_INFER_POSTGRES_H

#include "redeye/infer/common.h"

#define REDEYE_PG_PROTOCOL_3_0 196608u
#define REDEYE_PG_SSL_REQUEST 80877103u
#define REDEYE_PG_GSSENC_REQUEST 80877104u
#define REDEYE_PG_CANCEL_REQUEST 80877102u
/* The server refuses longer startup packets (MAX_STARTUP_PACKET_LENGTH). */
#define REDEYE_PG_MAX_STARTUP_LEN 10000u
/* Longest Query/Parse/Bind believed mid-stream: longer ones are legal but rare, and a looser
 * bound lets more binary data through. */
#define REDEYE_PG_MAX_INFER_MESSAGE_LEN (1u << 20)

static inline int redeye_pg_is_letter(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int redeye_pg_is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Bytes that may follow the first one in SQL text: printable ASCII, whitespace, UTF-8. */
static inline int redeye_pg_is_sql_byte(unsigned char c) {
  return (c >= 0x20 && c <= 0x7e) || redeye_pg_is_space(c) || c >= 0x80;
}

/* How SQL text may start: a keyword, whitespace or a parenthesis. */
static inline int redeye_pg_is_sql_start(unsigned char c) {
  return redeye_pg_is_letter(c) || redeye_pg_is_space(c) || c == '(';
}

/* Statement and portal names: what drivers generate (letters, digits, "_$.-"). */
static inline int redeye_pg_is_name_byte(unsigned char c) {
  return redeye_pg_is_letter(c) || (c >= '0' && c <= '9') || c == '_' || c == '$' || c == '.' ||
         c == '-';
}

/* A startup-phase message: first byte 0 (lengths are small), then a known code. */
static inline int redeye_pg_is_startup_phase(const unsigned char* p, unsigned int len) {
  if (len < 8 || p[0] != 0) return 0;
  unsigned int length = redeye_be32(p);
  unsigned int code = redeye_be32(p + 4);
  if (code == REDEYE_PG_SSL_REQUEST || code == REDEYE_PG_GSSENC_REQUEST) return length == 8;
  /* 3.2 (PostgreSQL 18) allows cancel keys of up to 256 bytes; 3.0 has 4. */
  if (code == REDEYE_PG_CANCEL_REQUEST) return length >= 16 && length <= 12 + 256;
  /* Protocol 3.0 up to 3.2. */
  if (code < REDEYE_PG_PROTOCOL_3_0 || code > REDEYE_PG_PROTOCOL_3_0 + 2) return 0;
  /* At least one "name\0value\0" pair and the final \0; names start with a letter or '_'. */
  if (length < 8 + 4 || length > REDEYE_PG_MAX_STARTUP_LEN) return 0;
  if (len > 8 && !(redeye_pg_is_letter(p[8]) || p[8] == '_')) return 0;
  return 1;
}

/* Type byte + int32 length including itself, within [min_len, REDEYE_PG_MAX_INFER_...]. */
static inline int redeye_pg_typed_header(const unsigned char* p, unsigned int len,
                                         unsigned char type, unsigned int min_len) {
  if (len < 6 || p[0] != type) return 0;
  unsigned int length = redeye_be32(p + 1);
  return length >= min_len && length <= REDEYE_PG_MAX_INFER_MESSAGE_LEN;
}

/* Query: 'Q', int32 len, SQL text, \0. The whole message is SQL text up to its last byte. */
static inline int redeye_pg_is_query(const unsigned char* p, unsigned int len) {
  if (!redeye_pg_typed_header(p, len, 'Q', 6)) return 0;
  if (!redeye_pg_is_sql_start(p[5])) return 0;
  unsigned int end = redeye_be32(p + 1); /* index of the terminating \0 */
  for (unsigned int i = 6; i < REDEYE_INFER_PREFIX; i++) {
    if (i >= len) break;
    /* Read by the loop index before comparing it with `end`: indexing by `end` itself would
     * be an unbounded stack read to the verifier. */
    unsigned char c = p[i];
    if (i == end) return c == 0;
    if (!redeye_pg_is_sql_byte(c)) return 0;
  }
  return 1;
}

/* Parse: 'P', int32 len, statement name \0, SQL text \0, int16 n, int32 oids[n]. The name's
 * terminator and the SQL's first byte must be within the prefix. */
static inline int redeye_pg_is_parse(const unsigned char* p, unsigned int len) {
  if (!redeye_pg_typed_header(p, len, 'P', 4 + 1 + 2 + 2)) return 0;
  unsigned int sql = 0; /* index of the SQL's first byte, once known */
  for (unsigned int i = 5; i < REDEYE_INFER_PREFIX; i++) {
    if (i >= len) break;
    unsigned char c = p[i]; /* by the bounded index, as in redeye_pg_is_query */
    if (sql == 0) {
      if (c == 0) {
        sql = i + 1;
      } else if (!redeye_pg_is_name_byte(c)) {
        return 0;
      }
    } else if (i == sql) {
      if (!redeye_pg_is_sql_start(c)) return 0;
    } else if (c == 0) {
      break; /* the SQL's terminator: int16 parameter count follows */
    } else if (!redeye_pg_is_sql_byte(c)) {
      return 0;
    }
  }
  return sql != 0 && sql < len;
}

/* Bind: 'B', int32 len, portal \0, statement \0, int16 format count (small), ... Both names'
 * terminators and the count's high byte must be within the prefix. */
static inline int redeye_pg_is_bind(const unsigned char* p, unsigned int len) {
  if (!redeye_pg_typed_header(p, len, 'B', 4 + 1 + 1 + 2 + 2 + 2)) return 0;
  unsigned int names = 0;
  for (unsigned int i = 5; i < REDEYE_INFER_PREFIX; i++) {
    if (i >= len) break;
    unsigned char c = p[i];
    if (names == 2) return c == 0; /* format count < 256 */
    if (c == 0) {
      names++;
    } else if (!redeye_pg_is_name_byte(c)) {
      return 0;
    }
  }
  return 0;
}

static inline int redeye_infer_postgres(const unsigned char* p, unsigned int len, int direction,
                                        int* role) {
  if (len < 6) return 0;
  int frontend = redeye_pg_is_startup_phase(p, len);
  if (!frontend) {
    switch (p[0]) {
      case 'Q':
        frontend = redeye_pg_is_query(p, len);
        break;
      case 'P':
        frontend = redeye_pg_is_parse(p, len);
        break;
      case 'B':
        frontend = redeye_pg_is_bind(p, len);
        break;
      default:
        break;
    }
  }
  if (!frontend) return 0;
  *role = direction == REDEYE_DIR_OUTBOUND ? REDEYE_ROLE_CLIENT : REDEYE_ROLE_SERVER;
  return 1;
}

#endif /* REDEYE_INFER_POSTGRES_H */
