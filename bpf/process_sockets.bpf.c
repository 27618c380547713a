// SPDX-License-Identifier: GPL-2.0
/* The TCP sockets one process holds, for the USE collector's connection counts
 * (process_open_tcp_connections): one redeye_held_socket per fd that is an ESTABLISHED or
 * LISTEN TCP socket. An iter/task_file program that userspace attaches to one process at a
 * time (the iterator's pid parameter, Linux 6.1+). Its cost is that process's fds, where
 * reading /proc/<pid>/net/tcp{,6} walks the kernel's whole established-socket hash (262,144
 * buckets here, ~1.5 ms per file, however few sockets the namespace holds) for every network
 * namespace, every round.
 *
 * A separate object from kernel_probes: a kernel without BPF iterators, or without their pid
 * parameter, loses this program only, and the collector falls back to /proc. */
/* clang-format off: kernel_types.h first, bpf_helpers.h needs its types */
#include "kernel_types.h"
/* clang-format on */
#include <bpf/bpf_helpers.h>

#include "redeye/abi.h"

char LICENSE[] SEC("license") = "GPL";

#define TCP_ESTABLISHED 1
#define TCP_LISTEN 10

SEC("iter/task_file")
int held_sockets(struct bpf_iter__task_file* ctx) {
  struct file* file = ctx->file;
  if (!file) return 0;
  struct socket* sock = bpf_sock_from_file(file);
  if (!sock) return 0;
  struct sock* sk = sock->sk;
  if (!sk) return 0;
  __u16 family = sk->__sk_common.skc_family;
  if (family != AF_INET && family != AF_INET6) return 0;
  if (sk->sk_protocol != IPPROTO_TCP || sk->sk_type != SOCK_STREAM) return 0;
  __u8 state = sk->__sk_common.skc_state;
  if (state != TCP_ESTABLISHED && state != TCP_LISTEN) return 0;
  struct redeye_held_socket record = {
      .sock = (__u64)sk, .local_port = sk->__sk_common.skc_num, .state = state};
  bpf_seq_write(ctx->meta->seq, &record, sizeof(record));
  return 0;
}
