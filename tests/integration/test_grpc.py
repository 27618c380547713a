#!/usr/bin/python3
"""End-to-end: gRPC (HTTP/2, plaintext) measured exactly, from the client and from the server.

A Go gRPC server (tests/integration/grpc/server, Debian's grpc-go; ground truth: its
go-grpc-prometheus interceptor, grpc_server_handled_total, on a separate HTTP port) and a Go
client (tests/integration/grpc/client, one channel = one TCP connection, no metrics code, prints
its own counts as JSON) on 127.0.0.1, built offline with Debian's Go in GOPATH mode and cached
under <build>/test-cache/grpc. The agent names the server "grpc-shop" and each client run its
own service. Scenarios, each checked per (rpc_method, rpc_response_status_code) on both sides:

  [seq]       a fresh channel, calls one after the other, no deadlines on the wire:
              Health/Check OK and NOT_FOUND, Echo (16 B and 20000 B: DATA over 16 KiB frames),
              Fail -> INTERNAL, Slow -> DEADLINE_EXCEEDED (answered by the server in trailers),
              Hang -> CANCELLED (the client cancels: RST_STREAM CANCEL), Stream (server
              streaming, counted once per call), Health/Watch -> CANCELLED (streaming, cancelled
              after the first message); durations of Slow and Hang from _sum/_count;
  [conc]      a fresh channel, 32 calls in flight at once, every call with a deadline
              (grpc-timeout on the wire);
  [deadline]  Hang with a 200 ms client deadline: the client reports DEADLINE_EXCEEDED, the
              wire holds a client RST_STREAM and/or server trailers (a race by nature), so the
              client side is checked as a total and the server side against the server's own
              statuses as a total (each status is logged);
  [late]      channels opened before the agent: K calls, the agent starts, N more calls; every
              one of the N is counted on both sides (the method and status may be "_OTHER"
              until the HPACK tables resolve: then the totals are exact, fully resolved series
              never exceed the client's counts, and redeye_http2_unresolved_total grew); once
              without deadlines (the method can never resolve: every request header is an
              indexed reference) and once with deadlines spread over 5..10 s (new grpc-timeout
              literals churn the client's table, so grpc-go sends :path as a literal again
              about 60 calls in: all but LATE_DL_CHURN of the N calls must have their method).
              A fixed deadline would not do: its grpc-timeout values repeat (measured) and the
              table never churns.

Every expected count is the client's own and must equal the server's grpc_server_handled_total;
the agent's counts must equal them. A failing check names the scenario, side, method and status.
At the end: no http2 parse errors, no HTTP/2 bytes the kernel could not copy, no framing lost.

This file is also the module of two more ctest tests: test_grpc_node.py (--parts node: the same
calls with @grpc/grpc-js against itself and against Go) and test_h2c.py (--parts h2c: h2load
against nginx `listen ... http2`, checked against nginx's access log). `--parts go,node,h2c`
runs all three in one agent.

Exit codes: 0 pass, 1 fail, 77 skipped (not root / no BTF / no Go or Debian's grpc packages).
"""

import os
import re
import shutil
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "grpc"))
import harness as h  # noqa: E402
import testbed as tb  # noqa: E402

SERVER_SVC = "grpc-shop"
NAMESPACE = "redeye-test"
SERVER_FAMILY = "rpc_server_call_duration_seconds"
CLIENT_FAMILY = "rpc_client_call_duration_seconds"
OTHER = "_OTHER"

# kind -> (rpc_method, status) as the client names them (see grpc/client/main.go).
KINDS = {
    "check-ok": ("grpc.health.v1.Health/Check", "OK"),
    "check-notfound": ("grpc.health.v1.Health/Check", "NOT_FOUND"),
    "echo": ("redeye.test.Test/Echo", "OK"),
    "fail": ("redeye.test.Test/Fail", "INTERNAL"),
    "slow-deadline": ("redeye.test.Test/Slow", "DEADLINE_EXCEEDED"),
    "hang-cancel": ("redeye.test.Test/Hang", "CANCELLED"),
    "hang-deadline": ("redeye.test.Test/Hang", "DEADLINE_EXCEEDED"),
    "stream": ("redeye.test.Test/Stream", "OK"),
    "watch": ("grpc.health.v1.Health/Watch", "CANCELLED"),
}

