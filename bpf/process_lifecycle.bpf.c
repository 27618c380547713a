// SPDX-License-Identifier: GPL-2.0
/* Process lifecycle for discovery: exec, fork and exit of processes, and OOM kills.
 *
 * A followed process's children are followed from their first instruction (nginx workers,
 * PostgreSQL backends) without waiting for userspace; userspace learns of them from the FORK
 * event and decides again on EXEC. Exits remove the filter entry so a reused PID does not
 * inherit "followed". */
/* clang-format off: kernel_types.h first, bpf_helpers.h needs its types */
#include "kernel_types.h"
/* clang-format on */
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "emit.h"
#include "maps.h"

/* tracefs events/sched/sched_process_exec/format: `filename` is a __data_loc string. */
struct exec_ctx {
  __u64 common;
  __u32 filename_loc; /* offset (low 16 bits) and length (high 16) of the string in the record */
};

/* An EXEC event is 560 bytes: assembled here rather than on the 512-byte stack. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct redeye_exec_event);
} exec_scratch SEC(".maps");

/* tracefs events/oom/mark_victim/format: `pid` has been the first field since 4.x. */
struct mark_victim_ctx {
  __u64 common;
  int pid;
};

static __always_inline bool followed_explicitly(__u32 tgid) {
  __u8 action = filter_action(tgid);
  return action == REDEYE_FILTER_FOLLOW || action == REDEYE_FILTER_LISTENER;
}

/* A new program is followed provisionally from its first instruction: short-lived clients
 * (curl, a cron job) connect within milliseconds of exec, before userspace could read /proc.
 * Userspace handles this EXEC before any of the process's connection events (the ring buffer
 * keeps one process's events in order) and unfollows it unless it is a service. */
SEC("tracepoint/sched/sched_process_exec")
int on_process_exec(void* ctx) {
  if (empty_programs) return 0;
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  __u8 action = filter_action(tgid);
  if (action == REDEYE_FILTER_IGNORE) return 0;
  if (!follow_all && action == 0) filter_follow(tgid);
  __u32 zero = 0;
  struct redeye_exec_event* ev = bpf_map_lookup_elem(&exec_scratch, &zero);
  if (!ev) return 0;
  fill_header(&ev->proc.hdr, REDEYE_EV_PROCESS_EXEC, tgid, 0, 0, bpf_ktime_get_ns());
  ev->proc.parent_tgid = 0;
  ev->proc.port = 0;
  struct exec_ctx* exec = ctx;
  long n = bpf_probe_read_kernel_str(ev->filename, sizeof(ev->filename),
                                     (char*)ctx + (exec->filename_loc & 0xFFFF));
  ev->filename_len = n > 0 ? n - 1 : 0;
  /* After exec, current's mm is the new program's: its argv sits at arg_start. */
  struct task_struct* task = (struct task_struct*)bpf_get_current_task();
  unsigned long start = BPF_CORE_READ(task, mm, arg_start);
  unsigned long end = BPF_CORE_READ(task, mm, arg_end);
  __u64 len = end > start ? end - start : 0;
  if (len > sizeof(ev->args)) len = sizeof(ev->args);
  asm volatile("%[len] &= 0x1ff" : [len] "+r"(len));
  if (len > sizeof(ev->args) || bpf_probe_read_user(ev->args, len, (void*)start)) len = 0;
  ev->args_len = len;
  if (bpf_ringbuf_output(&events, ev, sizeof(*ev), BPF_RB_FORCE_WAKEUP)) {
    count_drop(REDEYE_DROP_RINGBUF_FULL);
  }
  return 0;
}

/* tp_btf gives the child task itself, which tells a new process from a new thread. */
SEC("tp_btf/sched_process_fork")
int on_process_fork(__u64* ctx) {
  if (empty_programs) return 0;
  struct task_struct* parent = (struct task_struct*)ctx[0];
  struct task_struct* child = (struct task_struct*)ctx[1];
  __u32 child_pid = BPF_CORE_READ(child, pid);
  __u32 child_tgid = BPF_CORE_READ(child, tgid);
  if (child_pid != child_tgid) return 0; /* a thread */
  __u32 parent_tgid = BPF_CORE_READ(parent, tgid);
  if (!followed_explicitly(parent_tgid)) return 0;
  filter_follow(child_tgid);
  emit_process_event(REDEYE_EV_PROCESS_FORK, child_tgid, parent_tgid, 0);
  return 0;
}

/* Fires per thread; the thread-group leader's exit stands for the process. */
SEC("tracepoint/sched/sched_process_exit")
int on_process_exit(void* ctx) {
  if (empty_programs) return 0;
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  __u32 tgid = pid_tgid >> 32;
  if ((__u32)pid_tgid != tgid) return 0;
  bool followed = follow_all ? process_followed(tgid) : followed_explicitly(tgid);
  if (!followed) return 0;
  if (!follow_all) {
    __u8* slot = filter_slot(tgid);
    if (slot) *slot = 0;
  }
  emit_process_event(REDEYE_EV_PROCESS_EXIT, tgid, 0, 0);
  return 0;
}

SEC("tracepoint/oom/mark_victim")
int on_oom_victim(struct mark_victim_ctx* ctx) {
  if (empty_programs) return 0;
  emit_process_event(REDEYE_EV_OOM_KILL, (__u32)ctx->pid, 0, 0);
  return 0;
}
