/* Kernel <-> userspace ABI: every struct that crosses the ring buffer or a map.
 * Plain C, fixed-width fields, no kernel headers: compiled by clang -target bpf and by C++.
 * The C++ side static_asserts the sizes (userspace/bpf/event_decoder.cpp). */
#ifndef REDEYE_ABI_H
#define REDEYE_ABI_H

#ifdef __bpf__
/* vmlinux-style types come from kernel_types.h */
#else
#include <linux/types.h>
#endif

/* Largest payload prefix copied per syscall. Power of two (verifier bound masks). */
#define REDEYE_MAX_CAPTURE 8192
/* How many iovec segments readv/writev/sendmsg/recvmsg copy from. */
#define REDEYE_MAX_IOV 8
/* Unclassified connections are inspected this many times before they are left alone. */
#define REDEYE_CLASSIFY_ATTEMPTS 8

enum redeye_event_type {
  REDEYE_EV_CONN_OPEN = 1,    /* first sight of a followed TCP connection */
  REDEYE_EV_DATA = 2,         /* payload of one read/write on a classified connection */
  REDEYE_EV_CONN_CLOSE = 3,   /* the connection was closed (or shut down both ways) */
  REDEYE_EV_PROCESS_EXIT = 4, /* a thread-group leader exited: its fds are gone */
  REDEYE_EV_PROCESS_EXEC = 5, /* a process replaced its image: re-evaluate its service */
  REDEYE_EV_PROCESS_FORK = 6, /* a followed process forked; the child is followed too */
  REDEYE_EV_LISTEN = 7,       /* a process put a TCP socket into LISTEN */
  REDEYE_EV_OOM_KILL = 8,     /* the OOM killer chose a victim (hdr.tgid = its pid) */
};

enum redeye_direction {
  REDEYE_DIR_INBOUND = 0,  /* the process read it */
  REDEYE_DIR_OUTBOUND = 1, /* the process wrote it */
};

/* How the connection was first seen. */
enum redeye_conn_origin {
  REDEYE_ORIGIN_ACCEPT = 1,
  REDEYE_ORIGIN_CONNECT = 2,
  REDEYE_ORIGIN_EXISTING = 3, /* first seen at I/O: opened before the agent started, evicted
                                 and re-found, or the socket hooks do not see accept/connect */
};

/* Ids returned by redeye_infer_protocol (protocol_infer.h) and used by the userspace table
 * (userspace/protocols/registry.cpp). */
enum redeye_protocol {
  REDEYE_PROTO_UNKNOWN = 0,
  REDEYE_PROTO_HTTP1 = 1,
  REDEYE_PROTO_POSTGRES = 2,
  REDEYE_PROTO_AMQP = 3,
  REDEYE_PROTO_HTTP2 = 4,
  REDEYE_PROTO_OTHER = 255, /* gave up classifying: only byte counts from here on */
};

enum redeye_role {
  REDEYE_ROLE_UNKNOWN = 0,
  REDEYE_ROLE_SERVER = 1,
  REDEYE_ROLE_CLIENT = 2,
};

/* Every reason the kernel side can lose an event. Index into the `drops` per-CPU array. */
enum redeye_drop_reason {
  REDEYE_DROP_RINGBUF_FULL = 0,     /* bpf_ringbuf_output failed */
  REDEYE_DROP_STASH_FULL = 1,       /* no room to stash syscall args at entry */
  REDEYE_DROP_CONN_TABLE_FULL = 2,  /* could not insert connection state */
  REDEYE_DROP_READ_USER_FAILED = 3, /* payload could not be copied from user memory */
  REDEYE_DROP_FILTER_FULL = 4,      /* a new process could not be followed: its pid is beyond
                                       the filter (kernel.pid_max raised after start) */
  REDEYE_DROP_PROC_TABLE_FULL = 5,  /* no room for a process's TCP counters */
  REDEYE_DROP_MAX = 6,
};

