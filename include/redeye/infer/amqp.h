/* AMQP 0-9-1 inference (see protocol_infer.h for how rules are combined).
 *
 * A fresh connection starts with the client writing the protocol header "AMQP\0\0\x09\x01".
 * A connection opened before the agent shows itself by a method frame (type 1, channel,
 * size, class id, method id: 11 bytes, within the 16-byte prefix) of a method only one side
 * sends:
 *   client -> broker: Basic.Publish 60/40, Basic.Consume 60/20, Basic.Get 60/70,
 *                     Basic.Qos 60/10, Channel.Open 20/10, Queue.Declare 50/10;
 *   broker -> client: Basic.Deliver 60/60 (what a consumer mostly reads).
 * Methods both sides send (Basic.Ack, Channel.Close, ...) are not evidence of a side.
 *
 * Strict: byte 0 must be 1 (HTTP starts with a letter, TLS with 0x16, PostgreSQL with a
 * letter or a zero length byte), the size must be 4..131072, a method on channel 0 must be
 * of class Connection and any other on a channel above 0, and the frame-end octet 0xCE must
 * be where the size says whenever that lies within the prefix. */
#ifndef REDEYE_INFER_AMQP_H
#define REDEYE_INFER_AMQP_H

#include "redeye/infer/common.h"

#define REDEYE_AMQP_FRAME_METHOD 1
#define REDEYE_AMQP_FRAME_END 0xCE
#define REDEYE_AMQP_MAX_INFER_FRAME 131072u

/* 1: a method the client sends, 2: one the broker sends, 0: neither (or both). */
static inline int redeye_amqp_method_side(unsigned int class_id, unsigned int method_id) {
  switch (class_id) {
    case 20: /* channel */
      return method_id == 10 ? 1 : 0;
    case 50: /* queue */
      return method_id == 10 ? 1 : 0;
    case 60: /* basic */
      switch (method_id) {
        case 10: /* qos */
        case 20: /* consume */
        case 40: /* publish */
        case 70: /* get */
          return 1;
        case 60: /* deliver */
          return 2;
        default:
          return 0;
      }
    default:
      return 0;
  }
}

/* The side (as redeye_amqp_method_side) of the method frame `p` starts with, or 0. */
static inline int redeye_amqp_method_frame_side(const unsigned char* p, unsigned int len) {
  if (len < 11 || p[0] != REDEYE_AMQP_FRAME_METHOD) return 0;
  unsigned int channel = redeye_be16(p + 1);
  unsigned int size = redeye_be32(p + 3);
  if (size < 4 || size > REDEYE_AMQP_MAX_INFER_FRAME) return 0;
  /* The frame-end octet follows the payload: check it when the prefix reaches it (sizes 4..8,
   * octets 11..15). Read at constant offsets and picked by a shift: an index computed from
   * `size` would be a variable stack offset the verifier may not be able to bound. */
  if (size + 7 < len) {
    unsigned int ends = 0;
    if (len > 11 && p[11] == REDEYE_AMQP_FRAME_END) ends |= 1u;
    if (len > 12 && p[12] == REDEYE_AMQP_FRAME_END) ends |= 2u;
    if (len > 13 && p[13] == REDEYE_AMQP_FRAME_END) ends |= 4u;
    if (len > 14 && p[14] == REDEYE_AMQP_FRAME_END) ends |= 8u;
    if (len > 15 && p[15] == REDEYE_AMQP_FRAME_END) ends |= 16u;
    if (((ends >> ((size - 4) & 7u)) & 1u) == 0) return 0;
  }
  unsigned int class_id = redeye_be16(p + 7);
  if ((channel == 0) != (class_id == 10)) return 0;
  return redeye_amqp_method_side(class_id, redeye_be16(p + 9));
}

static inline int redeye_infer_amqp(const unsigned char* p, unsigned int len, int direction,
                                    int* role) {
  int written = direction == REDEYE_DIR_OUTBOUND;
  if (redeye_prefix_is(p, len, "AMQP\0\0\x09\x01", 8)) {
    *role = written ? REDEYE_ROLE_CLIENT : REDEYE_ROLE_SERVER;
    return 1;
  }
  int side = redeye_amqp_method_frame_side(p, len);
  if (side == 0) return 0;
  /* The client writes what the client sends; the broker reads it. */
  int client = (side == 1) == written;
  *role = client ? REDEYE_ROLE_CLIENT : REDEYE_ROLE_SERVER;
  return 1;
}

#endif /* REDEYE_INFER_AMQP_H */
