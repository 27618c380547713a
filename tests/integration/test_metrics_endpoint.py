#!/usr/bin/python3
"""End-to-end: the metrics endpoint's TLS, basic auth, address binding and readiness.

  * web.tls_* + web.basic_auth_*: HTTPS only; /metrics 401 without or with wrong
    credentials, 200 with the right ones; /healthz and /livez need none; plain HTTP to the
    TLS port gets no HTTP answer.
  * --listen 127.0.0.2:PORT binds that address only (127.0.0.1:PORT is refused).
  * a bad config with --stay-up-on-error: /healthz 503 naming the bad key, /livez 200, the
    error in the log; without the flag: exit 2 and one line.
  * 1,000 held connections (HTTPS + basic auth, and plain HTTP): idle, slow-header (a byte a
    second) and, over TLS, idle after the handshake, from 127.0.0.2..11, plus more than the
    per-client cap from 127.0.0.1 itself. While they are held, scrapes from 127.0.0.1 answer
    within 1 s (401 without credentials); the cap closed exactly the oldest surplus idle
    connections of 127.0.0.1, counted as per_client_limit; the header deadline then closes
    every other held one, counted as header_timeout.

Exit codes: 0 pass, 1 fail, 77 skipped (not root / no BTF).
"""

import argparse
import base64
import os
import resource
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


HELD = 1000                      # connections held open at once
PER_CLIENT_CAP = 128             # ConnectionPolicy::max_per_client
OVER_CAP = 40                    # idle connections from 127.0.0.1 beyond that cap
HEADER_TIMEOUT = 10              # ConnectionPolicy::header_timeout, seconds
OTHER_SOURCES = [f"127.0.0.{i}" for i in range(2, 12)]
SCRAPES = 5
SCRAPE_LIMIT = 1.0               # seconds a scrape may take while the connections are held


def insecure_context():
    """A client context that takes the self-signed test certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def https_get(port, path, auth=None, host="127.0.0.1"):
    """(status, body) over TLS without certificate verification (self-signed)."""
    context = insecure_context()
    with socket.create_connection((host, port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            headers = f"GET {path} HTTP/1.1\r\nHost: x\r\n"
            if auth:
                token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
                headers += f"Authorization: Basic {token}\r\n"
            tls.sendall((headers + "\r\n").encode())
            data = b""
            while True:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode("utf-8", "replace")


def plain_answer(port):
    """What a plain-HTTP request to the port gets back (bytes, possibly empty)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            return s.recv(100)
    except OSError:
        return b""


