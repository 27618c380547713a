// SPDX-License-Identifier: GPL-2.0
/* The protocol rules (include/redeye/protocol_infer.h) as one global BPF function over the
 * first bytes of a connection, which classify_and_emit (io_account.h) has placed in this CPU's
 * data scratch.
 *
 * Global, not inlined: the verifier checks a global function once, on its own, with its
 * arguments unknown. Inlined into the socket hooks, the rules were checked again for every
 * path that reaches them (each way the payload copy can end, each kind of buffer), and their
 * byte loops times those paths passed the verifier's 1M-instruction budget. Scalar arguments
 * only, so kernels from 5.8 on (function-by-function verification, 5.6) accept it. */
/* clang-format off: kernel_types.h first, bpf_helpers.h needs its types */
#include "kernel_types.h"
/* clang-format on */
#include <bpf/bpf_helpers.h>

#include "classify.h"
#include "maps.h"
#include "redeye/protocol_infer.h"

__noinline int redeye_classify_window(__u32 len, __u32 direction) {
  __u32 zero = 0;
  struct data_scratch* s = bpf_map_lookup_elem(&scratch, &zero);
  if (!s) return 0;
  struct redeye_data_event* ev = (struct redeye_data_event*)s->raw;
  if (len > REDEYE_INFER_WINDOW) len = REDEYE_INFER_WINDOW;
  int role = 0;
  int protocol = redeye_infer_protocol(ev->data, len, (int)direction, &role);
  if (protocol <= 0) return protocol;
  return REDEYE_CLASSIFIED(protocol,
                           role == REDEYE_ROLE_SERVER ? REDEYE_ROLE_SERVER : REDEYE_ROLE_CLIENT);
}
