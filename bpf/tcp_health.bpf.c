// SPDX-License-Identifier: GPL-2.0
/* TCP errors and state changes per process: retransmits, resets, failed connects, new
 * listening sockets (which make a process a service under the default configuration), and the
 * end of followed connections (close(), or the sock's destruction).
 *
 * These tracepoints mostly fire in softirq context, where `current` is whoever was running:
 * the owning process comes from the sock_owner map instead. Context layouts are the tracefs
 * formats, whose leading fields have been stable since 4.16. */
/* clang-format off: kernel_types.h first, bpf_helpers.h needs its types */
#include "kernel_types.h"
/* clang-format on */
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "connections.h"

#define TCP_SYN_SENT 2
#define TCP_FIN_WAIT1 4
#define TCP_CLOSE 7
#define TCP_LAST_ACK 9
#define TCP_LISTEN 10
#define RCV_SHUTDOWN 1

struct sk_skb_ctx { /* tcp_retransmit_skb, tcp_send_reset */
  __u64 common;
  const void* skbaddr;
  const void* skaddr;
};

struct sk_ctx { /* tcp_receive_reset, tcp_destroy_sock */
  __u64 common;
  const void* skaddr;
};

struct set_state_ctx { /* sock/inet_sock_set_state */
  __u64 common;
  const void* skaddr;
  int oldstate;
  int newstate;
  __u16 sport;
  __u16 dport;
  __u16 family;
  __u16 protocol;
};

SEC("tracepoint/tcp/tcp_retransmit_skb")
int on_tcp_retransmit(struct sk_skb_ctx* ctx) {
  if (empty_programs) return 0;
  struct redeye_proc_tcp* proc = proc_tcp_of_sock(ctx->skaddr);
  if (proc) __sync_fetch_and_add(&proc->retransmits, 1);
  return 0;
}

SEC("tracepoint/tcp/tcp_send_reset")
int on_tcp_send_reset(struct sk_skb_ctx* ctx) {
  if (empty_programs || !ctx->skaddr) return 0;
  struct redeye_proc_tcp* proc = proc_tcp_of_sock(ctx->skaddr);
  if (proc) __sync_fetch_and_add(&proc->resets_sent, 1);
  return 0;
}

SEC("tracepoint/tcp/tcp_receive_reset")
int on_tcp_receive_reset(struct sk_ctx* ctx) {
  if (empty_programs) return 0;
  struct redeye_proc_tcp* proc = proc_tcp_of_sock(ctx->skaddr);
  if (proc) __sync_fetch_and_add(&proc->resets_received, 1);
  return 0;
}

/* At a FIN_WAIT1/LAST_ACK transition: the process will read nothing more from `sk`, so its
 * conversation is over. close() sets both shutdown bits and empties the receive queue before
 * the state changes; shutdown(SHUT_WR) sets only the send bit (the reply is still to come),
 * unless the peer's FIN already came (the receive bit), and then only the queued bytes are
 * left to read. Reaching TCP_CLOSE is not the end: a socket the process still holds keeps
 * its queued data readable (FIN_WAIT2 + FIN goes to TIME_WAIT via CLOSE at once); those end
 * at tcp_destroy_sock, which close() of such a socket triggers. */
static __always_inline bool nothing_left_to_read(const void* skaddr) {
  const struct sock* sk = skaddr;
  if (!(BPF_CORE_READ_BITFIELD_PROBED(sk, sk_shutdown) & RCV_SHUTDOWN)) return false;
  return BPF_CORE_READ(sk, sk_receive_queue.qlen) == 0;
}

SEC("tracepoint/sock/inet_sock_set_state")
int on_tcp_state(struct set_state_ctx* ctx) {
  if (empty_programs || ctx->protocol != IPPROTO_TCP) return 0;
  int state = ctx->newstate;
  if (state == TCP_LISTEN) {
    /* listen() runs in the owner's syscall, so current is the owner. A listener is a service
     * under the default configuration: it is followed from here, before userspace has read
     * its /proc entry, so the first connections it accepts right after listen() are measured
     * (a short-lived server answers them within milliseconds). LISTENER, not FOLLOW: userspace
     * may still be deciding from a /proc read made before this listener existed ("not a
     * service": FOLLOW cleared), and that must not unfollow it; it decides again at this
     * event (an exclude rule unfollows it then). */
    __u32 tgid = bpf_get_current_pid_tgid() >> 32;
    __u8 action = filter_action(tgid);
    if (action != REDEYE_FILTER_IGNORE) {
      __u8* slot = follow_listeners && !follow_all ? filter_slot(tgid) : NULL;
      if (slot) *slot = REDEYE_FILTER_LISTENER;
      emit_process_event(REDEYE_EV_LISTEN, tgid, 0, ctx->sport);
    }
  } else if (state == TCP_SYN_SENT) {
    /* connect() runs in the owner's syscall: remember the owner for a failure or reset. */
    __u32 tgid = bpf_get_current_pid_tgid() >> 32;
    __u64 key = (__u64)ctx->skaddr;
    if (process_followed(tgid)) bpf_map_update_elem(&sock_owner, &key, &tgid, BPF_ANY);
  } else if (state == TCP_CLOSE && ctx->oldstate == TCP_SYN_SENT) {
    struct redeye_proc_tcp* proc = proc_tcp_of_sock(ctx->skaddr);
    if (proc) __sync_fetch_and_add(&proc->connect_failures, 1);
  } else if ((state == TCP_FIN_WAIT1 || state == TCP_LAST_ACK) &&
             nothing_left_to_read(ctx->skaddr)) {
    conn_close(ctx->skaddr, bpf_ktime_get_ns());
  }
  return 0;
}

/* The sock is freed: its address may be reused by any socket from now on. */
SEC("tracepoint/tcp/tcp_destroy_sock")
int on_tcp_destroy(struct sk_ctx* ctx) {
  if (empty_programs) return 0;
  conn_close(ctx->skaddr, bpf_ktime_get_ns());
  __u64 key = (__u64)ctx->skaddr;
  bpf_map_delete_elem(&sock_owner, &key);
  return 0;
}