def connect_from(source, port, tls_context=None):
    """A connection to 127.0.0.1:port from the loopback address `source`; with
    `tls_context`, after the TLS handshake."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    if tls_context:
        s = tls_context.wrap_socket(s, server_hostname="localhost")
    return s


def closed_by_peer(s):
    """Whether the agent has closed `s` (EOF or reset), without waiting. Reads what is there
    through a duplicate of the descriptor (TLS: session tickets), which held connections,
    never reading their own, do not miss."""
    raw = socket.socket(fileno=os.dup(s.fileno()))
    try:
        for _ in range(16):
            if raw.recv(65536, socket.MSG_DONTWAIT) == b"":
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        raw.close()
    return False


class Held:
    """HELD connections held open against the endpoint: OVER_CAP + PER_CLIENT_CAP idle ones
    from 127.0.0.1 (opened last), the rest spread over OTHER_SOURCES (under the cap each),
    a third idle, a third sending a request head a byte a second (never ending it), and over
    TLS a third idle after the handshake (plain: idle too)."""

    def __init__(self, port, tls):
        self.local, self.others, self.slow = [], [], []
        self._stop = threading.Event()
        context = insecure_context() if tls else None
        t0 = time.monotonic()
        for i in range(HELD - PER_CLIENT_CAP - OVER_CAP):
            source, kind = OTHER_SOURCES[i % len(OTHER_SOURCES)], i % 3
            s = connect_from(source, port, context if kind else None)
            (self.slow if kind == 2 else self.others).append(s)
        for _ in range(PER_CLIENT_CAP + OVER_CAP):
            self.local.append(connect_from("127.0.0.1", port))
        self.open_seconds = time.monotonic() - t0
        self._trickler = threading.Thread(target=self._trickle, daemon=True)
        self._trickler.start()

    def _trickle(self):
        head = b"GET /metrics HTTP/1.1\r\nX-Slow: " + b"a" * 100
        for step in range(3 * HEADER_TIMEOUT):  # bounded: the deadline ends them far sooner
            if self._stop.wait(1.0) or not self.slow:
                return
            for s in list(self.slow):
                try:
                    s.send(head[step % len(head):][:1])
                except OSError:
                    self.slow.remove(s)

    def everyone(self):
        return self.local + self.others + self.slow

    def close(self):
        self._stop.set()
        self._trickler.join(5)
        for s in self.everyone():
            s.close()


def timed(fetch):
    """(status, body, seconds) of one request."""
    t0 = time.monotonic()
    status, body = fetch()
    return status, body, time.monotonic() - t0


def hold_and_scrape(check, agent, tls, what):
    """Holds HELD connections and checks the scrapes, the evictions and the deadline; returns
    the metrics of a scrape after the deadline."""
    port = agent.port
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < HELD + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, HELD + 1000), hard))
    if tls:
        def fetch(auth=("prom", "s3cret")):
            return https_get(port, "/metrics", auth)
    else:
        def fetch(auth=None):
            status, body = h.http_get(f"http://127.0.0.1:{port}/metrics", timeout=5)
            return status, body.decode("utf-8", "replace")
    held = Held(port, tls)
    try:
        h.log(f"{what}: {HELD} connections opened in {held.open_seconds:.2f}s")
        if held.open_seconds > HEADER_TIMEOUT / 2:
            raise h.TestFailure(f"opening {HELD} connections took {held.open_seconds:.1f}s: "
                                "the header deadline would end them before the scrapes")
        h.wait_until(lambda: sum(map(closed_by_peer, held.local)) >= OVER_CAP, 5,
                     interval=0.05, what="the per-client cap to close the surplus")
        seconds = []
        for _ in range(SCRAPES):
            status, body, took = timed(fetch)
            check.eq(f"{what}: scrape with {HELD} connections held", 200, status)
            seconds.append(took)
        slowest = max(seconds)
        yes(check, f"{what}: slowest of {SCRAPES} scrapes under {SCRAPE_LIMIT}s",
            slowest < SCRAPE_LIMIT, f"< {SCRAPE_LIMIT}", f"{slowest:.3f}s")
        h.log(f"{what}: scrape seconds " + " ".join(f"{t:.3f}" for t in seconds)
              + f"; agent RSS {h.proc_rss_kib(agent.pid) // 1024} MiB")
        if tls:
            status, _, took = timed(lambda: fetch(None))
            check.eq(f"{what}: scrape without credentials while held", 401, status)
            yes(check, f"{what}: ... answered under {SCRAPE_LIMIT}s", took < SCRAPE_LIMIT,
                f"< {SCRAPE_LIMIT}", f"{took:.3f}s")
        metrics = h.parse_prometheus(body)
        closed = "redeye_metrics_endpoint_connections_closed_total"
        # The surplus, and one more for the first scrape, which found 127.0.0.1 at its cap.
        check.eq(f"{what}: per_client_limit closes", OVER_CAP + 1,
                 h.one(metrics, closed, reason="per_client_limit"))
        gone = [i for i, s in enumerate(held.local) if closed_by_peer(s)]
        yes(check, f"{what}: the 127.0.0.1 connections closed are its oldest",
            gone == list(range(OVER_CAP + 1)), f"#0..#{OVER_CAP}", f"{len(gone)}: {gone[:50]}")
        check.eq(f"{what}: connections open during the last scrape", HELD - OVER_CAP,
                 h.one(metrics, "redeye_metrics_endpoint_connections"))
        check.eq(f"{what}: total_limit closes", 0, h.one(metrics, closed, reason="total_limit"))

        h.wait_until(lambda: all(map(closed_by_peer, held.everyone())), HEADER_TIMEOUT + 5,
                     interval=0.5, what="the header deadline to close the held connections")
        metrics = h.parse_prometheus(fetch()[1])
        check.eq(f"{what}: header_timeout closes", HELD - OVER_CAP - 1,
                 h.one(metrics, closed, reason="header_timeout"))
        check.eq(f"{what}: connections open after the deadline", 1,
                 h.one(metrics, "redeye_metrics_endpoint_connections"))
        return metrics
    finally:
        held.close()


def yes(check, what, ok, expected, observed):
    """A yes/no row that shows `observed` only when the check fails."""
    return check.true(what, ok, expected, "" if ok else observed)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--redeye", required=True)
    args = ap.parse_args()
    h.require_root_and_btf()
    if not shutil.which("openssl"):
        raise SystemExit("FAIL: openssl is needed to make a test certificate")
    work = tempfile.mkdtemp(prefix="redeye-endpoint-")
    check = h.Checker()
    agents = []
    try:
        cert, key, pw = (os.path.join(work, n) for n in ("cert.pem", "key.pem", "password"))
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cert, "-days", "2", "-subj", "/CN=localhost"],
                       check=True, capture_output=True)
        with open(pw, "w") as f:
            f.write("s3cret\n")
        config = os.path.join(work, "tls.yaml")
        with open(config, "w") as f:
            f.write(f"web:\n  tls_cert_file: {cert}\n  tls_key_file: {key}\n"
                    f"  basic_auth_username: prom\n  basic_auth_password_file: {pw}\n")

        agent = h.Agent(args.redeye, ["--config", config], workdir=work)
        agents.append(agent)
        # harness.Agent waits for plain HTTP; this one speaks TLS only.
        agent.proc = h.spawn(agent.argv(), agent.stdout_path, agent.stderr_path)
        h.wait_until(lambda: h.port_open("127.0.0.1", agent.port), 20, what="TLS endpoint")
        h.wait_until(lambda: https_get(agent.port, "/healthz")[0] == 200, 20, what="ready")
        check.eq("https /metrics without credentials", 401, https_get(agent.port, "/metrics")[0])
        check.eq("https /metrics wrong password", 401,
                 https_get(agent.port, "/metrics", ("prom", "nope"))[0])
        status, body = https_get(agent.port, "/metrics", ("prom", "s3cret"))
        check.eq("https /metrics right credentials", 200, status)
        yes(check, "metrics body has redeye self-metrics", "redeye_events_received_total" in body,
                   "present", "absent")
        check.eq("https /healthz needs no credentials", 200, https_get(agent.port, "/healthz")[0])
        check.eq("https /livez", 200, https_get(agent.port, "/livez")[0])
        answer = plain_answer(agent.port)
        yes(check, "plain HTTP to the TLS port gets no HTTP answer",
                   not answer.startswith(b"HTTP/"), "no HTTP", repr(answer[:20]))
        metrics = hold_and_scrape(check, agent, True, "https")
        check.eq("https: tls_handshake_failed closes (the plain request)", 1,
                 h.one(metrics, "redeye_metrics_endpoint_connections_closed_total",
                       reason="tls_handshake_failed"))
        agent.stop()

        plain = h.Agent(args.redeye, [], workdir=work)
        agents.append(plain)
        plain.start()
        hold_and_scrape(check, plain, False, "http")
        plain.stop()

        port = h.free_port()
        bound = h.Agent(args.redeye, ["--listen", f"127.0.0.2:{port}"], workdir=work, port=port)
        agents.append(bound)
        bound.proc = h.spawn([args.redeye, "run", "--listen", f"127.0.0.2:{port}"],
                             bound.stdout_path, bound.stderr_path)
        h.wait_until(lambda: h.port_open("127.0.0.2", port), 20, what="127.0.0.2 endpoint")
        check.eq("bound address answers", 200, h.http_get(f"http://127.0.0.2:{port}/livez")[0])
        yes(check, "other loopback address refused", not h.port_open("127.0.0.1", port),
                   "refused", "accepted")
        bound.stop()

        bad = os.path.join(work, "bad.yaml")
        with open(bad, "w") as f:
            f.write("services:\n  - name: shop-api\n    match: {prot: 8080}\n")
        exiting = subprocess.run([args.redeye, "run", "--config", bad, "--listen",
                                  f"127.0.0.1:{h.free_port()}"], capture_output=True, text=True,
                                 timeout=20)
        check.eq("bad config without --stay-up-on-error: exit code", 2, exiting.returncode)
        check.eq("bad config: stderr lines", 1, len(exiting.stderr.strip().splitlines()))
        yes(check, "bad config: names the key path", "services[0].match.prot" in exiting.stderr,
                   "services[0].match.prot", exiting.stderr.strip())

        staying = h.Agent(args.redeye, ["--config", bad, "--stay-up-on-error"], workdir=work)
        agents.append(staying)
        staying.proc = h.spawn(staying.argv(), staying.stdout_path, staying.stderr_path)
        h.wait_until(lambda: h.port_open("127.0.0.1", staying.port), 20, what="endpoint")
        status, body = h.http_get(f"http://127.0.0.1:{staying.port}/healthz")
        check.eq("stay-up: /healthz", 503, status)
        yes(check, "stay-up: /healthz names the key", b"services[0].match.prot" in body,
                   "services[0].match.prot", body.decode(errors="replace").strip())
        check.eq("stay-up: /livez", 200, h.http_get(f"http://127.0.0.1:{staying.port}/livez")[0])
        yes(check, "stay-up: still running", staying.alive(), "running", "exited")
        yes(check, "stay-up: error in the log", "services[0].match.prot" in staying.stderr(),
                   "logged", staying.stderr()[-300:])

        check.report()
        if check.failures:
            return 1
        print(f"{len(check.rows)} passed, 0 failed")
        return 0
    except h.TestFailure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        check.report()
        return 1
    except Exception:
        traceback.print_exc()
        check.report()
        return 1
    finally:
        for agent in agents:
            agent.cleanup()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
