/* Which syscall the current task is in, and its first arguments, from the user registers the
 * kernel saved at syscall entry (bpf_task_pt_regs). Lets a hook deep in the socket layer find
 * the user buffer of the read/write that reached it, without syscall tracepoints.
 *
 * Per architecture: the pt_regs fields (CO-RE-relocated) and the syscall numbers (UAPI, fixed
 * per architecture). An architecture not listed here gets byte counts without payload. */
#ifndef REDEYE_BPF_SYSCALL_REGS_H
#define REDEYE_BPF_SYSCALL_REGS_H

/* clang-format off: kernel_types.h first, bpf_helpers.h needs its types */
#include "kernel_types.h"
/* clang-format on */
#include <bpf/bpf_helpers.h>

#include "maps.h"

#define PF_IO_WORKER 0x00000010
#define PF_KTHREAD 0x00200000

#if defined(__TARGET_ARCH_x86)
#define REDEYE_HAVE_SYSCALL_REGS 1
struct pt_regs {
  unsigned long di;
  unsigned long si;
  unsigned long dx;
  unsigned long orig_ax;
} __attribute__((preserve_access_index));
#define SYSCALL_NR(r) ((long)(r)->orig_ax)
#define SYSCALL_ARG1(r) ((r)->di)
#define SYSCALL_ARG2(r) ((r)->si)
#define SYSCALL_ARG3(r) ((r)->dx)
enum {
  NR_read = 0,
  NR_write = 1,
  NR_readv = 19,
  NR_writev = 20,
  NR_sendfile = 40,
  NR_sendto = 44,
  NR_recvfrom = 45,
  NR_sendmsg = 46,
  NR_recvmsg = 47,
};
#elif defined(__TARGET_ARCH_arm64)
#define REDEYE_HAVE_SYSCALL_REGS 1
struct pt_regs {
  __u64 regs[31];
  __s32 syscallno;
} __attribute__((preserve_access_index));
#define SYSCALL_NR(r) ((long)(r)->syscallno)
#define SYSCALL_ARG1(r) ((r)->regs[0])
#define SYSCALL_ARG2(r) ((r)->regs[1])
#define SYSCALL_ARG3(r) ((r)->regs[2])
enum {
  NR_readv = 65,
  NR_writev = 66,
  NR_read = 63,
  NR_write = 64,
  NR_sendfile = 71,
  NR_sendto = 206,
  NR_recvfrom = 207,
  NR_sendmsg = 211,
  NR_recvmsg = 212,
};
#else
#define REDEYE_HAVE_SYSCALL_REGS 0
#endif

/* Fills args->buf/fd/iovcnt/kind for a socket read (direction INBOUND) or write done by the
 * current task. When the task is not in one of the syscalls we know (io_uring, splice,
 * sendmmsg, a kernel or io_uring worker thread, a 32-bit process), args->kind is NODATA: the
 * bytes are counted, nothing is copied. */
static __always_inline void syscall_io_args(struct stashed_args* args) {
  args->kind = STASH_NODATA;
  args->fd = REDEYE_FD_UNKNOWN;
#if REDEYE_HAVE_SYSCALL_REGS
  struct task_struct* task = bpf_get_current_task_btf();
  if (task->flags & (PF_KTHREAD | PF_IO_WORKER)) return;
  struct pt_regs* regs = (struct pt_regs*)bpf_task_pt_regs(task);
  if (!regs) return;
  long nr = SYSCALL_NR(regs);
  __u8 kind = STASH_NODATA;
  if (args->direction == REDEYE_DIR_INBOUND) {
    if (nr == NR_read || nr == NR_recvfrom)
      kind = STASH_PLAIN;
    else if (nr == NR_readv)
      kind = STASH_IOV;
    else if (nr == NR_recvmsg)
      kind = STASH_MSG;
    else
      return;
  } else {
    if (nr == NR_write || nr == NR_sendto)
      kind = STASH_PLAIN;
    else if (nr == NR_writev)
      kind = STASH_IOV;
    else if (nr == NR_sendmsg)
      kind = STASH_MSG;
    else if (nr != NR_sendfile)
      return;
  }
  args->kind = kind;
  args->fd = (__u32)SYSCALL_ARG1(regs);
  args->buf = SYSCALL_ARG2(regs);
  args->iovcnt = kind == STASH_IOV ? (__u32)SYSCALL_ARG3(regs) : 0;
#endif
}

#endif /* REDEYE_BPF_SYSCALL_REGS_H */
