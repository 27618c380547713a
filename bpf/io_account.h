/* What every socket read/write of a followed process does, whichever hook saw it: count the
 * bytes per connection and per process, classify a connection from its first bytes, and send
 * the payload prefix of classified connections to userspace (which parses and pairs requests
 * with responses: see docs/DESIGN.md, "How much the kernel does"). */
#ifndef REDEYE_BPF_IO_ACCOUNT_H
#define REDEYE_BPF_IO_ACCOUNT_H

#include "classify.h"
#ifdef REDEYE_PG_WALK_WITH_LOOP
#include "h2_walk.h"
#endif
#include "payload.h"
#include "pg_framing.h"
#include "pg_walk.h"
#include "redeye/infer/common.h"

static __always_inline void forget_pending(struct redeye_conn_state* conn, __u64 key) {
  bpf_map_delete_elem(&pending_first, &key);
  conn->pending = 0;
}

/* The first bytes kept for `sk` in `direction`, or NULL (none, or kept for the other
 * direction: then they were not a first message after all, and are forgotten). */
static __always_inline struct pending_first* take_pending(struct redeye_conn_state* conn, __u64 key,
                                                          __u8 direction) {
  if (!conn->pending) return NULL;
  struct pending_first* pending = bpf_map_lookup_elem(&pending_first, &key);
  if (pending && pending->direction == direction) return pending;
  forget_pending(conn, key);
  return NULL;
}

/* Keeps ev->data[0..len) as the connection's first bytes in `direction`. */
static __always_inline void keep_pending(struct data_scratch* s, struct redeye_conn_state* conn,
                                         __u64 key, __u8 direction, __u32 len, __u64 ts) {
  struct redeye_data_event* ev = (struct redeye_data_event*)s->raw;
  s->pending.ts = ts;
  s->pending.len = len;
  s->pending.direction = direction;
  __builtin_memcpy(s->pending.data, ev->data, REDEYE_INFER_WINDOW);
  if (bpf_map_update_elem(&pending_first, &key, &s->pending, BPF_ANY) == 0) conn->pending = 1;
}

/* The bytes a server writes or a client reads: the backend stream of a PostgreSQL
 * connection. */
static __always_inline bool pg_backend(const struct redeye_conn_state* conn, __u8 direction) {
  return conn->protocol == REDEYE_PROTO_POSTGRES &&
         (conn->role == REDEYE_ROLE_SERVER) == (direction == REDEYE_DIR_OUTBOUND);
}

/* A classified connection's syscall: its payload prefix to userspace, with the count of
 * PostgreSQL completions in the bytes not copied (pg_walk.h). The clock is read only
 * for what is sent (byte counts need none). */
static __always_inline void emit_data(const struct stashed_args* args,
                                      struct redeye_conn_state* conn, __u32 tgid, __u32 total) {
  struct data_scratch* s = data_scratch();
  if (!s) return;
  struct redeye_data_event* ev = (struct redeye_data_event*)s->raw;
  __u32 captured = capture_payload(ev, 0, args, total);
  __u32 hidden = 0;
  if (pg_backend(conn, args->direction)) {
    __u64 user_buf = args->kind == STASH_PLAIN ? args->buf : 0;
#ifdef REDEYE_PG_WALK_WITH_LOOP
    int n = pg_walk(&conn->pg, ev->data, user_buf, total, captured);
#else
    int n = redeye_pg_walk_bounded(conn->conn_id, user_buf, total, captured);
#endif
    hidden = n > 0 ? (__u32)n : 0;
  }
  send_data(s, args, conn, tgid, total, captured, bpf_ktime_get_ns(), hidden, 0);
}

#ifdef REDEYE_PG_WALK_WITH_LOOP
/* An HTTP/2 connection's syscall from a plain buffer: the frame walk's spans (h2_walk.h), the
 * span table after their bytes, the number of spans in hidden_messages. */
static __always_inline void emit_h2_spans(const struct stashed_args* args,
                                          struct redeye_conn_state* conn, __u32 tgid, __u32 total) {
  struct data_scratch* s = data_scratch();
  if (!s) return;
  struct redeye_data_event* ev = (struct redeye_data_event*)s->raw;
  struct redeye_h2_framing* f = &conn->h2[args->direction & 1];
  __u32 used = 0;
  __u32 n = h2_walk(f, s, ev->data, args->buf, total, &used);
  if (n > REDEYE_MAX_SPANS) n = REDEYE_MAX_SPANS;
  __u64 at = used;
  asm volatile("%[a] &= 0x1fff" : [a] "+r"(at));
  __u64 table = (__u64)n * sizeof(struct redeye_span);
  asm volatile("%[t] &= 0x3ff" : [t] "+r"(table));
  if (table && bpf_probe_read_kernel(ev->data + at, table, s->spans)) n = 0, table = 0;
  send_data(s, args, conn, tgid, total, used + (__u32)table, bpf_ktime_get_ns(), n,
            REDEYE_DATA_SPANS);
}
#endif

