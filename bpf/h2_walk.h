/* The HTTP/2 frame walk: what of a syscall's bytes userspace needs, without DATA payloads.
 *
 * A prefix of each read or write is not enough for HTTP/2: Go's gRPC glues HEADERS, DATA,
 * trailers, PING and WINDOW_UPDATE into one write and reads 32 KiB at a time, so the header
 * blocks of later calls lie far beyond any prefix. The walk steps from frame header to frame
 * header through the whole buffer (one bpf_loop step per frame, socket hooks only) and keeps,
 * as spans of the syscall's bytes: every frame header, the whole payload of every frame that
 * is not DATA (header blocks, RST_STREAM and GOAWAY codes, SETTINGS, PING, WINDOW_UPDATE), and
 * of DATA only the first bytes (the gRPC message prefix) unless the frame is small. A frame
 * split across syscalls is carried over in the connection's state per direction: the payload
 * bytes still to come and how many of them to keep, or the first bytes of a split header.
 *
 * A direction starts (and restarts after losing its frames) in RESYNC: a syscall that starts
 * with the client preface or with a frame header the inference rule finds plausible puts it
 * in step; until then its bytes are sent as a gap. Bytes the walk wants but has no room for
 * (more than REDEYE_MAX_SPANS spans or REDEYE_SPAN_BYTES - 1 bytes in one syscall) are not copied
 * and counted in REDEYE_STAT_H2_BYTES_NOT_COPIED; userspace sees the gap and resynchronises.
 * A frame header that cannot be HTTP/2 (unknown type, reserved bit) loses the framing
 * (REDEYE_STAT_H2_FRAMING_LOST) and puts the direction back in RESYNC. */
#ifndef REDEYE_BPF_H2_WALK_H
#define REDEYE_BPF_H2_WALK_H

#include <bpf/bpf_helpers.h>

#include "maps.h"
#include "redeye/infer/http2.h"

enum h2_walk_state { H2_WALK_RESYNC = 0, H2_WALK_FRAMED = 1 };

#define H2_WALK_MAX 4096 /* frames per syscall: a 32 KiB read holds at most 3641 */
#define H2_PREFACE_LEN 24
/* DATA payloads up to this size are kept whole (a small gRPC message costs a few bytes more
 * but keeps the frames around it in one span); larger ones keep their first bytes. */
#define H2_SMALL_DATA 64
#define H2_DATA_KEEP 5 /* the gRPC message prefix: compressed flag + length */
#define H2_SPAN_MASK (REDEYE_SPAN_BYTES - 1)

struct h2_walk {
  struct redeye_h2_framing* f;
  struct data_scratch* s;
  __u8* bytes; /* ev->data: the spans' bytes */
  __u64 user_buf;
  __u32 total;
  __u32 off;
  __u32 used;   /* bytes kept */
  __u32 nspans; /* spans in s->spans */
  __u32 not_copied;
  bool done;
};

/* Keeps the syscall's bytes [offset, offset + len): appended to the last span when they follow
 * it, else a new span. Returns 0, or -1 when they could not be read (the framing is lost). */
static __always_inline int h2_keep(struct h2_walk* w, __u32 offset, __u32 len) {
  if (len == 0) return 0;
  __u32 n = w->nspans;
  struct redeye_span* last = &w->s->spans[(n - 1) & (REDEYE_MAX_SPANS - 1)];
  bool extend = n > 0 && last->offset + last->len == offset;
  /* Strictly below REDEYE_SPAN_BYTES, so that the table after the bytes starts at an offset
   * the 0x1fff mask keeps as it is. */
  if (len >= REDEYE_SPAN_BYTES - w->used || (!extend && n >= REDEYE_MAX_SPANS)) {
    w->not_copied += len;
    return 0;
  }
  __u64 at = w->used & H2_SPAN_MASK;
  __u64 bounded = len;
  asm volatile("%[b] &= 0x1fff" : [b] "+r"(bounded));
  if (bpf_probe_read_user(w->bytes + at, bounded, (const void*)(w->user_buf + offset))) return -1;
  if (extend) {
    last->len += len;
  } else {
    w->s->spans[n & (REDEYE_MAX_SPANS - 1)].offset = offset;
    w->s->spans[n & (REDEYE_MAX_SPANS - 1)].len = len;
    w->nspans = n + 1;
  }
  w->used += len;
  return 0;
}

