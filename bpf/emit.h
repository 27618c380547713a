/* Writing events into the ring buffer. */
#ifndef REDEYE_BPF_EMIT_H
#define REDEYE_BPF_EMIT_H

#include "maps.h"

static __always_inline void fill_header(struct redeye_event_header* hdr, __u32 type, __u32 tgid,
                                        __u32 fd, __u64 conn_id, __u64 ts) {
  hdr->type = type;
  hdr->tgid = tgid;
  hdr->fd = fd;
  hdr->pad = 0;
  hdr->conn_id = conn_id;
  hdr->ts_ns = ts;
}

/* Ring-buffer readers are woken in batches: per-event wakeups would cost a context switch per
 * syscall. Userspace also polls with a short timeout, so a quiet stream is still delivered. */
static __always_inline __u64 wakeup_flag(void) {
  return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
                                                                       : BPF_RB_NO_WAKEUP;
}

static __always_inline void emit_process_event(__u32 type, __u32 tgid, __u32 parent_tgid,
                                               __u16 port) {
  struct redeye_process_event ev = {};
  fill_header(&ev.hdr, type, tgid, 0, 0, bpf_ktime_get_ns());
  ev.parent_tgid = parent_tgid;
  ev.port = port;
  /* Process events are rare and steer discovery: wake the reader at once. */
  if (bpf_ringbuf_output(&events, &ev, sizeof(ev), BPF_RB_FORCE_WAKEUP)) {
    count_drop(REDEYE_DROP_RINGBUF_FULL);
  }
}

#endif /* REDEYE_BPF_EMIT_H */
