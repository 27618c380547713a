/* What every socket read/write of a followed process does, whichever hook saw it: count the
 * bytes per connection and per process, classify a connection from its first bytes, and send
 * the payload prefix of classified connections to userspace (which parses and pairs requests
 * with responses: see docs/DESIGN.md, "How much the kernel does"). */
#ifndef REDEYE_BPF_IO_ACCOUNT_H
#define REDEYE_BPF_IO_ACCOUNT_H

#include "payload.h"
#include "redeye/protocol_infer.h"

/* Decides, from the first bytes the process reads or writes, which protocol the connection
 * speaks and which side the process is on (include/redeye/protocol_infer.h). */
static __always_inline void classify(struct redeye_conn_state* conn,
                                     const struct stashed_args* args, __u32 total) {
  if (args->kind == STASH_NODATA) return;
  unsigned char prefix[2 * REDEYE_INFER_PREFIX] = {};
  void* buf = first_buffer(args);
  __u32 len = total < REDEYE_INFER_PREFIX ? total : REDEYE_INFER_PREFIX;
  int role = 0;
  int protocol = 0;
  if (buf && !bpf_probe_read_user(prefix, bounded_peek(len), buf)) {
    protocol = redeye_infer_protocol(prefix, len, args->direction, &role);
  }
  if (protocol) {
    conn->protocol = protocol;
    conn->role = role == REDEYE_INFER_SERVER ? REDEYE_ROLE_SERVER : REDEYE_ROLE_CLIENT;
    count_stat(REDEYE_STAT_CONN_CLASSIFIED, 1);
    return;
  }
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
  if (conn->protocol == REDEYE_PROTO_UNKNOWN) classify(conn, args, total);
  if (conn->protocol == REDEYE_PROTO_UNKNOWN || conn->protocol == REDEYE_PROTO_OTHER) return;
  /* The clock is read only for what is sent (byte counts need none). */
  emit_data(args, conn, tgid, total, bpf_ktime_get_ns());
}

#endif /* REDEYE_BPF_IO_ACCOUNT_H */
