/* Maps and load-time settings shared by every program. Each .bpf.c includes this file; the
 * definitions are __weak so `bpftool gen object` merges them into one set when linking. */
#ifndef REDEYE_BPF_MAPS_H
#define REDEYE_BPF_MAPS_H

#include <bpf/bpf_helpers.h>

#include "kernel_types.h"
#include "redeye/abi.h"
#include "redeye/infer/common.h"

/* Settings written by userspace into .rodata before load; the verifier prunes dead branches. */
const volatile bool follow_all __weak = false;         /* follow every process not marked IGNORE */
const volatile bool follow_listeners __weak = false;   /* a process that listens is followed */
const volatile bool empty_programs __weak = false;     /* benchmark floor: attach, do nothing */
const volatile __u32 capture_bytes __weak = 4096;      /* payload prefix copied per syscall */
const volatile __u32 wakeup_bytes __weak = 256 * 1024; /* wake the reader at this backlog */

/* Kinds of user buffer a socket read/write carries. */
enum stash_kind {
  STASH_PLAIN = 0,  /* read/write/recvfrom/sendto: one buffer */
  STASH_IOV = 1,    /* readv/writev: iovec array */
  STASH_MSG = 2,    /* recvmsg/sendmsg: user_msghdr */
  STASH_NODATA = 3, /* sendfile: bytes come from a file, nothing to copy */
  STASH_ACCEPT = 4,
  STASH_CONNECT = 5,
};

/* One socket read/write: where its bytes are in user memory. The syscall hooks stash it at
 * entry (key: pid_tgid, i.e. per thread) and consume it at exit; the socket tracepoints build
 * it from the syscall's saved registers. */
struct stashed_args {
  __u64 buf; /* buffer, iovec array or msghdr, by kind */
  __u64 sk;  /* struct sock (0 for accept until it returns) */
  __u32 fd;
  __u32 iovcnt;
  __u8 kind;
  __u8 direction;
  __u8 pad[6];
};

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 8 * 1024 * 1024);
} events SEC(".maps") __weak;

/* The process filter: one byte per pid (enum redeye_filter_action, 0: no decision), eight
 * pids to an element, so element tgid / 8, byte tgid % 8. Every socket read and write on the
 * host asks it first, most of them for processes that are not followed: an array lookup is
 * inlined by the verifier (a bounds check and an add), where a hash lookup hashes the key
 * and walks a bucket. Userspace sizes it from kernel.pid_max and writes single bytes through
 * a memory mapping (userspace/bpf/pid_filter.h), so its writes and the kernel's (fork, exec,
 * exit) never overwrite each other's neighbours. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(map_flags, BPF_F_MMAPABLE);
  __uint(max_entries, REDEYE_PID_FILTER_MAX_PIDS / 8);
  __type(key, __u32);
  __type(value, __u64);
} pid_filter SEC(".maps") __weak;

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __type(key, __u64); /* pid_tgid */
  __type(value, struct stashed_args);
} stash SEC(".maps") __weak;

/* LRU: connections whose end we never see age out instead of filling the table. Userspace
 * sizes it from the config before load. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, __u64); /* struct sock address */
  __type(value, struct redeye_conn_state);
} conns SEC(".maps") __weak;

/* The first bytes of a connection that a rule called a prefix of its protocol's first message
 * (REDEYE_INFER_MORE: a request line split over reads), kept until the next read or write in
 * the same direction decides. Only connections in that state have an entry. */
struct pending_first {
  __u64 ts;  /* when the first of these bytes moved: a request starts there */
  __u32 len; /* bytes in data */
  __u8 direction;
  __u8 pad[3];
  __u8 data[REDEYE_INFER_WINDOW];
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 4096);
  __type(key, __u64); /* struct sock address */
  __type(value, struct pending_first);
} pending_first SEC(".maps") __weak;

/* PostgreSQL backend-stream framing per connection for the syscall hooks (pg_walk.h); the
 * socket hooks keep it in the connection's own state. */
enum pg_walk_state { PG_WALK_START = 0, PG_WALK_TYPED = 1, PG_WALK_LOST = 2 };

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, __u64); /* conn_id (a scalar: global functions take no kernel pointers) */
  __type(value, struct redeye_pg_framing);
} pg_framing SEC(".maps") __weak;

