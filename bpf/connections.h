/* Per-connection state keyed by the struct sock: creation (with its open event) and close. */
#ifndef REDEYE_BPF_CONNECTIONS_H
#define REDEYE_BPF_CONNECTIONS_H

#include "emit.h"
#include "maps.h"
#include "socket_resolve.h"

static __always_inline __u64 next_conn_id(void) {
  __u32 zero = 0;
  __u64* seq = bpf_map_lookup_elem(&conn_seq, &zero);
  if (!seq) return 0;
  /* Atomic although per-CPU: on a preemptible kernel another task can run this program on the
   * same CPU between a plain load and store, and two connections would share an id. */
  __u64 n = __sync_fetch_and_add(seq, 1) + 1;
  return ((__u64)bpf_get_smp_processor_id() << 48) | n;
}

static __always_inline void emit_conn_open(struct sock* sk, __u32 tgid, __u32 fd, __u64 conn_id,
                                           __u8 origin, __u64 ts) {
  struct redeye_conn_open_event ev = {};
  fill_header(&ev.hdr, REDEYE_EV_CONN_OPEN, tgid, fd, conn_id, ts);
  ev.origin = origin;
  ev.sock = (__u64)sk;
  read_endpoints(sk, &ev);
  bpf_get_current_comm(ev.comm, sizeof(ev.comm));
  if (bpf_ringbuf_output(&events, &ev, sizeof(ev), wakeup_flag())) {
    count_drop(REDEYE_DROP_RINGBUF_FULL);
  }
}

/* Starts tracking `sk` for process `tgid`, replacing whatever stale entry held the key. */
static __always_inline struct redeye_conn_state* conn_start(struct sock* sk, __u32 tgid, __u32 fd,
                                                            __u8 origin, __u64 ts) {
  __u64 key = (__u64)sk;
  struct redeye_conn_state state = {};
  state.tgid = tgid;
  state.fd = fd;
  state.conn_id = next_conn_id();
  if (bpf_map_update_elem(&conns, &key, &state, BPF_ANY)) {
    count_drop(REDEYE_DROP_CONN_TABLE_FULL);
    return NULL;
  }
  bpf_map_update_elem(&sock_owner, &key, &tgid, BPF_ANY);
  emit_conn_open(sk, tgid, fd, state.conn_id, origin, ts);
  return bpf_map_lookup_elem(&conns, &key);
}

/* The state of `sk`, created on first sight. A socket shared by several processes (inherited
 * across fork) stays one connection, owned by the first process seen using it. */
static __always_inline struct redeye_conn_state* conn_find_or_start(struct sock* sk, __u32 tgid,
                                                                    __u32 fd) {
  __u64 key = (__u64)sk;
  struct redeye_conn_state* state = bpf_map_lookup_elem(&conns, &key);
  if (state) return state;
  return conn_start(sk, tgid, fd, REDEYE_ORIGIN_EXISTING, bpf_ktime_get_ns());
}

/* The connection on `sk` ended: tell userspace (which flushes what it was parsing) and forget
 * it. Safe to call more than once and from any context. */
static __always_inline void conn_close(const void* sk, __u64 ts) {
  __u64 key = (__u64)sk;
  struct redeye_conn_state* state = bpf_map_lookup_elem(&conns, &key);
  if (!state) return;
  struct redeye_conn_close_event ev = {};
  fill_header(&ev.hdr, REDEYE_EV_CONN_CLOSE, state->tgid, state->fd, state->conn_id, ts);
  ev.bytes_in = state->bytes_in;
  ev.bytes_out = state->bytes_out;
  /* A conversation no rule recognised before it ended is counted as unclassified too (not only
   * those given up on after REDEYE_CLASSIFY_ATTEMPTS). */
  bool unclassified = state->protocol == REDEYE_PROTO_UNKNOWN && (ev.bytes_in || ev.bytes_out);
  bool pending = state->pending;
  bool postgres = state->protocol == REDEYE_PROTO_POSTGRES;
  /* sock_owner stays until tcp_destroy_sock: close() itself may still send a reset. */
  if (bpf_map_delete_elem(&conns, &key)) return; /* another CPU closed it first */
  if (unclassified) count_stat(REDEYE_STAT_CONN_UNCLASSIFIED, 1);
  if (pending) bpf_map_delete_elem(&pending_first, &key);
  if (postgres) bpf_map_delete_elem(&pg_framing, &ev.hdr.conn_id);
  if (bpf_ringbuf_output(&events, &ev, sizeof(ev), wakeup_flag())) {
    count_drop(REDEYE_DROP_RINGBUF_FULL);
  }
}

#endif /* REDEYE_BPF_CONNECTIONS_H */
