#!/usr/bin/python3
"""End-to-end: the series of short-lived services expire, and server_port is bounded.

300 short-lived listeners of one service, each on its own ephemeral port, each answering
one HTTP/1.1 request (the churn of issue 12: Jobs and CronJobs). The agent runs with
series_expiry: 3s. This checks:
  * while the service lives (an anchor listener of it stays up during the churn), its
    server_port values are at most server_port_limit (16) ports plus _OTHER, and the folded
    requests are counted in redeye_server_port_overflow_total{protocol="http"};
  * once every process of it is gone, and a scrape has seen its last values, its series
    are dropped: no series of it remains, the agent's own series set is the baseline's
    again (other services on this host come and go on their own and are not compared),
    redeye_services_expired_total counts it;
  * the agent's RSS grows by less than 4 MiB over the churn.

Exit codes: 0 pass, 1 fail, 77 skipped (not root / no BTF).
"""

import os
import shutil
import sys
import tempfile
import time
import uuid

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

PY = "/usr/bin/python3"
LISTENERS = 300
BATCH = 20
WARMUP = 20
PORT_LIMIT = 16
EXPIRY_S = 3
RSS_GROWTH_LIMIT_KIB = 4 * 1024

# Binds 127.0.0.1:0, writes its port to argv[1], answers one request, exits. argv[2] is the
# tag the service rule matches.
LISTENER = r"""
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.settimeout(30)
c, _ = s.accept()
c.settimeout(10)
data = b""
while b"\r\n\r\n" not in data:
    chunk = c.recv(4096)
    if not chunk:
        break
    data += chunk
c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
c.close()
s.close()
"""


def config_yaml(name: str, tag: str) -> str:
    return f"""
series_expiry: {EXPIRY_S}s
server_port_limit: {PORT_LIMIT}
discovery:
  use_interval: 1s
services:
  - name: {name}
    match: {{cmdline: '{tag}'}}
"""


class Listeners:
    """Short-lived listeners of the churn service; each is asked once."""

    def __init__(self, work: str, tag: str) -> None:
        self.work, self.tag, self.count, self.procs = work, tag, 0, []

    def start(self):
        self.count += 1
        port_file = os.path.join(self.work, f"port-{self.count}")
        proc = h.spawn([PY, "-c", LISTENER, port_file, self.tag], os.devnull,
                       os.path.join(self.work, "listener.err"))
        self.procs.append(proc)
        return proc, port_file

    @staticmethod
    def port_of(port_file: str) -> int:
        h.wait_until(lambda: os.path.exists(port_file), 15, interval=0.01,
                     what=f"listener port in {port_file}")
        with open(port_file) as f:
            return int(f.read())

    @staticmethod
    def ask(port: int) -> int:
        return h.http_get(f"http://127.0.0.1:{port}/churn", timeout=10)[0]

    def batch(self, n: int) -> int:
        """n listeners at once, one request each; returns how many answered 200."""
        started = [self.start() for _ in range(n)]
        ok = 0
        for proc, port_file in started:
            ok += self.ask(self.port_of(port_file)) == 200
        for proc, _ in started:
            proc.wait(timeout=15)
        return ok

    def stop_all(self) -> None:
        for proc in self.procs:
            h.stop_process(proc, timeout=2)


def own_view(metrics, name: str):
    """The samples this test can speak for: the agent's own (no service label) and the churn
    service's. Other services on the host are not the test's."""
    return {key for key in metrics
            if "service_name" not in h.label_dict(key) or h.label_dict(key)["service_name"] == name}


def churn_samples(metrics, name: str):
    return {key for key in metrics if h.label_dict(key).get("service_name") == name}


def ports_of(metrics, name: str):
    return {h.label_dict(key)["server_port"] for key in
            h.select(metrics, "http_server_request_duration_seconds_count", service_name=name)}


