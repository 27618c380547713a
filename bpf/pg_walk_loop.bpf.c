// SPDX-License-Identifier: GPL-2.0
/* Counts the PostgreSQL completions the capture limit hides. Userspace frames what the kernel
 * copies; a pipelined burst larger than the capture limit hides whole messages, and with them
 * operations no one could count. PostgreSQL's messages are length-prefixed (type byte, int32
 * length), so the kernel can step from header to header without copying the bodies: it
 * frames the backend stream (server -> client) of every PostgreSQL connection, reading the
 * headers inside the captured prefix from the copy it already made and those beyond it from
 * user memory, and reports how many CommandComplete, ErrorResponse, EmptyQueryResponse and
 * PortalSuspended messages (one operation each, as the userspace matcher counts them) started
 * in the bytes it did not copy. A header split across two syscalls is carried over. A stream
 * the walk cannot follow (a length that cannot be, encryption, more messages in one syscall
 * than it walks, a buffer kind it cannot read) stops being walked, counted once in
 * REDEYE_STAT_FRAMING_LOST.
 *
 * A global function: verified once, on its own (see classify.bpf.c). This file defines it
 * with bpf_loop, for the socket-tracepoint hooks (their kernels all have it);
 * pg_walk_bounded.bpf.c with a short bounded loop, for the syscall hooks (any kernel). */
/* clang-format off: kernel_types.h first, bpf_helpers.h needs its types */
#include "kernel_types.h"
/* clang-format on */
#define REDEYE_PG_WALK_WITH_LOOP 1
#define REDEYE_PG_WALK_NAME redeye_pg_walk_loop
#include "pg_walk.h"