SEQ_PLAN = ("check-ok=20,check-notfound=7,echo=10,echo:20000=3,fail=5,slow-deadline=3,"
            "hang-cancel=4,stream:5=6,watch=3")
CONC_PLAN = "check-ok=192,check-notfound=64,fail=32,echo:100=96,stream:3=32"
CONCURRENCY = 32
DEADLINE_PLAN = "hang-deadline=5"
LATE_BEFORE = "check-ok=10,fail=2,stream:2=1"
LATE_AFTER = "check-ok=15,check-notfound=4,fail=3,stream:2=2"
LATE_DL_AFTER = "check-ok=200,check-notfound=5,fail=3"
# With deadlines spread over 5..10 s every grpc-timeout value is new, so the client's HPACK
# table churns: grpc-go re-sends the whole request block, :path as a literal, at about request
# 73 of the channel (measured: strace of this client, requests 73/74, then every ~74), i.e.
# about 60 calls after LATE_BEFORE. Every call after that references entries inserted after
# the agent started: at least LATE_DL_AFTER's calls - LATE_DL_CHURN must have their method.
LATE_DL_CHURN = 100

# Scenario -> (tag on the client's command line, service the agent names it).
CLIENTS = {
    "seq": "grpc-client-seq",
    "conc": "grpc-client-conc",
    "deadline": "grpc-client-deadline",
    "late": "grpc-client-late",
    "late-dl": "grpc-client-late-dl",
    # @grpc/grpc-js (npm), when the registry is reachable
    "node-seq": "grpc-node-client-seq",
    "node-conc": "grpc-node-client-conc",
    "node-to-go": "grpc-node-client-to-go",
    "go-to-node": "grpc-client-to-node",
}
NODE_SERVER_SVC = "grpc-node-shop"
H2C_SERVER_SVC = "h2c-nginx"
H2C_CLIENT_SVC = "h2load-client"
H2C_OK, H2C_MISSING = 300, 40  # h2load requests for 200 and for 404


def plan_counts(plan: str) -> tb.Counts:
    out: tb.Counts = {}
    for item in plan.split(","):
        kind, n = item.split("=")
        key = KINDS[kind.split(":")[0]]
        out[key] = out.get(key, 0) + int(n)
    return out


def config_yaml(h2c_port: int) -> str:
    rules = [f"  - name: {SERVER_SVC}\n    namespace: {NAMESPACE}\n"
             f"    match: {{cmdline: 'redeye-grpc-server'}}\n",
             f"  - name: {NODE_SERVER_SVC}\n    namespace: {NAMESPACE}\n"
             f"    match: {{cmdline: 'grpc/node/server\\.js'}}\n"]
    rules.append(f"  - name: {H2C_SERVER_SVC}\n    namespace: {NAMESPACE}\n"
                 f"    match: {{port: {h2c_port}}}\n")
    rules.append(f"  - name: {H2C_CLIENT_SVC}\n    namespace: {NAMESPACE}\n"
                 f"    match: {{exe: '*/h2load'}}\n")
    for tag, svc in CLIENTS.items():
        rules.append(f"  - name: {svc}\n    namespace: {NAMESPACE}\n"
                     f"    match: {{cmdline: '(redeye-grpc-client|grpc/node/client\\.js) .*"
                     f"--tag={tag}( |$)'}}\n")
    return "discovery:\n  use_interval: 1s\nservices:\n" + "".join(rules)


# --------------------------------------------------------------------------
# reading the agent


def rpc_series(metrics: h.Metrics, family: str, service: str, suffix: str = "_count"
               ) -> Dict[Tuple[str, str], float]:
    """{(rpc_method, rpc_response_status_code): value} of one service's gRPC series."""
    out: Dict[Tuple[str, str], float] = {}
    for key, v in h.select(metrics, family + suffix, service_name=service).items():
        lab = h.label_dict(key)
        if lab.get("rpc_system_name", "grpc") != "grpc":
            continue
        k = (lab.get("rpc_method", "(none)"), lab.get("rpc_response_status_code", "(none)"))
        out[k] = out.get(k, 0.0) + v
    return out


def sub(after: Dict, before: Dict) -> Dict:
    keys = set(after) | set(before)
    out = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in keys}
    return {k: v for k, v in out.items() if v}


def labels_of(metrics: h.Metrics, family: str, service: str) -> List[Dict[str, str]]:
    return [h.label_dict(k) for k in h.select(metrics, family + "_count", service_name=service)]


