// SPDX-License-Identifier: GPL-2.0
/* Syscall tracepoints on TCP socket I/O: the fallback for kernels without the socket
 * tracepoints io_sock_tracepoints.bpf.c uses (userspace loads one set or the other).
 *
 * Entry: for followed processes, resolve the fd to a TCP sock and stash the arguments (only
 *        sockets are stashed, so file and pipe I/O costs one filter lookup and a few reads).
 * Exit:  count bytes per connection and process; classify unknown connections from their
 *        first bytes; for connections of a known protocol emit the payload prefix to userspace,
 *        which parses and pairs requests with responses.
 *
 * No close() hook: a connection ends at its TCP state change (tcp_health.bpf.c), which is
 * right for dup'd and inherited sockets too, and costs nothing on the close() of files. The
 * connecting process is recorded as the sock's owner there as well (SYN_SENT).
 *
 * Why userspace pairs requests (and not the kernel): see docs/DESIGN.md, "How much the kernel
 * does"; the benchmark in docs/BENCHMARKS.md measures the cost of this choice. */
/* clang-format off: kernel_types.h first, bpf_helpers.h needs its types */
#include "kernel_types.h"
/* clang-format on */
#include <bpf/bpf_helpers.h>

#include "io_account.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline int stash_syscall(__u32 fd, __u64 buf, __u32 iovcnt, __u8 kind,
                                         __u8 direction) {
  if (empty_programs) return 0;
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  if (!process_followed(pid_tgid >> 32)) return 0;
  struct stashed_args args = {
      .buf = buf, .fd = fd, .iovcnt = iovcnt, .kind = kind, .direction = direction};
  if (kind != STASH_ACCEPT) {
    struct sock* sk = tcp_sock_from_fd(fd);
    if (!sk) return 0;
    args.sk = (__u64)sk;
  }
  count_stat(REDEYE_STAT_SYSCALLS_SEEN, 1);
  if (bpf_map_update_elem(&stash, &pid_tgid, &args, BPF_ANY)) count_drop(REDEYE_DROP_STASH_FULL);
  return 0;
}

/* Takes this thread's stashed arguments, if any. */
static __always_inline bool unstash(__u64 pid_tgid, struct stashed_args* out) {
  struct stashed_args* args = bpf_map_lookup_elem(&stash, &pid_tgid);
  if (!args) return false;
  *out = *args;
  bpf_map_delete_elem(&stash, &pid_tgid);
  return true;
}

static __always_inline int handle_io_exit(struct syscall_exit_ctx* ctx) {
  if (empty_programs) return 0;
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  struct stashed_args args;
  if (!unstash(pid_tgid, &args)) return 0;
  if (ctx->ret <= 0) return 0;
  __u32 total = ctx->ret > 0x7fffffff ? 0x7fffffff : (__u32)ctx->ret;
  account_io(&args, pid_tgid >> 32, total);
  return 0;
}

/* Payload syscalls: (fd, buffer) / (fd, iovec, count) / (fd, msghdr) / sendfile(out_fd, ...). */
#define IO_PROBES(name, kind, direction, iovcnt_arg)                               \
  SEC("tracepoint/syscalls/sys_enter_" #name)                                      \
  int enter_##name(struct syscall_enter_ctx* ctx) {                                \
    return stash_syscall(ctx->args[0], ctx->args[1], iovcnt_arg, kind, direction); \
  }                                                                                \
  SEC("tracepoint/syscalls/sys_exit_" #name)                                       \
  int exit_##name(struct syscall_exit_ctx* ctx) { return handle_io_exit(ctx); }

IO_PROBES(read, STASH_PLAIN, REDEYE_DIR_INBOUND, 0)
IO_PROBES(recvfrom, STASH_PLAIN, REDEYE_DIR_INBOUND, 0)
IO_PROBES(readv, STASH_IOV, REDEYE_DIR_INBOUND, ctx->args[2])
IO_PROBES(recvmsg, STASH_MSG, REDEYE_DIR_INBOUND, 0)
IO_PROBES(write, STASH_PLAIN, REDEYE_DIR_OUTBOUND, 0)
IO_PROBES(sendto, STASH_PLAIN, REDEYE_DIR_OUTBOUND, 0)
IO_PROBES(writev, STASH_IOV, REDEYE_DIR_OUTBOUND, ctx->args[2])
IO_PROBES(sendmsg, STASH_MSG, REDEYE_DIR_OUTBOUND, 0)
IO_PROBES(sendfile64, STASH_NODATA, REDEYE_DIR_OUTBOUND, 0)

/* accept/accept4 and connect: the connection's origin is known, so record it at once. */
static __always_inline int handle_new_conn_exit(struct syscall_exit_ctx* ctx) {
  if (empty_programs) return 0;
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  struct stashed_args args;
  if (!unstash(pid_tgid, &args)) return 0;
  __u32 fd = args.fd;
  __u8 origin = REDEYE_ORIGIN_CONNECT;
  if (args.kind == STASH_ACCEPT) {
    if (ctx->ret < 0) return 0;
    fd = (__u32)ctx->ret;
    origin = REDEYE_ORIGIN_ACCEPT;
  } else if (ctx->ret < 0 && ctx->ret != -EINPROGRESS) {
    return 0;
  }
  struct sock* sk = tcp_sock_from_fd(fd);
  if (!sk) return 0;
  conn_start(sk, pid_tgid >> 32, fd, origin, bpf_ktime_get_ns());
  return 0;
}

SEC("tracepoint/syscalls/sys_enter_accept")
int enter_accept(struct syscall_enter_ctx* ctx) {
  return stash_syscall(ctx->args[0], 0, 0, STASH_ACCEPT, REDEYE_DIR_INBOUND);
}
SEC("tracepoint/syscalls/sys_exit_accept")
int exit_accept(struct syscall_exit_ctx* ctx) { return handle_new_conn_exit(ctx); }

SEC("tracepoint/syscalls/sys_enter_accept4")
int enter_accept4(struct syscall_enter_ctx* ctx) {
  return stash_syscall(ctx->args[0], 0, 0, STASH_ACCEPT, REDEYE_DIR_INBOUND);
}
SEC("tracepoint/syscalls/sys_exit_accept4")
int exit_accept4(struct syscall_exit_ctx* ctx) { return handle_new_conn_exit(ctx); }

SEC("tracepoint/syscalls/sys_enter_connect")
int enter_connect(struct syscall_enter_ctx* ctx) {
  return stash_syscall(ctx->args[0], 0, 0, STASH_CONNECT, REDEYE_DIR_OUTBOUND);
}
SEC("tracepoint/syscalls/sys_exit_connect")
int exit_connect(struct syscall_exit_ctx* ctx) { return handle_new_conn_exit(ctx); }