/* A connection of no known protocol yet: decides from its first bytes (the ones kept from
 * earlier reads in the same direction, then this syscall's) which protocol it speaks and
 * which side the process is on (include/redeye/protocol_infer.h). The payload is captured
 * first, so a connection recognised now sends this syscall's bytes, preceded by the kept ones
 * (a request split over reads reaches userspace whole, timed from its first byte). */
static __always_inline void classify_and_emit(const struct stashed_args* args,
                                              struct redeye_conn_state* conn, __u32 tgid,
                                              __u32 total) {
  if (args->kind == STASH_NODATA) return;
  struct data_scratch* s = data_scratch();
  if (!s) return;
  struct redeye_data_event* ev = (struct redeye_data_event*)s->raw;
  __u64 key = args->sk;
  __u64 ts = bpf_ktime_get_ns();
  __u32 kept = 0;
  struct pending_first* pending = take_pending(conn, key, args->direction);
  if (pending) {
    kept = pending->len & (REDEYE_INFER_WINDOW - 1);
    ts = pending->ts;
    __builtin_memcpy(ev->data, pending->data, REDEYE_INFER_WINDOW);
  }
  __u32 captured = capture_payload(ev, kept, args, total);
  __u32 room = REDEYE_INFER_WINDOW - kept;
  __u32 window = kept + (captured < room ? captured : room);
  int result = redeye_classify_window(window, args->direction);
  if (result > 0) {
    conn->protocol = REDEYE_CLASSIFIED_PROTOCOL(result);
    conn->role = REDEYE_CLASSIFIED_ROLE(result);
    count_stat(REDEYE_STAT_CONN_CLASSIFIED, 1);
    if (pending) forget_pending(conn, key);
    send_data(s, args, conn, tgid, kept + total, kept + captured, ts, 0, 0);
    return;
  }
  /* A prefix of a first message, all of it in the window: wait for the next bytes. A MORE
   * consumes at least one byte of the window, so this ends within REDEYE_INFER_WINDOW reads. */
  if (result == REDEYE_INFER_MORE && captured == total && window < REDEYE_INFER_WINDOW) {
    keep_pending(s, conn, key, args->direction, window, ts);
    return;
  }
  if (pending) forget_pending(conn, key);
  if (++conn->classify_attempts >= REDEYE_CLASSIFY_ATTEMPTS) {
    conn->protocol = REDEYE_PROTO_OTHER;
    count_stat(REDEYE_STAT_CONN_UNCLASSIFIED, 1);
  }
}

/* `total` (> 0) bytes moved on the TCP sock args->sk by process `tgid`. */
static __always_inline void account_io(const struct stashed_args* args, __u32 tgid, __u32 total) {
  struct redeye_conn_state* conn = conn_find_or_start((struct sock*)args->sk, tgid, args->fd);
  if (!conn) return;
  struct redeye_proc_tcp* proc = proc_tcp_of(tgid);
  if (args->direction == REDEYE_DIR_INBOUND) {
    __sync_fetch_and_add(&conn->bytes_in, total);
    if (proc) __sync_fetch_and_add(&proc->bytes_received, total);
  } else {
    __sync_fetch_and_add(&conn->bytes_out, total);
    if (proc) __sync_fetch_and_add(&proc->bytes_sent, total);
  }
  if (conn->protocol == REDEYE_PROTO_UNKNOWN) {
    classify_and_emit(args, conn, tgid, total);
    return;
  }
  if (conn->protocol == REDEYE_PROTO_OTHER) return;
#ifdef REDEYE_PG_WALK_WITH_LOOP
  if (conn->protocol == REDEYE_PROTO_HTTP2) {
    if (args->kind == STASH_PLAIN) {
      emit_h2_spans(args, conn, tgid, total);
      return;
    }
    /* A buffer the walk does not read (iovecs): the prefix goes as it is, and the direction
     * picks its frames up again where a later plain buffer starts with one. */
    conn->h2[args->direction & 1].state = H2_WALK_RESYNC;
  }
#endif
  emit_data(args, conn, tgid, total);
}

#endif /* REDEYE_BPF_IO_ACCOUNT_H */