def wait_for_service(agent: h.Agent, name: str, timeout: float = 20.0) -> None:
    def known() -> bool:
        v = h.one(agent.scrape(), "service_process_count", service_name=name)
        return v is not None and v >= 1
    h.wait_until(known, timeout, interval=0.2, what=f"the agent to follow service {name}")


def fmt_counts(c: Dict) -> str:
    return ", ".join(f"{m} {s}={int(v)}" for (m, s), v in sorted(c.items())) or "(none)"


class Sides:
    """The agent's per-(method, status) counts for one client service (client side) and the
    server (server side, as a delta from a snapshot), plus the server's ground truth."""

    def __init__(self, agent: h.Agent, server, client_svc: str,
                 server_svc: str = SERVER_SVC) -> None:
        self.agent, self.server, self.client_svc = agent, server, client_svc
        self.server_svc = server_svc

    def snapshot(self) -> dict:
        m = self.agent.scrape()
        return {"metrics": m, "truth": self.server.handled(),
                "server": rpc_series(m, SERVER_FAMILY, self.server_svc),
                "server_sum": rpc_series(m, SERVER_FAMILY, self.server_svc, "_sum"),
                "client": rpc_series(m, CLIENT_FAMILY, self.client_svc),
                "client_sum": rpc_series(m, CLIENT_FAMILY, self.client_svc, "_sum")}

    def delta(self, before: dict, after: dict) -> dict:
        return {k: sub(after[k], before[k]) if k != "truth" else tb.diff(after[k], before[k])
                for k in ("truth", "server", "server_sum", "client", "client_sum")}

    def settle(self, before: dict, client_total: int, server_total: int, timeout: float) -> dict:
        """Polls (bounded) until the agent's totals reach the expected ones; the last view."""
        deadline = time.monotonic() + timeout
        while True:
            after = self.snapshot()
            d = self.delta(before, after)
            d["metrics"] = after["metrics"]
            if (sum(d["client"].values()) >= client_total
                    and sum(d["server"].values()) >= server_total) \
                    or time.monotonic() >= deadline:
                return d
            time.sleep(0.25)


# --------------------------------------------------------------------------
# checks


def check_exact(chk: h.Checker, label: str, side: str, family: str, want: tb.Counts,
                got: Dict[Tuple[str, str], float]) -> None:
    """One check per (method, status) in either set: the agent must have exactly `want`."""
    for key in sorted(set(want) | set(got)):
        m, s = key
        chk.eq(f"[{label}] {side} {family}_count{{rpc_method=\"{m}\","
               f"rpc_response_status_code=\"{s}\"}}", want.get(key, 0), got.get(key, 0.0))


def check_client_vs_truth(chk: h.Checker, label: str, client: tb.Counts, truth: tb.Counts,
                          plan: tb.Counts, msg: dict, racy_methods=()) -> None:
    chk.true(f"[{label}] the client's calls all got their expected status",
             not (msg.get("unexpected") or []), "none unexpected",
             "; ".join(msg.get("unexpected") or []))
    chk.eq(f"[{label}] the client's calls == its plan", fmt_counts(plan), fmt_counts(client))
    for key in sorted(set(client) | set(truth)):
        if key[0] in racy_methods:
            continue
        chk.eq(f"[{label}] server's grpc_server_handled_total{{{key[0]} {key[1]}}} == client's count",
               client.get(key, 0), truth.get(key, 0))
    for method in racy_methods:
        chk.eq(f"[{label}] server's grpc_server_handled_total{{{method}}} (all statuses) == "
               f"client's calls", sum(v for k, v in client.items() if k[0] == method),
               sum(v for k, v in truth.items() if k[0] == method))


def check_labels(chk: h.Checker, label: str, metrics: h.Metrics, client_svc: str,
                 port: int, server_svc: str = SERVER_SVC) -> None:
    srv = labels_of(metrics, SERVER_FAMILY, server_svc)
    cli = labels_of(metrics, CLIENT_FAMILY, client_svc)
    bad = []
    for lab in srv:
        if lab.get("server_port") != str(port) or lab.get("rpc_system_name") != "grpc" \
                or lab.get("service_namespace") != NAMESPACE:
            bad.append("server " + repr(lab))
    for lab in cli:
        if lab.get("server_port") != str(port) or lab.get("server_address") != "127.0.0.1" \
                or lab.get("rpc_system_name") != "grpc" or lab.get("service_namespace") != NAMESPACE:
            bad.append("client " + repr(lab))
    chk.true(f"[{label}] labels: rpc_system_name=grpc, service_namespace, server_port={port}, "
             "client server_address=127.0.0.1", bool(srv) and bool(cli) and not bad,
             "series present, labels right",
             ("no server series; " if not srv else "") + ("no client series; " if not cli else "")
             + "; ".join(bad[:3]))