/* Kernel-side counters that are not drops. Index into the `stats` per-CPU array. */
enum redeye_stat {
  REDEYE_STAT_SYSCALLS_SEEN = 0,       /* socket reads/writes of followed processes */
  REDEYE_STAT_BYTES_TRUNCATED = 1,     /* payload bytes beyond the capture limit (not copied) */
  REDEYE_STAT_CONN_CLASSIFIED = 2,     /* connections recognised as a known protocol */
  REDEYE_STAT_CONN_UNCLASSIFIED = 3,   /* connections no rule recognised: given up on after
                                          REDEYE_CLASSIFY_ATTEMPTS, or ended before that */
  REDEYE_STAT_FRAMING_LOST = 4,        /* PostgreSQL streams the kernel stopped framing */
  REDEYE_STAT_H2_FRAMING_LOST = 5,     /* HTTP/2 directions whose frames the walk lost */
  REDEYE_STAT_H2_BYTES_NOT_COPIED = 6, /* HTTP/2 frame bytes the walk wanted but had no room for */
  REDEYE_STAT_MAX = 7,
};

/* Largest pid the process filter can hold: the kernel's PID_MAX_LIMIT on 64-bit. Userspace
 * sizes the filter from kernel.pid_max up to this. */
#define REDEYE_PID_FILTER_MAX_PIDS (4u * 1024 * 1024)

/* Values of the `pid_filter` map: one byte per pid, 0 when undecided. */
enum redeye_filter_action {
  REDEYE_FILTER_IGNORE = 1,   /* never follow this process (e.g. redeye itself) */
  REDEYE_FILTER_FOLLOW = 2,   /* follow it (used when follow_all is off) */
  REDEYE_FILTER_LISTENER = 3, /* followed since it listened (the kernel sets it): kept until
                                 userspace decides at the LISTEN event, which an earlier
                                 "not a service" (read at exec, before the listener
                                 existed) must not undo */
};

/* hdr.fd when the hooks could not tell which fd the I/O used (io_uring, sendmmsg, ...). */
#define REDEYE_FD_UNKNOWN 0xffffffffu

struct redeye_event_header {
  __u32 type; /* enum redeye_event_type */
  __u32 tgid;
  __u32 fd; /* informational: connections are identified by conn_id (and sock) */
  __u32 pad;
  __u64 conn_id; /* unique per connection for the agent's lifetime */
  __u64 ts_ns;   /* CLOCK_MONOTONIC (bpf_ktime_get_ns) at syscall exit */
};

/* Address families as the kernel reports them in redeye_conn_open_event.family. */
#define REDEYE_AF_INET 2
#define REDEYE_AF_INET6 10

struct redeye_conn_open_event {
  struct redeye_event_header hdr;
  __u16 family; /* AF_INET / AF_INET6 */
  __u16 local_port;
  __u16 remote_port;
  __u8 origin; /* enum redeye_conn_origin */
  __u8 pad;
  __u8 local_addr[16]; /* IPv4 in the first 4 bytes */
  __u8 remote_addr[16];
  char comm[16];
  __u64 sock; /* kernel address of the struct sock: at most one live connection per value */
};

/* redeye_data_event.flags */
/* data[] is not a prefix but the parts of the syscall's bytes the HTTP/2 frame walk kept
 * (h2_walk.h): a table of REDEYE_MAX_SPANS struct redeye_span (in order, unused entries
 * zero), then the spans' bytes one after the other. Bytes between spans were not copied. */
#define REDEYE_DATA_SPANS 1
#define REDEYE_MAX_SPANS 64
/* Bytes the spans of one event may hold (fewer than): the busiest syscalls measured, 226
 * frames of a 32-stream server-streaming write, held 4768 (docs/research/grpc-frame-batching.md). */
#define REDEYE_SPAN_BYTES 8192

struct redeye_span {
  __u32 offset; /* in the syscall's bytes */
  __u32 len;
};

