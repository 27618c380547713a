/* Copying the payload prefix of one syscall from user memory and emitting it. */
#ifndef REDEYE_BPF_PAYLOAD_H
#define REDEYE_BPF_PAYLOAD_H

#include "connections.h"
#include "redeye/infer/common.h"

#define CAPTURE_MASK (REDEYE_MAX_CAPTURE - 1)

/* min(v, max) that the verifier can see is bounded: clang otherwise passes the helper the
 * unclamped register it compared, and the verifier rejects a possibly negative length. The
 * mask is a no-op (max <= REDEYE_MAX_CAPTURE) that clang cannot remove from inline asm. */
static __always_inline __u64 bounded_len(__u64 v, __u64 max) {
  if (v > max) v = max;
  asm volatile("%[v] &= 0x3fff" : [v] "+r"(v));
  return v;
}

/* Copies up to `want` bytes from an iovec array into data[]. Returns bytes copied. The
 * iovecs themselves are read with one copy (each user copy costs about a map lookup). */
static __always_inline __u32 copy_iovecs(__u8* data, struct iovec* iov_array, __u64 iovcnt,
                                         __u32 want) {
  struct iovec iovs[REDEYE_MAX_IOV] = {};
  __u64 n = iovcnt < REDEYE_MAX_IOV ? iovcnt : REDEYE_MAX_IOV;
  __u64 bytes = n * sizeof(struct iovec);
  if (bytes == 0 || bpf_probe_read_user(iovs, bytes, iov_array)) return 0;
  __u32 copied = 0;
#pragma unroll
  for (int i = 0; i < REDEYE_MAX_IOV; i++) {
    if (i >= n || copied >= want) break;
    struct iovec iov = iovs[i];
    __u64 off = bounded_len(copied, CAPTURE_MASK);
    __u64 len =
        bounded_len(iov.iov_len < want - copied ? iov.iov_len : want - copied, REDEYE_MAX_CAPTURE);
    if (bpf_probe_read_user(data + off, len, iov.iov_base)) break;
    copied += len;
  }
  return copied;
}

static __always_inline __u32 copy_payload(__u8* data, const struct stashed_args* args, __u32 want) {
  if (args->kind == STASH_PLAIN) {
    __u64 len = bounded_len(want, REDEYE_MAX_CAPTURE);
    if (bpf_probe_read_user(data, len, (void*)args->buf)) return 0;
    return len;
  }
  struct iovec* iov_array = (struct iovec*)args->buf;
  __u64 iovcnt = args->iovcnt;
  if (args->kind == STASH_MSG) {
    struct user_msghdr msg = {};
    if (bpf_probe_read_user(&msg, sizeof(msg), (void*)args->buf)) return 0;
    iov_array = msg.msg_iov;
    iovcnt = msg.msg_iovlen;
  }
  return copy_iovecs(data, iov_array, iovcnt, want);
}

/* This CPU's event under construction (data_scratch), or NULL. */
static __always_inline struct data_scratch* data_scratch(void) {
  __u32 zero = 0;
  return bpf_map_lookup_elem(&scratch, &zero);
}

/* Copies up to capture_bytes of the syscall's `total` bytes into ev->data at `offset` (<
 * REDEYE_INFER_WINDOW: bytes already placed there). Returns bytes copied. */
static __always_inline __u32 capture_payload(struct redeye_data_event* ev, __u32 offset,
                                             const struct stashed_args* args, __u32 total) {
  __u32 want = total < capture_bytes ? total : capture_bytes;
  __u32 captured = 0;
  if (args->kind != STASH_NODATA && want > 0) {
    __u64 off = offset & (REDEYE_INFER_WINDOW - 1);
    captured = copy_payload(ev->data + off, args, want);
    if (captured == 0) count_drop(REDEYE_DROP_READ_USER_FAILED);
  }
  return captured;
}

/* Sends the event assembled in `s` whose data[] holds `captured` bytes of `total`. */
static __always_inline void send_data(struct data_scratch* s, const struct stashed_args* args,
                                      const struct redeye_conn_state* conn, __u32 tgid, __u32 total,
                                      __u32 captured, __u64 ts, __u32 hidden, __u8 data_flags) {
  struct redeye_data_event* ev = (struct redeye_data_event*)s->raw;
  /* Spans leave DATA payloads out on purpose; what the walk could not keep it counts itself. */
  if (total > captured && !(data_flags & REDEYE_DATA_SPANS))
    count_stat(REDEYE_STAT_BYTES_TRUNCATED, total - captured);
  fill_header(&ev->hdr, REDEYE_EV_DATA, tgid, args->fd, conn->conn_id, ts);
  ev->total_len = total;
  ev->captured_len = captured;
  ev->direction = args->direction;
  ev->protocol = conn->protocol;
  ev->role = conn->role;
  ev->flags = data_flags;
  ev->hidden_messages = hidden;
  __u64 size = sizeof(struct redeye_data_event) +
               bounded_len(captured, REDEYE_MAX_CAPTURE + REDEYE_INFER_WINDOW);
  /* Querying the ring's fill level on every event costs as much as a map lookup; checking
   * every 16th lets the backlog pass the wakeup threshold by at most 16 events. */
  __u64 flags = (++s->emitted & 15) == 0 ? wakeup_flag() : BPF_RB_NO_WAKEUP;
  if (bpf_ringbuf_output(&events, ev, size, flags)) count_drop(REDEYE_DROP_RINGBUF_FULL);
}

#endif /* REDEYE_BPF_PAYLOAD_H */