def classified_http2(metrics: h.Metrics) -> float:
    return h.total(metrics, "redeye_connections_classified_total", protocol="http2")


def unresolved(metrics: h.Metrics) -> Dict[str, float]:
    out: Dict[str, float] = {}
    for key, v in h.select(metrics, "redeye_http2_unresolved_total").items():
        what = h.label_dict(key).get("what", "?")
        out[what] = out.get(what, 0.0) + v
    return out


# --------------------------------------------------------------------------
# scenarios


def run_fresh(chk: h.Checker, agent: h.Agent, server, make_client, label: str, plan: str,
              settle: float, concurrency: int = 1, timeout: str = "", racy_methods=(),
              server_svc: str = SERVER_SVC) -> dict:
    """A client process named CLIENTS[label] opens a channel to `server` once the agent
    follows it, makes `plan`'s calls; both sides are checked per (method, status)."""
    svc = CLIENTS[label]
    sides = Sides(agent, server, svc, server_svc)
    client = make_client(server.addr, plan, tag=label, concurrency=concurrency,
                         timeout=timeout, wait_go=True)
    try:
        client.expect("started", timeout=20)
        wait_for_service(agent, svc)
        before = sides.snapshot()
        client.send("go")
        msg = client.expect("phase", timeout=120)
    finally:
        client.finish()  # closes the channel: every stream is over
    counts = tb.phase_counts(msg)
    h.log(f"[{label}] client: {msg.get('total')} calls in {msg.get('seconds', 0):.2f}s: "
          f"{fmt_counts(counts)}")
    want = plan_counts(plan)
    truth_total = sum(counts.values())
    d = sides.settle(before, sum(counts.values()), truth_total, settle)
    check_client_vs_truth(chk, label, counts, d["truth"], want, msg, racy_methods)
    h.log(f"[{label}] redeye client side: {fmt_counts(d['client'])}")
    h.log(f"[{label}] redeye server side: {fmt_counts(d['server'])}")
    exact_client = {k: v for k, v in counts.items() if k[0] not in racy_methods}
    exact_truth = {k: v for k, v in d["truth"].items() if k[0] not in racy_methods}
    check_exact(chk, label, f"client {svc}", CLIENT_FAMILY, exact_client,
                {k: v for k, v in d["client"].items() if k[0] not in racy_methods})
    check_exact(chk, label, f"server {server_svc}", SERVER_FAMILY, exact_truth,
                {k: v for k, v in d["server"].items() if k[0] not in racy_methods})
    for method in racy_methods:
        for side, got, ref in (("client", d["client"], counts), ("server", d["server"], d["truth"])):
            mine = {k[1]: v for k, v in got.items() if k[0] == method}
            h.log(f"[{label}] {side} {method} statuses: redeye {mine}, reference "
                  f"{ {k[1]: v for k, v in ref.items() if k[0] == method} }")
            chk.eq(f"[{label}] {side} {method}: calls counted, all statuses "
                   f"(DEADLINE_EXCEEDED/CANCELLED race on the wire)",
                   sum(v for k, v in ref.items() if k[0] == method), sum(mine.values()))
            chk.true(f"[{label}] {side} {method}: statuses are DEADLINE_EXCEEDED or CANCELLED",
                     set(mine) <= {"DEADLINE_EXCEEDED", "CANCELLED"},
                     "DEADLINE_EXCEEDED, CANCELLED", ", ".join(sorted(mine)))
    check_labels(chk, label, d["metrics"], svc, server.port, server_svc)
    return d


