// SPDX-License-Identifier: GPL-2.0
/* Socket-layer tracepoints on TCP I/O: sock/sock_recv_length and sock/sock_send_length fire
 * in sock_recvmsg/sock_sendmsg, after the data moved, with the struct sock and the byte count.
 * They fire for socket I/O only, so unlike syscall tracepoints they add nothing to file, pipe
 * or epoll syscalls, need no fd -> sock walk and no stash between entry and exit, and a read
 * that returns EAGAIN costs one comparison. The user buffer comes from the registers saved at
 * syscall entry (syscall_regs.h). Used when the kernel has them (userspace checks its BTF);
 * io_syscalls.bpf.c is the fallback.
 *
 * The end of a connection is its TCP state change (tcp_health.bpf.c), not close(). */
/* clang-format off: kernel_types.h first, bpf_helpers.h needs its types */
#include "kernel_types.h"
/* clang-format on */
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define REDEYE_PG_WALK_WITH_LOOP 1 /* pg_walk.h: bpf_loop, state in the connection */
#include "io_account.h"
#include "syscall_regs.h"

char LICENSE[] SEC("license") = "GPL";

/* A user-space process's TCP socket over IPv4/IPv6. Kernel sockets (NFS, iSCSI, ...) have
 * no file: their I/O is not some process's conversation. */
static __always_inline bool user_tcp_sock(struct sock* sk) {
  __u16 family = sk->__sk_common.skc_family;
  if (family != AF_INET && family != AF_INET6) return false;
  if (sk->sk_protocol != IPPROTO_TCP || sk->sk_type != SOCK_STREAM) return false;
  struct socket* sock = sk->sk_socket;
  return sock && sock->file;
}

static __always_inline int on_sock_io(struct sock* sk, int ret, __u8 direction) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (!process_followed(tgid) || !sk || !user_tcp_sock(sk)) return 0;
  count_stat(REDEYE_STAT_SYSCALLS_SEEN, 1);
  struct stashed_args args = {.sk = (__u64)sk, .direction = direction};
  syscall_io_args(&args);
  account_io(&args, tgid, (__u32)ret);
  return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(on_sock_recv, struct sock* sk, int ret, int flags) {
  /* ret <= 0: EAGAIN, error or end of stream. MSG_PEEK: the bytes will be read again. */
  if (empty_programs || ret <= 0 || (flags & MSG_PEEK)) return 0;
  return on_sock_io(sk, ret, REDEYE_DIR_INBOUND);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(on_sock_send, struct sock* sk, int ret, int flags) {
  if (empty_programs || ret <= 0) return 0;
  return on_sock_io(sk, ret, REDEYE_DIR_OUTBOUND);
}
