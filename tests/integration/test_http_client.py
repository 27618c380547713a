#!/usr/bin/python3
"""End-to-end: an HTTP call between two local processes is counted on both sides.

A config names `curl` "shop-client" and the nginx it calls "mes-api". Each curl run is a new,
short-lived process: it must be measured from its first request (the kernel follows new
programs until discovery has named them). Every call must show once as
http_client_request_duration_seconds for shop-client (server_address, server_port of nginx)
and once as http_server_request_duration_seconds for mes-api, with equal body sizes.

Exit codes: 0 pass, 1 fail, 77 skipped (not root / no BTF).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

CALLS = 15
BODY = "redeye client test body"
HALF_CLOSE_CALLS = 4

# A client that half-closes: it sends its request, shuts down its sending side
# (shutdown(SHUT_WR)) and only then reads the reply, to the end. The connection must stay one
# conversation across the shutdown, so each call counts once on each side.
HALF_CLOSE_CLIENT = r"""
import socket, sys
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"GET /api HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
s.shutdown(socket.SHUT_WR)
reply = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    reply += chunk
s.close()
sys.stdout.write(reply.split(b"\r\n\r\n", 1)[1].decode())
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--redeye", required=True)
    args = ap.parse_args()
    h.require_root_and_btf()
    curl = shutil.which("curl")
    if not curl:
        raise SystemExit("FAIL: curl is needed (scripts/install-deps.sh installs it)")
    work = tempfile.mkdtemp(prefix="redeye-client-")
    nginx = h.Nginx(f'location = /api {{ return 200 "{BODY}"; }}')
    agent = None
    check = h.Checker()
    guard = h.Guard()
    try:
        with guard:
            nginx.start()
            config = os.path.join(work, "redeye.yaml")
            with open(config, "w") as f:
                f.write(f"services:\n"
                        f"  - name: shop-client\n    match: {{exe: '*/curl'}}\n"
                        f"  - name: half-close-client\n    match: {{cmdline: 'half_close_client'}}\n"
                        f"  - name: mes-api\n    match: {{port: {nginx.port}}}\n")
            agent = h.Agent(args.redeye, ["--config", config], workdir=work).start()
            for _ in range(CALLS):
                out = subprocess.run([curl, "-s", "--noproxy", "*", f"http://127.0.0.1:{nginx.port}/api"],
                                     capture_output=True, text=True, timeout=10)
                check.eq("curl output", BODY, out.stdout)
            script = os.path.join(work, "half_close_client.py")
            with open(script, "w") as f:
                f.write(HALF_CLOSE_CLIENT)
            for _ in range(HALF_CLOSE_CALLS):
                out = subprocess.run(["/usr/bin/python3", script, str(nginx.port)],
                                     capture_output=True, text=True, timeout=10)
                check.eq("half-closing client output", BODY, out.stdout)
            client_key = dict(service_name="shop-client", server_address="127.0.0.1",
                              server_port=str(nginx.port), http_request_method="GET",
                              http_response_status_code="200")
            server_key = dict(service_name="mes-api", http_route="/api", http_request_method="GET",
                              http_response_status_code="200")

            half_key = dict(client_key, service_name="half-close-client")

            def settled() -> bool:
                m = agent.scrape()
                return (h.total(m, "http_client_request_duration_seconds_count", **client_key) >= CALLS
                        and h.total(m, "http_client_request_duration_seconds_count", **half_key)
                        >= HALF_CLOSE_CALLS
                        and h.total(m, "http_server_request_duration_seconds_count", **server_key)
                        >= CALLS + HALF_CLOSE_CALLS)
            try:
                h.wait_until(settled, 10, interval=0.5, what="both sides counted")
            except h.TestFailure:
                pass  # the checks below say what is missing
            m = agent.scrape()
            check.eq("client calls (shop-client -> 127.0.0.1:nginx)", CALLS,
                     h.total(m, "http_client_request_duration_seconds_count", **client_key))
            check.eq("half-closing client calls (request, shutdown(SHUT_WR), reply)", HALF_CLOSE_CALLS,
                     h.total(m, "http_client_request_duration_seconds_count", **half_key))
            check.eq("half-closing client response body bytes", HALF_CLOSE_CALLS * len(BODY),
                     h.total(m, "http_client_response_body_size_bytes_sum", **half_key))
            check.eq("server requests (mes-api /api), curl + half-closing client",
                     CALLS + HALF_CLOSE_CALLS,
                     h.total(m, "http_server_request_duration_seconds_count", **server_key))
            check.eq("client response body bytes", CALLS * len(BODY),
                     h.total(m, "http_client_response_body_size_bytes_sum", **client_key))
            check.eq("server response body bytes", (CALLS + HALF_CLOSE_CALLS) * len(BODY),
                     h.total(m, "http_server_response_body_size_bytes_sum", **server_key))
            check.eq("no client series for nginx", 0,
                     len(h.select(m, "http_client_request_duration_seconds_count", service_name="mes-api")))
            check.eq("no server series for curl", 0,
                     len(h.select(m, "http_server_request_duration_seconds_count",
                                  service_name="shop-client")))
            h.check_io_hooks(check, m)
    finally:
        code = h.conclude(check, guard, [h.agent_stderr(agent, 3000)])
        if agent:
            agent.cleanup()
        nginx.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