def check_durations(chk: h.Checker, label: str, d: dict) -> None:
    """Slow answers DEADLINE_EXCEEDED ~300 ms after the call starts, Hang is cancelled after
    150 ms: the mean duration must be near that on both sides."""
    for method, status, lo, hi in (("redeye.test.Test/Slow", "DEADLINE_EXCEEDED", 0.25, 0.45),
                                   ("redeye.test.Test/Hang", "CANCELLED", 0.12, 0.35)):
        for side, counts, sums in (("client", d["client"], d["client_sum"]),
                                   ("server", d["server"], d["server_sum"])):
            n = counts.get((method, status), 0)
            mean = sums.get((method, status), 0.0) / n if n else None
            chk.true(f"[{label}] {side} mean duration of {method} {status} in [{lo}, {hi}] s",
                     mean is not None and lo <= mean <= hi, f"{lo}..{hi}",
                     "(no calls)" if mean is None else f"{mean:.3f}")


def start_late(bins: Dict[str, str], server: tb.GoServer, work: str, label: str, after: str,
               timeout: str = "", jitter: str = "") -> Tuple[tb.GoClient, tb.Counts]:
    """A channel opened before the agent, with LATE_BEFORE made on it."""
    c = tb.GoClient(bins["client"], server.addr, LATE_BEFORE, work, tag=label, then=after,
                    timeout=timeout, jitter=jitter, wait_go=False)
    c.expect("connected", timeout=20)
    msg = c.expect("phase", timeout=60)
    counts = tb.phase_counts(msg)
    if msg.get("unexpected"):
        raise h.TestFailure(f"[{label}] calls before the agent: {msg['unexpected']}")
    h.log(f"[{label}] before the agent: {fmt_counts(counts)}")
    return c, counts


def run_late(chk: h.Checker, agent: h.Agent, server: tb.GoServer, client: tb.GoClient,
             label: str, plan: str, settle: float, min_resolved: int = 0) -> None:
    svc = CLIENTS[label]
    sides = Sides(agent, server, svc)
    wait_for_service(agent, svc)
    before = sides.snapshot()
    unresolved_before = unresolved(before["metrics"])
    client.send("go")
    msg = client.expect("phase", timeout=120)
    counts = tb.phase_counts(msg)
    n = sum(counts.values())
    h.log(f"[{label}] after the agent started: {fmt_counts(counts)}")
    d = sides.settle(before, n, n, settle)
    check_client_vs_truth(chk, label, counts, d["truth"], plan_counts(plan), msg)
    h.log(f"[{label}] redeye client side: {fmt_counts(d['client'])}")
    h.log(f"[{label}] redeye server side: {fmt_counts(d['server'])}")
    other_calls = 0
    for side, got, ref in (("client " + svc, d["client"], counts),
                           ("server " + SERVER_SVC, d["server"], d["truth"])):
        family = CLIENT_FAMILY if side.startswith("client") else SERVER_FAMILY
        chk.eq(f"[{label}] {side} sum({family}_count) over every method and status "
               f"(calls made after the agent started)", sum(ref.values()), sum(got.values()))
        resolved = {k: v for k, v in got.items() if OTHER not in k}
        for key, v in sorted(resolved.items()):
            chk.true(f"[{label}] {side} {family}_count{{rpc_method=\"{key[0]}\","
                     f"rpc_response_status_code=\"{key[1]}\"}} <= the calls made",
                     v <= ref.get(key, 0), f"<= {ref.get(key, 0)}", h._fmt(v))
        other = sum(v for k, v in got.items() if k[0] == OTHER)
        other_calls += other
        if min_resolved:
            with_method = sum(v for k, v in got.items() if k[0] != OTHER)
            chk.true(f"[{label}] {side}: calls with their rpc_method (the client's HPACK table "
                     f"churned: :path sent again as a literal)", with_method >= min_resolved,
                     f">= {min_resolved}", h._fmt(with_method))
        h.log(f"[{label}] {side}: {int(sum(resolved.values()))} calls fully resolved, "
              f"{int(other)} with rpc_method=_OTHER, "
              f"{int(sum(v for k, v in got.items() if k[1] == OTHER))} with status _OTHER")
    un = sub(unresolved(d["metrics"]), unresolved_before)
    h.log(f"[{label}] redeye_http2_unresolved_total grew by {un or 'nothing'}")
    if other_calls:
        chk.true(f"[{label}] calls with rpc_method=_OTHER => redeye_http2_unresolved_total grew",
                 sum(un.values()) > 0, "> 0", h._fmt(sum(un.values())))


# --------------------------------------------------------------------------


