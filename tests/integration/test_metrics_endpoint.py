#!/usr/bin/python3
"""End-to-end: the metrics endpoint's TLS, basic auth, address binding and readiness.

  * web.tls_* + web.basic_auth_*: HTTPS only; /metrics 401 without or with wrong
    credentials, 200 with the right ones; /healthz and /livez need none; plain HTTP to the
    TLS port gets no HTTP answer.
  * --listen 127.0.0.2:PORT binds that address only (127.0.0.1:PORT is refused).
  * a bad config with --stay-up-on-error: /healthz 503 naming the bad key, /livez 200, the
    error in the log; without the flag: exit 2 and one line.

Exit codes: 0 pass, 1 fail, 77 skipped (not root / no BTF).
"""

import argparse
import base64
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import traceback

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


def https_get(port, path, auth=None, host="127.0.0.1"):
    """(status, body) over TLS without certificate verification (self-signed)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
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
        agent.stop()

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
