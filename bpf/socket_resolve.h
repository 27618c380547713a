/* fd -> struct sock for the current task, by CO-RE reads of task->files->fdt->fd[fd].
 * This is what lets redeye measure connections opened before it started: nothing depends on
 * having seen accept() or connect(). */
#ifndef REDEYE_BPF_SOCKET_RESOLVE_H
#define REDEYE_BPF_SOCKET_RESOLVE_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "kernel_types.h"

/* Returns the sock behind `fd` when it is a TCP socket over IPv4/IPv6, else NULL. Cheap exits
 * first: most fds that reach here are files and pipes. */
static __always_inline struct sock* tcp_sock_from_fd(__u32 fd) {
  struct task_struct* task = (struct task_struct*)bpf_get_current_task();
  struct fdtable* fdt = BPF_CORE_READ(task, files, fdt);
  if (!fdt) return NULL;
  if (fd >= BPF_CORE_READ(fdt, max_fds)) return NULL;
  struct file** fds = BPF_CORE_READ(fdt, fd);
  struct file* file = NULL;
  if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file) return NULL;
  umode_t mode = BPF_CORE_READ(file, f_inode, i_mode);
  if ((mode & S_IFMT) != S_IFSOCK) return NULL;
  struct socket* sock = BPF_CORE_READ(file, private_data);
  if (!sock || BPF_CORE_READ(sock, type) != SOCK_STREAM) return NULL;
  struct sock* sk = BPF_CORE_READ(sock, sk);
  if (!sk) return NULL;
  __u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
  if (family != AF_INET && family != AF_INET6) return NULL;
  if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP) return NULL;
  return sk;
}

/* Fills family, ports (host order) and addresses of a connection-open event. */
static __always_inline void read_endpoints(struct sock* sk, struct redeye_conn_open_event* ev) {
  ev->family = BPF_CORE_READ(sk, __sk_common.skc_family);
  ev->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
  ev->remote_port = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
  if (ev->family == AF_INET) {
    __be32 local = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
    __be32 remote = BPF_CORE_READ(sk, __sk_common.skc_daddr);
    __builtin_memcpy(ev->local_addr, &local, 4);
    __builtin_memcpy(ev->remote_addr, &remote, 4);
  } else {
    BPF_CORE_READ_INTO(&ev->local_addr, sk, __sk_common.skc_v6_rcv_saddr);
    BPF_CORE_READ_INTO(&ev->remote_addr, sk, __sk_common.skc_v6_daddr);
  }
}

#endif /* REDEYE_BPF_SOCKET_RESOLVE_H */