def run_node(chk: h.Checker, agent: h.Agent, go_server: tb.GoServer, bins: Dict[str, str],
             work: str, cache_root: str, settle: float, servers: list) -> None:
    """The same calls with @grpc/grpc-js (npm) on either side: grpc-js <-> grpc-js, grpc-js
    client -> Go server, Go client -> grpc-js server. Skipped, loudly, without the registry."""
    node_dir, why = tb.install_grpc_js(cache_root)
    if node_dir is None:
        msg = f"!!!!! SKIPPED the @grpc/grpc-js part: {why} !!!!!"
        h.log(msg)
        print(msg, file=sys.stderr, flush=True)
        return
    node = tb.NodeServer(node_dir, work).start()
    servers.append(node)
    wait_for_service(agent, NODE_SERVER_SVC)

    def node_client(addr, plan, **kw):
        return tb.node_client(node_dir, addr, plan, work, **kw)

    def go_client(addr, plan, **kw):
        return tb.GoClient(bins["client"], addr, plan, work, **kw)
    d = run_fresh(chk, agent, node, node_client, "node-seq", SEQ_PLAN, settle,
                  server_svc=NODE_SERVER_SVC)
    check_durations(chk, "node-seq", d)
    run_fresh(chk, agent, node, node_client, "node-conc", CONC_PLAN, settle,
              concurrency=CONCURRENCY, timeout="5s", server_svc=NODE_SERVER_SVC)
    run_fresh(chk, agent, go_server, node_client, "node-to-go", SEQ_PLAN, settle)
    run_fresh(chk, agent, node, go_client, "go-to-node", SEQ_PLAN, settle,
              server_svc=NODE_SERVER_SVC)


H2LOAD = "/usr/bin/h2load"


class H2cNginx(h.Nginx):
    """nginx with `listen ... http2` and no TLS: HTTP/2 with prior knowledge (h2c); an access
    log of "$request_method $status $server_protocol" is the ground truth. The agent's rule
    names it by its port (its workers' command lines carry no marker)."""

    def config(self) -> str:
        text = super().config().replace(f"listen {self.host}:{self.port};",
                                        f"listen {self.host}:{self.port} http2;")
        return text.replace("    access_log off;\n",
                            "    log_format truth '$request_method $status $server_protocol';\n"
                            f"    access_log {self.dir}/access.log truth;\n")

    def access(self) -> Dict[Tuple[str, str, str], int]:
        out: Dict[Tuple[str, str, str], int] = {}
        for line in h.read_text(os.path.join(self.dir, "access.log")).splitlines():
            parts = line.split()
            if len(parts) == 3:
                out[tuple(parts)] = out.get(tuple(parts), 0) + 1
        return out


def http_counts(metrics: h.Metrics, family: str, service: str) -> Dict[Tuple[str, str], float]:
    out: Dict[Tuple[str, str], float] = {}
    for key, v in h.select(metrics, family + "_count", service_name=service).items():
        lab = h.label_dict(key)
        k = (lab.get("http_request_method", "?"), lab.get("http_response_status_code", "?"))
        out[k] = out.get(k, 0.0) + v
    return out