static __always_inline void h2_lost(struct h2_walk* w) {
  count_stat(REDEYE_STAT_H2_FRAMING_LOST, 1);
  w->f->state = H2_WALK_RESYNC;
  w->f->skip = 0;
  w->f->copy = 0;
  w->f->partial_len = 0;
  w->done = true;
}

/* Payload bytes of a frame the walk keeps. */
static __always_inline __u32 h2_payload_keep(__u32 length, __u8 type, __u8 flags) {
  if (type != REDEYE_H2_DATA) return length;
  if (length <= H2_SMALL_DATA) return length;
  return (flags & REDEYE_H2_FLAG_PADDED) ? H2_DATA_KEEP + 1 : H2_DATA_KEEP;
}

/* A frame whose 9-byte header ends at w->off: keeps what it needs of its payload, carrying
 * what lies beyond this syscall over to the next one. */
static __always_inline void h2_frame(struct h2_walk* w, const __u8 header[REDEYE_H2_FRAME_HEADER]) {
  __u32 length = ((__u32)header[0] << 16) | ((__u32)header[1] << 8) | header[2];
  __u8 type = header[3];
  if (type > REDEYE_H2_CONTINUATION || (header[5] & 0x80)) {
    h2_lost(w);
    return;
  }
  __u32 keep = h2_payload_keep(length, type, header[4]);
  __u32 here = w->total - w->off; /* payload bytes in this syscall, if the frame goes on */
  if (length <= here) {
    if (h2_keep(w, w->off, keep)) h2_lost(w);
    w->off += length;
    return;
  }
  __u32 kept_now = keep < here ? keep : here;
  if (h2_keep(w, w->off, kept_now)) {
    h2_lost(w);
    return;
  }
  w->f->skip = length - here;
  w->f->copy = keep - kept_now;
  w->done = true;
}

/* Steps over the frame at w->off. Returns 1 when the syscall is walked, else 0. */
static __always_inline int h2_step(struct h2_walk* w) {
  if (w->done) return 1;
  __u32 off = w->off;
  if (off >= w->total) {
    w->done = true;
    return 1;
  }
  __u32 rest = w->total - off;
  if (rest < REDEYE_H2_FRAME_HEADER) {
    /* The header goes on in the next syscall: keep its first bytes. */
    __u64 n = rest;
    asm volatile("%[n] &= 15" : [n] "+r"(n));
    if (n == 0 || n >= REDEYE_H2_FRAME_HEADER ||
        bpf_probe_read_user(w->f->partial, n, (const void*)(w->user_buf + off)) ||
        h2_keep(w, off, rest)) {
      h2_lost(w);
      return 1;
    }
    w->f->partial_len = rest;
    w->done = true;
    return 1;
  }
  __u8 header[REDEYE_H2_FRAME_HEADER] = {};
  if (bpf_probe_read_user(header, sizeof(header), (const void*)(w->user_buf + off)) ||
      h2_keep(w, off, REDEYE_H2_FRAME_HEADER)) {
    h2_lost(w);
    return 1;
  }
  w->off = off + REDEYE_H2_FRAME_HEADER;
  h2_frame(w, header);
  long done = w->done;
  asm volatile("%[d] &= 1" : [d] "+r"(done)); /* bpf_loop wants 0 or 1, seen as such */
  return done;
}

static long h2_step_callback(__u32 index, void* ctx) { return h2_step(ctx); }

/* The frame header split across the previous syscall's end, completed from this one's start
 * (`need` bytes, all present). Returns 0, or -1 when they could not be read. */
