#!/usr/bin/python3
"""End-to-end: redeye measures a real nginx exactly.

Starts a private nginx on a free 127.0.0.1 port, opens one keep-alive
connection before the agent starts, starts `redeye run`, drives an exact
number of requests with ApacheBench and http.client, then asserts exact
Prometheus values for the nginx series.

Exit codes: 0 pass, 1 fail, 77 skipped (not root / no BTF).
"""

import argparse
import http.client
import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

# Fixed bodies (ASCII, no nginx variables, no quotes).
BODY_OK = "redeye integration: ok"
BODY_MISSING = "redeye integration: this page does not exist"
BODY_ERROR = "redeye integration: deliberate server error"
BODY_USER = "redeye integration: user record"
BODY_PRE = "redeye integration: preexisting connection"
BODY_UPLOAD = "redeye integration: upload accepted"
BLOB_SIZE = 10000
UPLOAD_SIZE = 1500

LOCATIONS = f"""
        location = /ok {{ return 200 "{BODY_OK}"; }}
        location = /missing {{ return 404 "{BODY_MISSING}"; }}
        location = /error {{ return 500 "{BODY_ERROR}"; }}
        location ~ "^/users/[0-9]+$" {{ return 200 "{BODY_USER}"; }}
        location = /preexisting {{ return 200 "{BODY_PRE}"; }}
        location = /upload {{ return 201 "{BODY_UPLOAD}"; }}
        location /static/ {{ }}
"""

PRE_AFTER = 7  # requests on the pre-existing connection after the agent is up

HISTOGRAMS = (
    "http_server_request_duration_seconds",
    "http_server_request_body_size_bytes",
    "http_server_response_body_size_bytes",
)


def blob() -> bytes:
    return bytes((i * 131 + 17) % 251 for i in range(BLOB_SIZE))