/* Data events are assembled here (too big for the 512-byte stack), then copied to the ring
 * buffer with their exact size. Twice the capture limit (plus the pending window that may
 * precede a payload) so the verifier can prove offset + length stays inside. */
struct data_scratch {
  __u8 raw[sizeof(struct redeye_data_event) + 2 * REDEYE_MAX_CAPTURE + REDEYE_INFER_WINDOW];
  struct pending_first pending; /* a pending_first entry is built here */
  struct redeye_span spans[REDEYE_MAX_SPANS]; /* the HTTP/2 walk's span table (h2_walk.h) */
  __u32 emitted; /* data events from this CPU: the ring's fill level is checked every 16th */
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct data_scratch);
} scratch SEC(".maps") __weak;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, REDEYE_DROP_MAX);
  __type(key, __u32);
  __type(value, __u64);
} drops SEC(".maps") __weak;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, REDEYE_STAT_MAX);
  __type(key, __u32);
  __type(value, __u64);
} stats SEC(".maps") __weak;

/* Per-CPU sequence for connection ids: id = cpu << 48 | sequence. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} conn_seq SEC(".maps") __weak;

/* Which process owns a sock: lets softirq-context TCP tracepoints (retransmits, resets)
 * charge the right service. Filled when a connection is first seen or connect() starts. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, __u64);   /* struct sock address */
  __type(value, __u32); /* tgid */
} sock_owner SEC(".maps") __weak;

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __type(key, __u32); /* tgid */
  __type(value, struct redeye_proc_tcp);
} proc_tcp SEC(".maps") __weak;

static __always_inline void count_drop(__u32 reason) {
  __u64* v = bpf_map_lookup_elem(&drops, &reason);
  if (v) *v += 1;
}

static __always_inline void count_stat(__u32 stat, __u64 n) {
  __u64* v = bpf_map_lookup_elem(&stats, &stat);
  if (v) *v += n;
}

/* The filter byte of `tgid`, or NULL for a pid beyond the filter (kernel.pid_max was raised
 * after the agent started). */
static __always_inline __u8* filter_slot(__u32 tgid) {
  __u32 index = tgid >> 3;
  __u8* word = bpf_map_lookup_elem(&pid_filter, &index);
  return word ? word + (tgid & 7) : NULL;
}

static __always_inline __u8 filter_action(__u32 tgid) {
  __u8* slot = filter_slot(tgid);
  return slot ? *slot : 0;
}

static __always_inline bool process_followed(__u32 tgid) {
  __u8 action = filter_action(tgid);
  if (follow_all) return action != REDEYE_FILTER_IGNORE;
  return action == REDEYE_FILTER_FOLLOW || action == REDEYE_FILTER_LISTENER;
}

/* Follows `tgid` from now on; a pid the filter cannot hold is counted as a drop. */
static __always_inline void filter_follow(__u32 tgid) {
  __u8* slot = filter_slot(tgid);
  if (slot)
    *slot = REDEYE_FILTER_FOLLOW;
  else
    count_drop(REDEYE_DROP_FILTER_FULL);
}

/* The TCP counters of a followed process, created on first use. */
static __always_inline struct redeye_proc_tcp* proc_tcp_of(__u32 tgid) {
  struct redeye_proc_tcp* counters = bpf_map_lookup_elem(&proc_tcp, &tgid);
  if (counters) return counters;
  struct redeye_proc_tcp zero = {};
  if (bpf_map_update_elem(&proc_tcp, &tgid, &zero, BPF_NOEXIST) &&
      !bpf_map_lookup_elem(&proc_tcp, &tgid)) {
    count_drop(REDEYE_DROP_PROC_TABLE_FULL);
    return NULL;
  }
  return bpf_map_lookup_elem(&proc_tcp, &tgid);
}

/* The counters of the process owning `sk`, for events outside its syscalls. */
static __always_inline struct redeye_proc_tcp* proc_tcp_of_sock(const void* sk) {
  __u64 key = (__u64)sk;
  __u32* tgid = bpf_map_lookup_elem(&sock_owner, &key);
  return tgid ? proc_tcp_of(*tgid) : NULL;
}

#endif /* REDEYE_BPF_MAPS_H */
