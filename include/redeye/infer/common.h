/* Shared by the per-protocol inference rules (include/redeye/infer/<protocol>.h). Plain C
 * with no BPF helpers: compiled into the kernel object and into the C++ unit tests. */
#ifndef REDEYE_INFER_COMMON_H
#define REDEYE_INFER_COMMON_H

/* A rule's `direction` is an enum redeye_direction (what the followed process did with the
 * bytes), its `*role` on success an enum redeye_role (the process's side). */
#include "redeye/abi.h"

/* Bytes of a read or write the binary rules (PostgreSQL, AMQP) look at. */
#define REDEYE_INFER_PREFIX 16
/* Bytes the text rules (HTTP) may look at: the first bytes of a connection, gathered over
 * reads while a rule says REDEYE_INFER_MORE. A power of two (verifier bound masks). */
#define REDEYE_INFER_WINDOW 128

/* A rule's "not yet": the bytes so far are a prefix of what it recognises, more are needed. */
#define REDEYE_INFER_MORE (-1)

/* `v` itself, in a register the BPF verifier does not link to `v`'s: a loop that compares its
 * index with the length refines the copy, not the length. Otherwise every exit index leaves
 * the length with other bounds, the states after the loop no longer match, and the rules
 * that follow are verified once per exit (past the verifier's 1M-instruction budget). */
static inline unsigned int redeye_opaque(unsigned int v) {
#ifdef __bpf__
  asm volatile("%[v] ^= 0" : [v] "+r"(v));
#endif
  return v;
}

static inline int redeye_prefix_is(const unsigned char* p, unsigned int len, const char* word,
                                   unsigned int word_len) {
  if (len < word_len) return 0;
  for (unsigned int i = 0; i < word_len; i++) {
    if (p[i] != (unsigned char)word[i]) return 0;
  }
  return 1;
}

static inline unsigned int redeye_be32(const unsigned char* p) {
  return ((unsigned int)p[0] << 24) | ((unsigned int)p[1] << 16) | ((unsigned int)p[2] << 8) |
         (unsigned int)p[3];
}

static inline unsigned int redeye_be16(const unsigned char* p) {
  return ((unsigned int)p[0] << 8) | (unsigned int)p[1];
}

#endif /* REDEYE_INFER_COMMON_H */