struct redeye_data_event {
  struct redeye_event_header hdr;
  __u32 total_len;    /* bytes the syscall moved */
  __u32 captured_len; /* bytes copied into data[] (<= total_len) */
  __u8 direction;     /* enum redeye_direction */
  __u8 protocol;      /* enum redeye_protocol */
  __u8 role;          /* enum redeye_role */
  __u8 flags;         /* REDEYE_DATA_* */
  /* Messages that started in the bytes not captured and that userspace would have counted
   * (PostgreSQL backend stream: completions); 0 where the kernel does not frame. */
  __u32 hidden_messages;
  __u8 data[]; /* captured_len bytes follow */
};

/* EXIT, EXEC, FORK, LISTEN, OOM_KILL: hdr.tgid is the process concerned. */
struct redeye_process_event {
  struct redeye_event_header hdr;
  __u32 parent_tgid; /* FORK: the parent */
  __u16 port;        /* LISTEN: the local port */
  __u16 pad;
};

/* EXEC carries what discovery needs when the process is gone before /proc can be read (a
 * short-lived client): the executable path as exec'd and the start of the command line. */
#define REDEYE_EXEC_TEXT 256
struct redeye_exec_event {
  struct redeye_process_event proc;
  __u16 filename_len; /* bytes in filename, without NUL */
  __u16 args_len;     /* bytes in args (NUL-separated argv), possibly truncated */
  __u32 pad;
  char filename[REDEYE_EXEC_TEXT];
  char args[REDEYE_EXEC_TEXT];
};

/* Per-process TCP counters (map `proc_tcp`, key: tgid), read by userspace each interval. */
struct redeye_proc_tcp {
  __u64 bytes_received;
  __u64 bytes_sent;
  __u64 retransmits;
  __u64 resets_sent;
  __u64 resets_received;
  __u64 connect_failures;
};

/* One TCP socket a process holds (ESTABLISHED or LISTEN), as the iterator in
 * bpf/process_sockets.bpf.c writes it (bpf_seq_write) for the USE collector's connection
 * counts. */
struct redeye_held_socket {
  __u64 sock; /* struct sock address: the same socket behind several fds counts once */
  __u16 local_port;
  __u8 state; /* TCP_ESTABLISHED (1) or TCP_LISTEN (10) */
  __u8 pad[5];
};

struct redeye_conn_close_event {
  struct redeye_event_header hdr;
  __u64 bytes_in;
  __u64 bytes_out;
};

/* The kernel's framing of a PostgreSQL connection's backend stream (bpf/pg_walk.h). */
struct redeye_pg_framing {
  __u32 skip;          /* bytes of the current message still to come */
  __u8 state;          /* 0 start, 1 typed, 2 lost (enum pg_walk_state) */
  __u8 partial_len;    /* bytes of a header split across syscalls, kept in partial[] */
  __u8 partial_hidden; /* that header started beyond the capture limit */
  __u8 partial[5];
};

/* One direction of an HTTP/2 connection for the frame walk (h2_walk.h, socket hooks). */
struct redeye_h2_framing {
  __u32 skip;       /* payload bytes of the current frame still to come */
  __u32 copy;       /* of those, how many at their front the walk copies */
  __u8 state;       /* enum h2_walk_state */
  __u8 partial_len; /* bytes of a frame header split across syscalls, in partial[] */
  __u8 partial[9];
  __u8 pad;
};

/* Per-connection state kept by the kernel, key: the struct sock address. A sock is freed only
 * after it reached TCP_CLOSE, where its entry is deleted, so a reused address never inherits
 * a stale entry. */
struct redeye_conn_state {
  __u32 tgid; /* the process that first did I/O on it */
  __u32 fd;   /* the fd it used then, or REDEYE_FD_UNKNOWN */
  __u64 conn_id;
  __u64 bytes_in;
  __u64 bytes_out;
  __u8 protocol;
  __u8 role;
  __u8 classify_attempts;
  __u8 pending; /* 1: its first bytes wait in the pending_first map (a split first message) */
  union {
    struct redeye_pg_framing pg;    /* PostgreSQL only, socket hooks (syscall hooks: a map) */
    struct redeye_h2_framing h2[2]; /* HTTP/2 only, socket hooks: by enum redeye_direction */
  };
};

#endif /* REDEYE_ABI_H */