def main() -> int:
    args = h.start_test()

    token = uuid.uuid4().hex[:8]
    name, tag = f"churn-{token}", f"redeye-churn-listener-{token}"
    work = tempfile.mkdtemp(prefix="redeye-churn-")
    os.chmod(work, 0o755)
    listeners = Listeners(work, tag)
    agent = None
    last_text = ""
    check = h.Checker()
    guard = h.Guard()
    numbers = {}

    def scrape():
        nonlocal last_text
        last_text = agent.scrape_text()
        return h.parse_prometheus(last_text)

    def wait_expired(what: str):
        def gone():
            return not churn_samples(scrape(), name)
        h.wait_until(gone, EXPIRY_S + 20, interval=0.5, what=what)
        return scrape()

    t_start = time.monotonic()
    try:
        with guard:
            config_path = os.path.join(work, "redeye.yaml")
            with open(config_path, "w") as f:
                f.write(config_yaml(name, tag))
            agent = h.Agent(args.redeye, ["--config", config_path], workdir=work).start()

            # Warm-up: the same churn, smaller, expired, so every one-off series of the agent
            # (classified connections, families' first series) and its allocator are there.
            answered = listeners.batch(WARMUP)
            h.wait_until(lambda: churn_samples(scrape(), name), 10, interval=0.3,
                         what="the warm-up's series")
            wait_expired("the warm-up's series to expire")
            baseline = scrape()
            base_rss = h.proc_rss_kib(agent.pid)
            numbers["baseline"] = (len(baseline), base_rss)
            h.log(f"baseline: {len(baseline)} samples, RSS {base_rss} KiB")

            # The churn, with an anchor listener of the service up all along.
            anchor, anchor_port_file = listeners.start()
            anchor_port = Listeners.port_of(anchor_port_file)
            peak_samples = 0
            for _ in range(LISTENERS // BATCH):
                answered += listeners.batch(BATCH)
                peak_samples = max(peak_samples, len(scrape()))
            check.eq("listeners answered", WARMUP + LISTENERS, answered)
            time.sleep(1.5)  # the agent has read the last batch's events
            during = scrape()
            churn_rss = h.proc_rss_kib(agent.pid)
            numbers["churn"] = (peak_samples, churn_rss)
            ports = ports_of(during, name)
            h.log(f"after the churn: {len(during)} samples (peak {peak_samples}), RSS {churn_rss} "
                  f"KiB, {len(ports)} server_port values of {name}")
            check.true(f"server_port values of {name} (limit {PORT_LIMIT})",
                       len(ports - {"_OTHER"}) <= PORT_LIMIT and "_OTHER" in ports,
                       f"<= {PORT_LIMIT} ports + _OTHER", f"{len(ports)}: {sorted(ports)[:20]}")
            requests = h.total(during, "http_server_request_duration_seconds_count",
                               service_name=name)
            folded = h.total(during, "http_server_request_duration_seconds_count",
                             service_name=name, server_port="_OTHER")
            overflowed = h.one(during, "redeye_server_port_overflow_total", protocol="http")
            h.log(f"{name}: {requests:.0f} requests measured, {folded:.0f} under _OTHER")
            check.true("requests of the churn measured (the kernel may miss a listener's "
                       "first request)", requests >= LISTENERS // 2,
                       f">= {LISTENERS // 2}", f"{requests:.0f}")
            check.true("redeye_server_port_overflow_total{protocol=http} counts the folded "
                       "requests", overflowed is not None and overflowed >= folded > 0,
                       f">= {folded:.0f}", str(overflowed))

            # Every process of the service gone: its series expire.
            Listeners.ask(anchor_port)
            anchor.wait(timeout=15)
            gone_at = time.monotonic()
            after = wait_expired("the churn's series to expire")
            h.log(f"the churn's series went {time.monotonic() - gone_at:.1f}s after its last "
                  f"process (series_expiry {EXPIRY_S}s)")
            after_rss = h.proc_rss_kib(agent.pid)
            numbers["expired"] = (len(after), after_rss)
            check.eq(f"series of {name} after expiry", 0, len(churn_samples(after, name)))
            extra = own_view(after, name) - own_view(baseline, name)
            missing = own_view(baseline, name) - own_view(after, name)
            check.true("the agent's own samples are the baseline's again",
                       not extra and not missing, "same set",
                       f"+{len(extra)} -{len(missing)}: "
                       + "; ".join(h.fmt_key(k) for k in sorted(extra | missing)[:5]))
            others = len(after) - len(own_view(after, name))
            h.log(f"after expiry: {len(after)} samples ({others} of other services on this "
                  f"host), RSS {after_rss} KiB")
            check.true("redeye_services_expired_total counts the warm-up and the churn",
                       (h.one(after, "redeye_services_expired_total") or 0) >= 2, ">= 2",
                       str(h.one(after, "redeye_services_expired_total")))
            check.true(f"agent RSS growth over the churn < {RSS_GROWTH_LIMIT_KIB} KiB",
                       after_rss - base_rss < RSS_GROWTH_LIMIT_KIB,
                       f"< {RSS_GROWTH_LIMIT_KIB}", f"{after_rss - base_rss} KiB")
            check.eq("events dropped", 0, h.total(after, "redeye_events_dropped_total"))
            h.log(f"numbers (samples, RSS KiB): {numbers}; run time "
                  f"{time.monotonic() - t_start:.0f}s")
    finally:
        code = h.conclude(check, guard, [
            h.series_lines("churn and redeye_* series on the last scrape", lambda: last_text,
                           ("redeye_", "http_server_request_duration_seconds_count")),
            h.agent_stderr(agent, 4000),
            ("listener stderr", lambda: h.read_text(os.path.join(work, "listener.err"))[-2000:]),
        ])
        listeners.stop_all()
        if agent:
            agent.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
