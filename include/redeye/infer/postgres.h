/* PostgreSQL wire protocol inference. Implemented by the PostgreSQL protocol folder's owner;
 * until then it recognises nothing. */
#ifndef REDEYE_INFER_POSTGRES_H
#define REDEYE_INFER_POSTGRES_H

#include "redeye/infer/common.h"

static inline int redeye_infer_postgres(const unsigned char* p, unsigned int len, int direction,
                                        int* role) {
  (void)p;
  (void)len;
  (void)direction;
  (void)role;
  return 0;
}

#endif /* REDEYE_INFER_POSTGRES_H */
