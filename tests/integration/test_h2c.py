#!/usr/bin/python3
"""End-to-end: plain HTTP/2 (not gRPC) with prior knowledge (h2c): h2load (nghttp2-client)
multiplexing GET requests (-c 3 -m 10) to nginx `listen ... http2`; the agent's
http_server_request_duration_seconds (nginx) and http_client_request_duration_seconds (h2load)
per (method, status) must equal nginx's access log and h2load's own report. See test_grpc.py
(--parts h2c).

Exit codes: 0 pass, 1 fail, 77 skipped (not root / no BTF / no h2load).
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_grpc  # noqa: E402

if __name__ == "__main__":
    sys.exit(test_grpc.main(default_parts=("h2c",)))
