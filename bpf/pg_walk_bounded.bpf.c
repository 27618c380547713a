// SPDX-License-Identifier: GPL-2.0
/* The PostgreSQL backend-stream walk (pg_walk.h says what it does) for the syscall hooks: a
 * global function (verified once, on its own: see classify.bpf.c) with a bounded loop of a
 * few headers per syscall, so kernels older than bpf_loop (5.17) load it; a longer burst
 * loses the framing, and says so. Its state is in the pg_framing map: a global function takes
 * scalars only, not the connection's entry. */
/* clang-format off: kernel_types.h first, bpf_helpers.h needs its types */
#include "kernel_types.h"
/* clang-format on */
#include <bpf/bpf_helpers.h>

#include "maps.h"
#include "pg_framing.h"
#include "pg_walk.h"

__noinline int redeye_pg_walk_bounded(__u64 conn_id, __u64 user_buf, __u32 total, __u32 captured) {
  struct redeye_pg_framing* f = bpf_map_lookup_elem(&pg_framing, &conn_id);
  if (!f) {
    struct redeye_pg_framing zero = {};
    bpf_map_update_elem(&pg_framing, &conn_id, &zero, BPF_NOEXIST);
    f = bpf_map_lookup_elem(&pg_framing, &conn_id);
    if (!f) return 0;
  }
  __u32 zero = 0;
  struct data_scratch* s = bpf_map_lookup_elem(&scratch, &zero);
  if (!s) return 0;
  return pg_walk(f, ((struct redeye_data_event*)s->raw)->data, user_buf, total, captured);
}
