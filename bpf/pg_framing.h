/* PostgreSQL backend-stream framing in the kernel (pg_walk.h): one walk per hook set. */
#ifndef REDEYE_BPF_PG_FRAMING_H
#define REDEYE_BPF_PG_FRAMING_H

/* Walks the headers of one syscall's `total` bytes of a PostgreSQL backend stream, `captured`
 * of them already in this CPU's data scratch, the rest at `user_buf` (0: not a plain buffer).
 * Returns the completions that started in the bytes not captured. A .bpf.c that includes
 * io_account.h defines REDEYE_PG_WALK as one of these first. */
extern int redeye_pg_walk_loop(__u64 conn_id, __u64 user_buf, __u32 total, __u32 captured);
extern int redeye_pg_walk_bounded(__u64 conn_id, __u64 user_buf, __u32 total, __u32 captured);

#endif /* REDEYE_BPF_PG_FRAMING_H */
