#!/usr/bin/python3
"""End-to-end: a process that starts listening after the agent and lives a few milliseconds
is measured from its first request.

Starts the agent, then LISTENERS short-lived HTTP servers one after another (each a new
/usr/bin/python3 process named by OTEL_SERVICE_NAME): each binds a free 127.0.0.1 port,
answers exactly one request the moment it is accepted, and exits. Asserts that every one of
those requests is counted, with the status the server sent.

Exit codes: 0 pass, 1 fail, 77 skipped (not root / no BTF).
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

LISTENERS = 60
SERVICE = "redeye-short-lived"

# One request, one answer, exit. The port goes to stdout once the socket listens.
SERVER = r"""
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
data = b""
while b"\r\n\r\n" not in data:
    chunk = c.recv(4096)
    if not chunk:
        sys.exit(1)
    data += chunk
body = b"short-lived"
c.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
          + body)
c.close()
"""


def one_listener() -> None:
    env = dict(os.environ, OTEL_SERVICE_NAME=SERVICE)
    proc = subprocess.Popen(["/usr/bin/python3", "-c", SERVER], stdout=subprocess.PIPE, env=env)
    try:
        port = int(proc.stdout.readline())
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET /once HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        if not answer.startswith(b"HTTP/1.1 201"):
            raise h.TestFailure(f"listener on {port} answered {answer[:40]!r}")
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def counted(metrics) -> float:
    return h.total(metrics, "http_server_request_duration_seconds_count", service_name=SERVICE,
                   http_response_status_code="201")


def main() -> int:
    args = h.start_test()
    work = tempfile.mkdtemp(prefix="redeye-it-short-")
    agent = h.Agent(args.redeye, workdir=work)
    check = h.Checker()
    guard = h.Guard()
    try:
        with guard:
            agent.start()
            t0 = time.monotonic()
            for _ in range(LISTENERS):
                one_listener()
            h.log(f"{LISTENERS} short-lived listeners in {time.monotonic() - t0:.1f} s")
            deadline = time.monotonic() + 10
            metrics = agent.scrape()
            while counted(metrics) < LISTENERS and time.monotonic() < deadline:
                time.sleep(0.3)
                metrics = agent.scrape()
            check.eq(f"requests counted for {SERVICE} (one per listener)", LISTENERS,
                     counted(metrics))
            drops = h.select(metrics, "redeye_events_dropped_total")
            check.eq("sum(redeye_events_dropped_total)", 0, sum(drops.values()))
    finally:
        code = h.conclude(check, guard, [h.agent_stderr(agent)])
        agent.stop()
        shutil.rmtree(work, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