static __always_inline int h2_join_header(struct h2_walk* w, __u32 need,
                                          __u8 header[REDEYE_H2_FRAME_HEADER]) {
  __u8 rest[16] = {};
  __u64 n = need;
  asm volatile("%[n] &= 15" : [n] "+r"(n));
  if (n > REDEYE_H2_FRAME_HEADER || bpf_probe_read_user(rest, n, (const void*)w->user_buf))
    return -1;
  __u32 have = w->f->partial_len;
#pragma unroll
  for (int i = 0; i < REDEYE_H2_FRAME_HEADER; i++) {
    header[i] = i < have ? w->f->partial[i] : rest[(i - have) & 15];
  }
  return h2_keep(w, 0, need);
}

/* The syscall starts where a direction in RESYNC may pick the frames up: the client preface
 * (returns its length) or a plausible frame header (0). -1: not here. */
static __always_inline int h2_resync_at_start(struct h2_walk* w) {
  __u8 head[H2_PREFACE_LEN] = {};
  __u32 n = w->total < H2_PREFACE_LEN ? w->total : H2_PREFACE_LEN;
  if (n < REDEYE_H2_FRAME_HEADER) return -1;
  __u64 bounded = n;
  asm volatile("%[b] &= 31" : [b] "+r"(bounded));
  if (bounded > H2_PREFACE_LEN || bpf_probe_read_user(head, bounded, (const void*)w->user_buf))
    return -1;
  if (n == H2_PREFACE_LEN && redeye_prefix_is(head, n, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24))
    return H2_PREFACE_LEN;
  __u32 length = ((__u32)head[0] << 16) | ((__u32)head[1] << 8) | head[2];
  __u32 stream = redeye_be32(head + 5);
  return redeye_h2_frame_plausible(length, head[3], head[4], stream) ? 0 : -1;
}

/* Walks one syscall's `total` bytes at `user_buf` in the direction framed by `f`, keeping
 * spans in s->spans and their bytes at `bytes`. Returns the number of spans (their bytes:
 * *used). */
static __always_inline __u32 h2_walk(struct redeye_h2_framing* f, struct data_scratch* s,
                                     __u8* bytes, __u64 user_buf, __u32 total, __u32* used) {
  struct h2_walk w = {.f = f, .s = s, .bytes = bytes, .user_buf = user_buf, .total = total};
  *used = 0;
  if (f->state == H2_WALK_RESYNC) {
    int start = h2_resync_at_start(&w);
    if (start < 0) return 0;
    f->state = H2_WALK_FRAMED;
    f->skip = 0;
    f->copy = 0;
    f->partial_len = 0;
    if (start > 0 && h2_keep(&w, 0, (__u32)start) == 0) w.off = (__u32)start;
  } else if (f->skip) {
    /* The current frame's payload goes on: keep what is left to keep of it. */
    __u32 n = f->skip < total ? f->skip : total;
    __u32 keep = f->copy < n ? f->copy : n;
    if (h2_keep(&w, 0, keep)) {
      h2_lost(&w);
      goto out;
    }
    f->skip -= n;
    f->copy -= keep;
    w.off = n;
    if (f->skip) goto out;
  } else if (f->partial_len) {
    __u32 need = REDEYE_H2_FRAME_HEADER - f->partial_len;
    if (need > total) {
      /* Still not the whole header: a header split over three syscalls is not followed. */
      h2_lost(&w);
      goto out;
    }
    __u8 header[REDEYE_H2_FRAME_HEADER] = {};
    if (h2_join_header(&w, need, header)) {
      h2_lost(&w);
      goto out;
    }
    f->partial_len = 0;
    w.off = need;
    h2_frame(&w, header);
  }
  if (!w.done) bpf_loop(H2_WALK_MAX, h2_step_callback, &w, 0);
  if (!w.done) h2_lost(&w); /* more frames than the walk steps over */
out:
  if (w.not_copied) count_stat(REDEYE_STAT_H2_BYTES_NOT_COPIED, w.not_copied);
  *used = w.used;
  return w.nspans;
}

#endif /* REDEYE_BPF_H2_WALK_H */
