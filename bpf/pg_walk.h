/* Counts the PostgreSQL completions the capture limit hides. Userspace frames what the kernel
 * copies; a pipelined burst larger than the capture limit hides whole messages, and with them
 * operations no one could count. PostgreSQL's messages are length-prefixed (type byte, int32
 * length), so the kernel can step from header to header without copying the bodies: it
 * frames the backend stream (server -> client) of every PostgreSQL connection, reading the
 * headers inside the captured prefix from the copy it already made and those beyond it from
 * user memory, and reports how many CommandComplete, ErrorResponse, EmptyQueryResponse and
 * PortalSuspended messages (one operation each, as the userspace matcher counts them) started
 * in the bytes it did not copy. A header split across two syscalls is carried over. A stream
 * the walk cannot follow (a length that cannot be, encryption, more messages in one syscall
 * than it walks, a buffer kind it cannot read) stops being walked, counted once in
 * REDEYE_STAT_FRAMING_LOST.
 *
 * Two forms. The socket hooks (kernels that all have bpf_loop, 5.17+) walk inline, the state
 * in the connection's own entry, one bpf_loop step per header (REDEYE_PG_WALK_WITH_LOOP: the
 * verifier checks one step). The syscall hooks (any kernel) call the global function in
 * pg_walk_bounded.bpf.c, state in the pg_framing map, with a plain loop of a few headers. */
#ifndef REDEYE_BPF_PG_WALK_H
#define REDEYE_BPF_PG_WALK_H

#include <bpf/bpf_helpers.h>

#include "maps.h"

/* Headers stepped over per syscall: a burst of more messages than this in one read or write
 * loses the framing (and says so). With bpf_loop (Linux 5.17+: every kernel with the socket
 * tracepoints) the verifier checks one step; a plain bounded loop is checked per iteration,
 * so it is kept short. */
#ifdef REDEYE_PG_WALK_WITH_LOOP
#define PG_WALK_MAX 65536
#else
#define PG_WALK_MAX 64
#endif
#define PG_HEADER 5

static __always_inline int pg_is_completion(__u8 type) {
  return type == 'C' || type == 'E' || type == 'I' || type == 's';
}

static __always_inline void pg_lost(struct redeye_pg_framing* f) {
  if (f->state != PG_WALK_LOST) count_stat(REDEYE_STAT_FRAMING_LOST, 1);
  f->state = PG_WALK_LOST;
}

/* The 5-byte header of the split message: `have` bytes kept from the previous syscall, the
 * rest at the start of this one. Returns 0 on success. */
static __always_inline int pg_join_header(const struct redeye_pg_framing* f, __u64 user_buf,
                                          __u8 header[PG_HEADER]) {
  __u8 rest[PG_HEADER] = {};
  switch (f->partial_len) {
    case 1:
      if (bpf_probe_read_user(rest, 4, (const void*)user_buf)) return -1;
      header[0] = f->partial[0];
      header[1] = rest[0], header[2] = rest[1], header[3] = rest[2], header[4] = rest[3];
      return 0;
    case 2:
      if (bpf_probe_read_user(rest, 3, (const void*)user_buf)) return -1;
      header[0] = f->partial[0], header[1] = f->partial[1];
      header[2] = rest[0], header[3] = rest[1], header[4] = rest[2];
      return 0;
    case 3:
      if (bpf_probe_read_user(rest, 2, (const void*)user_buf)) return -1;
      header[0] = f->partial[0], header[1] = f->partial[1], header[2] = f->partial[2];
      header[3] = rest[0], header[4] = rest[1];
      return 0;
    case 4:
      if (bpf_probe_read_user(rest, 1, (const void*)user_buf)) return -1;
      header[0] = f->partial[0], header[1] = f->partial[1], header[2] = f->partial[2];
      header[3] = f->partial[3], header[4] = rest[0];
      return 0;
    default:
      return -1;
  }
}

/* The length a header gives, or 0 when it cannot be a backend message's. */
static __always_inline __u32 pg_length(const __u8 header[PG_HEADER]) {
  __u32 len = ((__u32)header[1] << 24) | ((__u32)header[2] << 16) | ((__u32)header[3] << 8) |
              (__u32)header[4];
  if (len < 4 || len > (1u << 30) || header[0] < '1' || header[0] > 'z') return 0;
  return len;
}