def run_h2c(chk: h.Checker, agent: h.Agent, port: int, settle: float) -> None:
    """Plain HTTP/2 (not gRPC): h2load (nghttp2-client) against nginx `listen ... http2`,
    multiplexed (-m 10) over 3 connections. The agent's HTTP metrics of both sides must equal
    nginx's access log (and h2load's own report)."""
    if not os.access(H2LOAD, os.X_OK):
        msg = f"!!!!! SKIPPED the h2c part: {H2LOAD} is missing (apt-get install nghttp2-client) !!!!!"
        h.log(msg)
        print(msg, file=sys.stderr, flush=True)
        return
    nginx = H2cNginx("        location /ok { return 200 'ok'; }\n"
                     "        location / { return 404; }\n", port=port)
    try:
        nginx.start()
        wait_for_service(agent, H2C_SERVER_SVC)
        m = agent.scrape()
        before = (http_counts(m, "http_server_request_duration_seconds", H2C_SERVER_SVC),
                  http_counts(m, "http_client_request_duration_seconds", H2C_CLIENT_SVC))
        base = f"http://127.0.0.1:{nginx.port}"
        reported = {"2xx": 0, "4xx": 0}
        for path, n in (("/ok", H2C_OK), ("/missing", H2C_MISSING)):
            r = h.run_tool([H2LOAD, "-n", str(n), "-c", "3", "-m", "10", base + path], timeout=60)
            out = r.stdout.decode(errors="replace")
            if r.returncode != 0 or "h2c" not in out:
                raise h.TestFailure(f"h2load {path} failed ({r.returncode}):\n{out}\n"
                                    + r.stderr.decode(errors="replace"))
            sc = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
            if sc:
                reported["2xx"] += int(sc.group(1))
                reported["4xx"] += int(sc.group(3))
        truth = nginx.access()
        h.log(f"[h2c] nginx access log: {truth}; h2load: {reported}")
        want = {("GET", "200"): truth.get(("GET", "200", "HTTP/2.0"), 0),
                ("GET", "404"): truth.get(("GET", "404", "HTTP/2.0"), 0)}
        chk.eq("[h2c] nginx access log GET 200 HTTP/2.0 == h2load's 2xx", reported["2xx"],
               want[("GET", "200")])
        chk.eq("[h2c] nginx access log GET 404 HTTP/2.0 == h2load's 4xx", reported["4xx"],
               want[("GET", "404")])
        chk.eq("[h2c] h2load requests", H2C_OK + H2C_MISSING, reported["2xx"] + reported["4xx"])
        total = sum(want.values())
        deadline = time.monotonic() + settle
        while True:
            m = agent.scrape()
            srv = sub(http_counts(m, "http_server_request_duration_seconds", H2C_SERVER_SVC),
                      before[0])
            cli = sub(http_counts(m, "http_client_request_duration_seconds", H2C_CLIENT_SVC),
                      before[1])
            if (sum(srv.values()) >= total and sum(cli.values()) >= total) \
                    or time.monotonic() >= deadline:
                break
            time.sleep(0.25)
        h.log(f"[h2c] redeye server side: {fmt_counts(srv)}; client side: {fmt_counts(cli)}")
        for side, fam, got in (("server " + H2C_SERVER_SVC, "http_server_request_duration_seconds",
                                srv),
                               ("client " + H2C_CLIENT_SVC, "http_client_request_duration_seconds",
                                cli)):
            for key in sorted(set(want) | set(got)):
                chk.eq(f"[h2c] {side} {fam}_count{{http_request_method=\"{key[0]}\","
                       f"http_response_status_code=\"{key[1]}\"}}", want.get(key, 0),
                       got.get(key, 0.0))
    finally:
        nginx.cleanup()


PARTS = ("go", "node", "h2c")


