// SPDX-License-Identifier: GPL-2.0
/* The PostgreSQL backend-stream walk (pg_walk_loop.bpf.c says what it does) with a bounded
 * loop of a few headers per syscall, for the syscall hooks: kernels older than bpf_loop
 * (5.17) load them. A longer burst loses the framing, and says so. */
/* clang-format off: kernel_types.h first, bpf_helpers.h needs its types */
#include "kernel_types.h"
/* clang-format on */
#define REDEYE_PG_WALK_NAME redeye_pg_walk_bounded
#include "pg_walk.h"