/* The walk's state across headers: one step per header. */
struct pg_walk {
  struct redeye_pg_framing* f;
  const __u8* copy;
  __u64 user_buf;
  __u32 total;
  __u32 captured;
  __u32 off;
  int hidden;
  bool done;
};

/* Steps over the header at w->off. Returns 1 when the syscall's bytes are walked (or the
 * framing is lost), else 0 for the next header. */
static __always_inline int pg_step(struct pg_walk* w) {
  struct redeye_pg_framing* f = w->f;
  __u32 off = w->off;
  if (off >= w->total) {
    f->skip = off - w->total;
    w->done = true;
    return 1;
  }
  if (w->total - off < PG_HEADER) {
    /* The header goes on in the next syscall: keep its first bytes. */
    __u64 n = w->total - off;
    /* Bounded in a way the verifier keeps (clang may otherwise pass it a wider copy). */
    asm volatile("%[n] &= 7" : [n] "+r"(n));
    if (n >= PG_HEADER || bpf_probe_read_user(f->partial, n, (const void*)(w->user_buf + off))) {
      pg_lost(f);
      return 1;
    }
    f->partial_len = n;
    f->partial_hidden = off >= w->captured;
    w->done = true;
    return 1;
  }
  __u8 header[PG_HEADER] = {};
  if (off + PG_HEADER <= w->captured) {
    __u32 at = off & (REDEYE_MAX_CAPTURE - 1);
    const __u8* copy = w->copy;
    header[0] = copy[at], header[1] = copy[at + 1], header[2] = copy[at + 2];
    header[3] = copy[at + 3], header[4] = copy[at + 4];
  } else if (bpf_probe_read_user(header, PG_HEADER, (const void*)(w->user_buf + off))) {
    pg_lost(f);
    return 1;
  }
  __u32 len = pg_length(header);
  if (!len) {
    pg_lost(f);
    return 1;
  }
  if (off >= w->captured && pg_is_completion(header[0])) w->hidden++;
  w->off = off + 1 + len;
  return 0;
}

#ifdef REDEYE_PG_WALK_WITH_LOOP
static long pg_step_callback(__u32 index, void* ctx) { return pg_step(ctx); }
#endif

/* Walks one syscall's `total` bytes of the backend stream framed by `f`: `captured` of them
 * are at `copy`, all at `user_buf` (0: not a plain buffer). Returns the completions that
 * started in the bytes not captured. */
static __always_inline int pg_walk(struct redeye_pg_framing* f, const __u8* copy, __u64 user_buf,
                                   __u32 total, __u32 captured) {
  if (f->state == PG_WALK_LOST) return 0;
  if (captured > REDEYE_MAX_CAPTURE) captured = REDEYE_MAX_CAPTURE;
  if (!user_buf) {
    pg_lost(f);
    return 0;
  }
  if (f->state == PG_WALK_START && total == 1) {
    /* The answer to SSLRequest/GSSENCRequest: 'N' goes on in plain text, 'S'/'G' encrypt. */
    __u8 answer = 0;
    if (bpf_probe_read_user(&answer, 1, (const void*)user_buf) || answer != 'N') pg_lost(f);
    return 0;
  }
  f->state = PG_WALK_TYPED;
  struct pg_walk w = {.f = f,
                      .copy = copy,
                      .user_buf = user_buf,
                      .total = total,
                      .captured = captured,
                      .off = f->skip};
  f->skip = 0;
  if (f->partial_len) {
    /* A header split across the previous syscall's end: completed from this one's start. */
    __u8 header[PG_HEADER] = {};
    __u32 need = PG_HEADER - f->partial_len;
    if (need > total || pg_join_header(f, user_buf, header)) {
      pg_lost(f);
      return 0;
    }
    __u32 len = pg_length(header);
    if (!len) {
      pg_lost(f);
      return 0;
    }
    if (f->partial_hidden && pg_is_completion(header[0])) w.hidden++;
    f->partial_len = 0;
    w.off = need + (len - 4);
  }
#ifdef REDEYE_PG_WALK_WITH_LOOP
  bpf_loop(PG_WALK_MAX, pg_step_callback, &w, 0);
#else
  for (int i = 0; i < PG_WALK_MAX; i++) {
    if (pg_step(&w)) break;
  }
#endif
  if (!w.done) pg_lost(f);
  return w.hidden;
}

#endif /* REDEYE_BPF_PG_WALK_H */
