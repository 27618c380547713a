/* The protocol classifier the socket hooks call (defined in classify.bpf.c). */
#ifndef REDEYE_BPF_CLASSIFY_H
#define REDEYE_BPF_CLASSIFY_H

/* A result > 0 packs the protocol (enum redeye_protocol) and the role (enum redeye_role). */
#define REDEYE_CLASSIFIED(protocol, role) ((protocol) | ((role) << 8))
#define REDEYE_CLASSIFIED_PROTOCOL(result) ((result)&0xff)
#define REDEYE_CLASSIFIED_ROLE(result) (((result) >> 8) & 0xff)

/* Classifies the first `len` bytes of data[] in this CPU's data scratch, moved in `direction`:
 * > 0 (REDEYE_CLASSIFIED), REDEYE_INFER_MORE, or 0 (redeye_infer_protocol). */
extern int redeye_classify_window(__u32 len, __u32 direction);

#endif /* REDEYE_BPF_CLASSIFY_H */