def main(default_parts=("go",)) -> int:
    """`--parts` picks what runs: go (Go client and server: fresh, concurrent, deadline and
    late-join scenarios), node (@grpc/grpc-js against itself and against Go), h2c (h2load
    against nginx). ctest runs each as its own test (test_grpc_node.py, test_h2c.py)."""
    args = h.start_test(lambda ap: (
        ap.add_argument("--settle-timeout", type=float, default=10.0),
        ap.add_argument("--cache-dir", default=None,
                        help="where the Go binaries and node_modules are cached "
                             "(default <build>/test-cache/grpc)"),
        ap.add_argument("--parts", default=",".join(default_parts),
                        help="comma-separated: " + ", ".join(PARTS))))
    parts = [p for p in args.parts.split(",") if p]
    if not parts or not set(parts) <= set(PARTS):
        print(f"--parts: want some of {', '.join(PARTS)}, got {args.parts!r}", file=sys.stderr)
        return 2
    if {"go", "node"} & set(parts):
        missing = tb.missing_go_deps()
        if missing:
            h.skip("Go or Debian's grpc-go packages are missing (scripts/install-deps.sh): "
                   + ", ".join(missing))
    if parts == ["h2c"] and not os.access(H2LOAD, os.X_OK):
        h.skip(f"{H2LOAD} is missing (scripts/install-deps.sh: nghttp2-client)")
    cache_root = args.cache_dir or tb.default_cache_root(args.redeye)
    if "node" in parts:
        node_dir, why = tb.install_grpc_js(cache_root)
        if node_dir is None and parts == ["node"]:
            h.skip(f"the @grpc/grpc-js part: {why}")

    work = tempfile.mkdtemp(prefix="redeye-it-grpc-")
    os.chmod(work, 0o755)
    chk = h.Checker()
    guard = h.Guard()
    agent = None
    servers: list = []
    late: List[tb.GoClient] = []
    last_text = ""
    try:
        with guard:
            server = bins = None
            if {"go", "node"} & set(parts):
                bins = tb.build_go(cache_root)
                server = tb.GoServer(bins["server"], work).start()
                servers.append(server)
            if "go" in parts:
                # Channels opened (and used) before the agent exists.
                late_plain, _ = start_late(bins, server, work, "late", LATE_AFTER)
                late.append(late_plain)
                late_dl, _ = start_late(bins, server, work, "late-dl", LATE_DL_AFTER,
                                        timeout="5s", jitter="5s")
                late.append(late_dl)

            h2c_port = h.free_port()
            config = os.path.join(work, "redeye.yaml")
            with open(config, "w") as f:
                f.write(config_yaml(h2c_port))
            agent = h.Agent(args.redeye, ["--config", config], workdir=work).start(timeout=30)
            if server is not None:
                wait_for_service(agent, SERVER_SVC)
            m0 = agent.scrape()

            if "go" in parts:
                run_late(chk, agent, server, late_plain, "late", LATE_AFTER, args.settle_timeout)
                run_late(chk, agent, server, late_dl, "late-dl", LATE_DL_AFTER,
                         args.settle_timeout,
                         min_resolved=sum(plan_counts(LATE_DL_AFTER).values()) - LATE_DL_CHURN)
                for c in late:
                    c.finish()
                late = []

                def go_client(addr, plan, **kw):
                    return tb.GoClient(bins["client"], addr, plan, work, **kw)
                c0 = classified_http2(agent.scrape())
                d = run_fresh(chk, agent, server, go_client, "seq", SEQ_PLAN,
                              args.settle_timeout)
                check_durations(chk, "seq", d)
                c1 = classified_http2(d["metrics"])
                chk.true("[seq] redeye_connections_classified_total{protocol=http2} grew "
                         "(the fresh channel)", c1 - c0 >= 1, ">= +1", f"+{c1 - c0:g}")
                run_fresh(chk, agent, server, go_client, "conc", CONC_PLAN, args.settle_timeout,
                          concurrency=CONCURRENCY, timeout="5s")
                run_fresh(chk, agent, server, go_client, "deadline", DEADLINE_PLAN,
                          args.settle_timeout, racy_methods=("redeye.test.Test/Hang",))
            if "node" in parts:
                run_node(chk, agent, server, bins, work, cache_root, args.settle_timeout, servers)
            if "h2c" in parts:
                run_h2c(chk, agent, h2c_port, args.settle_timeout)

            m = agent.scrape()
            last_text = agent.scrape_text()
            perr = {h.label_dict(k).get("kind", "?"): v for k, v in
                    h.select(m, "redeye_parse_errors_total", protocol="http2").items() if v}
            chk.true("redeye_parse_errors_total{protocol=http2}", not perr, "none",
                     ", ".join(f"{k}={v:g}" for k, v in sorted(perr.items())))
            for name in ("redeye_kernel_http2_bytes_not_copied_total",):
                v = h.total(m, name)
                chk.eq(name, 0, v)
            chk.eq('redeye_kernel_framing_lost_total{protocol="http2"}', 0,
                   h.total(m, "redeye_kernel_framing_lost_total", protocol="http2"))
            drops = sum(h.select(m, "redeye_events_dropped_total").values())
            chk.eq("sum(redeye_events_dropped_total)", 0, drops)
            if not any(k[0].startswith(("rpc_server_call", "rpc_client_call")) for k in m):
                h.log("!!!!! the agent exports no rpc_*_call_duration_seconds series at all: "
                      "is the HTTP/2 + gRPC parser in this binary? !!!!!")
            h.log(f"redeye_connections_classified_total{{protocol=http2}}: "
                  f"{classified_http2(m0):g} at start, {classified_http2(m):g} at the end")
            chk.true("agent alive", agent.alive(), "running", "" if agent.alive() else "exited")
    finally:
        code = h.conclude(chk, guard, [
            h.series_lines("rpc_* / redeye_http2 / classified series on the last scrape",
                           lambda: last_text or (agent.scrape_text() if agent else ""),
                           ("rpc_server_call_duration_seconds_count",
                            "rpc_client_call_duration_seconds_count", "redeye_http2",
                            "redeye_kernel_http2", "redeye_kernel_framing_lost_total",
                            "redeye_connections_classified_total", "redeye_parse_errors_total")),
            h.agent_stderr(agent, 6000),
            ("grpc server stderr", lambda: "\n".join(s.logs() for s in servers)),
        ])
        for c in late:
            c.finish()
        if agent is not None:
            agent.cleanup()
        for s in servers:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
