#!/usr/bin/python3
"""End-to-end: gRPC with @grpc/grpc-js (npm, installed at test time into
<build>/test-cache/grpc; skipped loudly when the registry cannot be reached), exact counts per
(rpc_method, rpc_response_status_code): grpc-js client -> grpc-js server (sequential and 32
concurrent), grpc-js client -> Go server, Go client -> grpc-js server. The grpc-js server's
ground truth is its own count of the calls it ended. See test_grpc.py (--parts node).

Exit codes: 0 pass, 1 fail, 77 skipped (not root / no BTF / no Go or Debian's grpc packages).
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_grpc  # noqa: E402

if __name__ == "__main__":
    sys.exit(test_grpc.main(default_parts=("node",)))
