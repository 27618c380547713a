/* The PostgreSQL backend-stream walk of the syscall hooks (pg_walk_bounded.bpf.c). */
#ifndef REDEYE_BPF_PG_FRAMING_H
#define REDEYE_BPF_PG_FRAMING_H

/* Walks the headers of one syscall's `total` bytes of a PostgreSQL backend stream, `captured`
 * of them already in this CPU's data scratch, the rest at `user_buf` (0: not a plain buffer).
 * Returns the completions that started in the bytes not captured. */
extern int redeye_pg_walk_bounded(__u64 conn_id, __u64 user_buf, __u32 total, __u32 captured);

#endif /* REDEYE_BPF_PG_FRAMING_H */
