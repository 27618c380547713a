/* The few kernel types the probes read, declared for CO-RE instead of a full vmlinux.h.
 *
 * Why not vmlinux.h: the build must work where /sys/kernel/btf/vmlinux does not exist (image
 * builds), and a 100k-line generated header hides which kernel fields we depend on. Every struct
 * here carries preserve_access_index, so libbpf relocates each field access against the running
 * kernel's BTF at load time: field order and offsets below do not matter, only names and types.
 * Anonymous unions in the kernel (e.g. skc_daddr inside skc_addrpair) are matched by name. */
#ifndef REDEYE_KERNEL_TYPES_H
#define REDEYE_KERNEL_TYPES_H

typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef __u16 umode_t;
typedef _Bool bool;
#define true 1
#define false 0

enum bpf_map_type {
  BPF_MAP_TYPE_HASH = 1,
  BPF_MAP_TYPE_ARRAY = 2,
  BPF_MAP_TYPE_PERCPU_ARRAY = 6,
  BPF_MAP_TYPE_LRU_HASH = 9,
  BPF_MAP_TYPE_RINGBUF = 27,
};

enum {
  BPF_ANY = 0,
  BPF_NOEXIST = 1,
};

enum {
  BPF_F_MMAPABLE = 1024, /* map_flags: userspace may mmap() an array's values */
};

enum {
  BPF_RB_NO_WAKEUP = 1,
  BPF_RB_FORCE_WAKEUP = 2,
};

enum {
  BPF_RB_AVAIL_DATA = 0,
};

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define IPPROTO_TCP 6
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define EINPROGRESS 115
#define MSG_PEEK 2
#define E2BIG 7

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct in6_addr {
  __u8 s6_addr[16];
};

struct sock_common {
  unsigned short skc_family;
  __be16 skc_dport;
  __u16 skc_num;
  unsigned char skc_state;
  __be32 skc_daddr;
  __be32 skc_rcv_saddr;
  struct in6_addr skc_v6_daddr;
  struct in6_addr skc_v6_rcv_saddr;
};

struct file;
struct socket;

struct sk_buff_head {
  __u32 qlen;
};

struct sock {
  struct sock_common __sk_common;
  struct sk_buff_head sk_receive_queue;
  __u16 sk_protocol;
  __u16 sk_type;
  __u8 sk_shutdown; /* a 2-bit field in older kernels: read with BPF_CORE_READ_BITFIELD_PROBED */
  struct socket* sk_socket;
};

struct socket {
  short type;
  struct sock* sk;
  struct file* file;
};

struct inode {
  umode_t i_mode;
};

struct file {
  struct inode* f_inode;
  void* private_data;
};

struct fdtable {
  unsigned int max_fds;
  struct file** fd;
};

struct files_struct {
  struct fdtable* fdt;
};

struct mm_struct {
  unsigned long arg_start;
  unsigned long arg_end;
};

struct task_struct {
  unsigned int flags;
  int pid;
  int tgid;
  struct files_struct* files;
  struct mm_struct* mm;
};

struct seq_file;

/* The context of an iter/task_file program: one open file of one task. */
struct bpf_iter_meta {
  struct seq_file* seq;
  __u64 session_id;
  __u64 seq_num;
};

struct bpf_iter__task_file {
  struct bpf_iter_meta* meta;
  struct task_struct* task;
  __u32 fd;
  struct file* file;
};

#pragma clang attribute pop

/* User memory layouts are UAPI: stable, read with bpf_probe_read_user, no relocation. */
struct iovec {
  void* iov_base;
  unsigned long iov_len;
};

struct user_msghdr {
  void* msg_name;
  int msg_namelen;
  struct iovec* msg_iov;
  unsigned long msg_iovlen;
  void* msg_control;
  unsigned long msg_controllen;
  unsigned int msg_flags;
};

/* Tracepoint contexts (layout from tracefs events/syscalls/sys_{enter,exit}_* /format). */
struct syscall_enter_ctx {
  __u64 common;
  __s32 syscall_nr;
  __u32 pad;
  __u64 args[6];
};

struct syscall_exit_ctx {
  __u64 common;
  __s32 syscall_nr;
  __u32 pad;
  __s64 ret;
};

#endif /* REDEYE_KERNEL_TYPES_H */