def upload_payload() -> bytes:
    line = b"redeye upload payload line 0123456789abcdef\n"
    return (line * (UPLOAD_SIZE // len(line) + 1))[:UPLOAD_SIZE]


def ab(url: str, n: int, c: int = 1, keepalive: bool = True, extra=()) -> dict:
    argv = [h.AB, "-q", "-n", str(n), "-c", str(c), "-s", "20"]
    if keepalive:
        argv.append("-k")
    argv += list(extra) + [url]
    r = h.run_tool(argv, timeout=120)
    out = r.stdout.decode(errors="replace")
    if r.returncode != 0:
        raise h.TestFailure(f"ab failed ({r.returncode}):\n{out}\n{r.stderr.decode(errors='replace')}")
    s = h.ab_summary(out)
    s["output"] = out
    return s


def check_ab(chk: h.Checker, label: str, s: dict, n: int, non2xx: int, keepalive: bool) -> None:
    chk.eq(f"ab {label}: complete requests", n, s["complete"])
    chk.eq(f"ab {label}: failed requests", 0, s["failed"])
    chk.eq(f"ab {label}: non-2xx responses", non2xx, s["non2xx"])
    if keepalive:
        # The first request of each concurrent connection is not counted as
        # keep-alive by ab; at least most of them must have been.
        chk.true(f"ab {label}: keep-alive used", s["keepalive"] >= n // 2,
                 f">= {n // 2}", str(s["keepalive"]))


def pre_request(conn: http.client.HTTPConnection) -> None:
    conn.request("GET", "/preexisting")
    r = conn.getresponse()
    body = r.read()
    if r.status != 200 or body != BODY_PRE.encode():
        raise h.TestFailure(f"/preexisting: got {r.status} {body!r}")
    if r.will_close:
        raise h.TestFailure("/preexisting: nginx wants to close the keep-alive connection")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--redeye", required=True, help="path to the redeye binary")
    ap.add_argument("--settle-timeout", type=float, default=15.0)
    args = ap.parse_args()

    h.require_root_and_btf()
    for tool in (h.NGINX, h.AB):
        if not os.access(tool, os.X_OK):
            print(f"FAIL: {tool} is missing (scripts/install-deps.sh installs it)", file=sys.stderr)
            return 1
    h.install_signal_handlers()

    workdir = tempfile.mkdtemp(prefix="redeye-it-http-")
    os.chmod(workdir, 0o755)
    nginx = h.Nginx(LOCATIONS, files={"static/blob.bin": blob()})
    agent = h.Agent(args.redeye, log_level="info", workdir=workdir)
    pre = None
    chk = h.Checker()
    guard = h.Guard()
    try:
        with guard:
            nginx.start()
            port = nginx.port
            base = f"http://127.0.0.1:{port}"

            # One keep-alive connection, one request, before the agent exists.
            pre = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            pre_request(pre)
            h.log("pre-existing connection: 1 request done before the agent started")

            agent.start(timeout=20)

            payload_path = os.path.join(workdir, "upload.txt")
            with open(payload_path, "wb") as f:
                f.write(upload_payload())

            # ---- drive exact load
            check_ab(chk, "/ok -k", ab(f"{base}/ok", 200, 4, True), 200, 0, True)
            check_ab(chk, "/ok close", ab(f"{base}/ok", 50, 2, False), 50, 0, False)
            check_ab(chk, "/missing", ab(f"{base}/missing", 30, 1, True), 30, 30, True)
            check_ab(chk, "/error", ab(f"{base}/error", 20, 1, False), 20, 20, False)
            check_ab(chk, "/static/blob.bin", ab(f"{base}/static/blob.bin", 10, 1, True), 10, 0, True)
            check_ab(chk, "/users/123", ab(f"{base}/users/123", 15, 1, True), 15, 0, True)
            check_ab(chk, "/users/456", ab(f"{base}/users/456", 15, 1, True), 15, 0, True)
            check_ab(chk, "/upload POST", ab(f"{base}/upload", 12, 1, True,
                                             ["-p", payload_path, "-T", "text/plain"]), 12, 0, True)
            for _ in range(PRE_AFTER):
                pre_request(pre)
            h.log(f"pre-existing connection: {PRE_AFTER} more requests done")
            if not agent.alive():
                raise h.TestFailure(f"agent died during the load; stderr:\n{agent.stderr()}")

            # ---- expected series
            sp = str(port)
            expected = {
                # (method, route, status): (count, request body bytes each, response body bytes each)
                ("GET", "/ok", "200"): (250, 0, len(BODY_OK)),
                ("GET", "/missing", "404"): (30, 0, len(BODY_MISSING)),
                ("GET", "/error", "500"): (20, 0, len(BODY_ERROR)),
                ("GET", "/static/blob.bin", "200"): (10, 0, BLOB_SIZE),
                ("GET", "/users/{id}", "200"): (30, 0, len(BODY_USER)),
                ("POST", "/upload", "201"): (12, UPLOAD_SIZE, len(BODY_UPLOAD)),
                ("GET", "/preexisting", "200"): (PRE_AFTER, 0, len(BODY_PRE)),
            }

            def labels(method, route, status):
                return dict(service_name="nginx", http_request_method=method, http_route=route,
                            http_response_status_code=status, server_port=sp)

            def counts(m):
                return {k: h.one(m, "http_server_request_duration_seconds_count", **labels(*k))
                        for k in expected}

            want_counts = {k: float(v[0]) for k, v in expected.items()}

            # ---- wait for the counts to settle (bounded)
            deadline = time.monotonic() + args.settle_timeout
            metrics = agent.scrape()
            last, stable_since = counts(metrics), time.monotonic()
            while time.monotonic() < deadline:
                if counts(metrics) == want_counts:
                    # Confirm nothing more trickles in.
                    time.sleep(1.0)
                    metrics = agent.scrape()
                    break
                time.sleep(0.5)
                metrics = agent.scrape()
                now = counts(metrics)
                if now != last:
                    last, stable_since = now, time.monotonic()
                elif time.monotonic() - stable_since > 5.0 and any(v is not None for v in now.values()):
                    # Unchanged for 5 s: settled, even if wrong.
                    break
            raw_text = agent.scrape_text()

            # ---- exact per-series checks
            for k, (n, req_each, resp_each) in expected.items():
                method, route, status = k
                lab = labels(*k)
                tag = f"{method} {route} {status}"
                for fam in HISTOGRAMS:
                    cnt = h.one(metrics, fam + "_count", **lab)
                    chk.eq(f"{fam}_count [{tag}]", n, cnt)
                    inf = h.one(metrics, fam + "_bucket", le="+Inf", **lab)
                    chk.eq(f"{fam}_bucket{{le=+Inf}} == _count [{tag}]", cnt, inf)
                    buckets = sorted(
                        ((float(dict(key[1])["le"]), v) for key, v in
                         h.select(metrics, fam + "_bucket", **lab).items()),
                        key=lambda t: t[0])
                    mono = all(buckets[i][1] <= buckets[i + 1][1] for i in range(len(buckets) - 1))
                    chk.true(f"{fam} buckets cumulative [{tag}]", mono and len(buckets) > 1,
                             "monotonic", "" if mono and len(buckets) > 1
                             else str([v for _, v in buckets]))
                chk.eq(f"response_body_size_bytes_sum [{tag}]", n * resp_each,
                       h.one(metrics, "http_server_response_body_size_bytes_sum", **lab))
                chk.eq(f"request_body_size_bytes_sum [{tag}]", n * req_each,
                       h.one(metrics, "http_server_request_body_size_bytes_sum", **lab))
                dsum = h.one(metrics, "http_server_request_duration_seconds_sum", **lab)
                chk.true(f"request_duration_seconds_sum in (0, {n} s) [{tag}]",
                         dsum is not None and 0 < dsum < n * 1.0,
                         f"(0, {n})", h._fmt(dsum))

            # ---- no unexpected nginx series
            want_keys = set()
            for k in expected:
                want_keys |= set(h.select(metrics, "http_server_request_duration_seconds_count",
                                          **labels(*k)))
            # (Only on our port: other nginx instances on the host are not ours.)
            extra = [k for k in h.select(metrics, "http_server_request_duration_seconds_count",
                                         service_name="nginx", server_port=sp)
                     if k not in want_keys]
            chk.true(f"no unexpected nginx series on port {sp}", not extra, "none",
                     "; ".join(f"{h.fmt_key(k)}={metrics[k]:g}" for k in extra))

            # ---- informational: labels beyond the contract's five
            contract = {"service_name", "http_request_method", "http_route",
                        "http_response_status_code", "server_port"}
            seen = set()
            for key in want_keys:
                seen |= {n for n, _ in key[1]}
            if seen - contract:
                h.log("note: HTTP series carry labels beyond the contract: "
                      + ", ".join(sorted(seen - contract)))

            # ---- the agent must not see itself
            # Its own scrapes (by this test, on agent.port) must leave no trace. Other
            # redeye instances on the host (e.g. a developer's agent scraped by
            # someone) are legitimately measured, so they are only reported.
            ap = str(agent.port)
            self_series = [k for k in metrics if k[0].startswith("http_")
                           and dict(k[1]).get("server_port") == ap]
            chk.true(f"no HTTP series for the agent's own port {ap} (its /metrics scrapes)",
                     not self_series, "none", "; ".join(h.fmt_key(k) for k in self_series[:5]))
            others = sorted({h.fmt_key((k[0], frozenset((n, v) for n, v in k[1] if n != "le")))
                             for k in metrics if k[0] == "http_server_request_duration_seconds_count"
                             and (dict(k[1]).get("http_route") == "/metrics"
                                  or dict(k[1]).get("service_name") == "redeye")
                             and k not in self_series})
            for o in others:
                h.log(f"note: another agent/exporter on this host was measured (not ours): {o}")

            # ---- gauges and self-metrics
            active = h.select(metrics, "http_server_active_requests", service_name="nginx",
                              server_port=sp)
            chk.true("http_server_active_requests{service_name=nginx} exists",
                     bool(active), "present", "" if active else "missing")
            chk.true("http_server_active_requests{service_name=nginx} all 0 at the end",
                     all(v == 0 for v in active.values()), "0",
                     "; ".join(f"{h.fmt_key(k)}={v:g}" for k, v in active.items() if v != 0))
            chk.true("redeye_connections_tracked exists",
                     bool(h.select(metrics, "redeye_connections_tracked")), "present",
                     "" if h.select(metrics, "redeye_connections_tracked") else "missing")
            drops = h.select(metrics, "redeye_events_dropped_total")
            chk.true("redeye_events_dropped_total exists", bool(drops), "present",
                     "" if drops else "missing")
            chk.eq("sum(redeye_events_dropped_total)", 0, sum(drops.values()) if drops else None)
            h.check_io_hooks(chk, metrics)

            # ---- clean shutdown
            exit_code = agent.stop(timeout=10)
            chk.eq("agent exit code after SIGTERM", 0, exit_code)
    finally:
        code = h.conclude(chk, guard, [
            h.series_lines("redeye/http series on the last scrape", lambda: raw_text,
                           ("http_server_request_duration_seconds_count",
                            "http_server_active_requests", "redeye_")),
            h.agent_stderr(agent, 6000),
            ("nginx logs (tail)", lambda: nginx.logs()[-3000:]),
        ])
        if pre is not None:
            pre.close()
        agent.stop()
        nginx.stop()
        nginx.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
