#!/usr/bin/python3
"""End-to-end: the shipped Prometheus config, rules and Grafana dashboards work on real data.

Starts a private nginx (routes answering 200, 201, 404 and 500), the agent (a config rule
naming that nginx SERVICE = "nginx-e2e", so that other nginx processes on the host -- other
tests -- do not mix in, with a storage path and a 1 s USE interval; nginx in its own memory
cgroup when the host lets us make one), and Debian's Prometheus on a free 127.0.0.1 port with:
  * a temp copy of deploy/prometheus/scrape-static.yml, target rewritten to the agent,
    scrape and evaluation interval 1 s,
  * rule_files = the shipped deploy/prometheus/recording-rules.yml and alerting-rules.yml,
  * the job of deploy/prometheus/scrape-kubernetes.yml with its kubernetes_sd_configs swapped
    for static targets carrying the same __meta_kubernetes_* labels (checks the relabelling;
    those targets point at a closed port, so nothing is scraped twice).
Then drives nginx at a fixed, paced rate for LOAD_SECONDS and, through Prometheus' HTTP API:
  * every recording rule's expression returns series for nginx, every rule is healthy and
    its recorded output exists;
  * service:http_server_requests:rate1m{service_name="nginx-e2e"} equals the achieved request
    rate (count / elapsed) within 5 %, the recorded 5xx ratio equals the driven share;
  * HttpServerErrorRatioHigh is pending for nginx (5 % > 1 %), RedeyeDown is not active;
  * every panel query of deploy/grafana/dashboards/*.json, with $service_name = "nginx-e2e",
    = "(nginx-e2e|prometheus)" (a multi-value selection) and = the variable's allValue
    ("All"), returns series; the exceptions are
    listed in MAY_BE_ABSENT below.

The load lasts longer than a minute because the rate compared is the 1m-window rule, read
at a time whose whole window lies inside the load.

Exit codes: 0 pass, 1 fail, 77 skipped (not root / no BTF).
"""

import argparse
import http.client
import json
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.parse

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

PROMETHEUS = "/usr/bin/prometheus"
SERVICE = "nginx-e2e"  # what the agent's config rule names our nginx
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PROM_DIR = os.path.join(ROOT, "deploy", "prometheus")
DASH_DIR = os.path.join(ROOT, "deploy", "grafana", "dashboards")
DASHBOARDS = ("service-red.json", "service-use.json")

LOAD_RATE = 100.0        # requests per second, paced
LOAD_SECONDS = 68.0      # > 60 s window + margins (see the module doc)
RATE_TOLERANCE = 0.05

UPLOAD = b"x" * 256
LOCATIONS = """
        location = /ok { return 200 "redeye e2e: ok"; }
        location = /error { return 500 "redeye e2e: deliberate server error"; }
        location = /missing { return 404 "redeye e2e: not here"; }
        location ~ "^/users/[0-9]+$" { return 200 "redeye e2e: user"; }
        location = /upload { return 201 "redeye e2e: stored"; }
"""
# One cycle of 20 requests: 5 % 500s, 5 % 404s, 5 % POSTs with a body.
CYCLE = (["GET /ok"] * 13 + ["GET /users/{n}"] * 4
         + ["GET /error", "GET /missing", "POST /upload"])

# Grafana's macros, as a 15 s scrape interval would set them.
GRAFANA_MACROS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "5m"}

# Panel queries that may legitimately return nothing on a test machine, with the metric
# that decides it. If the metric is in the agent's /metrics for nginx the query must return
# data like every other; if not, the query must still be valid (evaluated as
# `(<query>) or vector(0)`) and the exception is logged.
MAY_BE_ABSENT = {
    "container_pressure_stall_seconds_total":
        "PSI per cgroup needs cgroup v2 and a kernel with PSI; absent otherwise (docs/METRICS.md)",
    "container_memory_usage_bytes":
        "present only when nginx is in its own cgroup; the test makes one when the host allows",
    "container_memory_limit_bytes":
        "present only when nginx's cgroup has a memory limit; the test sets one when it can",
}


# --------------------------------------------------------------------------
# Prometheus


class Prometheus:
    def __init__(self, workdir: str, config: dict):
        self.dir = os.path.join(workdir, "prometheus")
        os.makedirs(os.path.join(self.dir, "data"))
        self.port = h.free_port()
        self.config_path = os.path.join(self.dir, "prometheus.yml")
        import yaml
        with open(self.config_path, "w") as f:
            yaml.safe_dump(config, f, sort_keys=False)
        self.proc = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        argv = [PROMETHEUS, f"--config.file={self.config_path}",
                f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--storage.tsdb.retention.time=1d", "--log.level=warn"]
        h.log("starting prometheus: " + " ".join(argv))
        self.proc = h.spawn(argv, os.path.join(self.dir, "stdout.log"),
                            os.path.join(self.dir, "stderr.log"), cwd=self.dir)

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise h.TestFailure(f"prometheus exited early with {self.proc.returncode}:\n"
                                    + self.logs())
            try:
                status, _ = h.http_get(self.base + "/-/ready", timeout=1.0)
                return status == 200
            except OSError:
                return False
        h.wait_until(ready, timeout, interval=0.25, what="prometheus /-/ready")

    def logs(self) -> str:
        return h.read_text(os.path.join(self.dir, "stderr.log"))[-6000:]

    def api(self, path: str, **params) -> dict:
        url = self.base + path
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        status, body = h.http_get(url, timeout=10.0)
        try:
            doc = json.loads(body.decode("utf-8", "replace"))
        except ValueError:
            raise h.TestFailure(f"GET {path}: {status}, not JSON: {body[:300]!r}") from None
        return doc

    def query(self, expr: str, at: float = None) -> dict:
        """Instant query; returns the API document (status, data or error)."""
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        return self.api("/api/v1/query", **params)

    def vector(self, expr: str, at: float = None) -> list:
        doc = self.query(expr, at)
        if doc.get("status") != "success":
            raise h.TestFailure(f"query failed: {expr}\n  {doc.get('errorType')}: {doc.get('error')}")
        data = doc["data"]
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": data["result"]}]
        return data["result"]

    def stop(self) -> None:
        if self.proc is not None:
            h.stop_process(self.proc, timeout=15)
            self.proc = None


def prometheus_config(agent_port: int, closed_port: int) -> dict:
    import yaml
    with open(os.path.join(PROM_DIR, "scrape-static.yml")) as f:
        cfg = yaml.safe_load(f)
    with open(os.path.join(PROM_DIR, "scrape-kubernetes.yml")) as f:
        k8s = yaml.safe_load(f)

    cfg.setdefault("global", {})
    cfg["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
    shipped_rules = [os.path.join(PROM_DIR, os.path.basename(p)) for p in cfg.get("rule_files", [])]
    want_rules = {os.path.join(PROM_DIR, "recording-rules.yml"),
                  os.path.join(PROM_DIR, "alerting-rules.yml")}
    if set(shipped_rules) != want_rules:
        raise h.TestFailure(f"scrape-static.yml rule_files should name the shipped rules, got "
                            f"{cfg.get('rule_files')}")
    cfg["rule_files"] = sorted(want_rules)
    jobs = [j for j in cfg["scrape_configs"] if j.get("job_name") == "redeye"]
    if len(jobs) != 1:
        raise h.TestFailure("scrape-static.yml: expected exactly one job named redeye")
    job = jobs[0]
    job["scrape_interval"] = "1s"
    job["scrape_timeout"] = "1s"
    job["static_configs"] = [{"targets": [f"127.0.0.1:{agent_port}"]}]

    # The Kubernetes job, fed by static targets with the pod role's meta labels.
    kjobs = k8s["scrape_configs"]
    if len(kjobs) != 1 or "kubernetes_sd_configs" not in kjobs[0]:
        raise h.TestFailure("scrape-kubernetes.yml: expected one job with kubernetes_sd_configs")
    kjob = kjobs[0]
    if kjob.get("job_name") != "redeye":
        raise h.TestFailure("scrape-kubernetes.yml: the job should be named redeye "
                            "(RedeyeDown watches up{job=\"redeye\"})")
    del kjob["kubernetes_sd_configs"]
    kjob["job_name"] = "redeye-k8s-relabel-check"
    kjob["scrape_interval"] = "5s"
    kjob["scrape_timeout"] = "1s"

    def pod(name, app, port_name, phase="Running", node="node-1"):
        return {"targets": [f"127.0.0.1:{closed_port}"],
                "labels": {"__meta_kubernetes_namespace": "redeye",
                           "__meta_kubernetes_pod_name": name,
                           "__meta_kubernetes_pod_node_name": node,
                           "__meta_kubernetes_pod_phase": phase,
                           "__meta_kubernetes_pod_label_app_kubernetes_io_name": app,
                           "__meta_kubernetes_pod_container_port_name": port_name}}
    kjob["static_configs"] = [
        pod("redeye-abcde", "redeye", "metrics"),                      # kept
        pod("redeye-abcde", "redeye", "health"),                       # other port: dropped
        pod("shop-api-12345", "shop-api", "metrics", node="node-2"),   # other app: dropped
        pod("redeye-fghij", "redeye", "metrics", phase="Pending"),     # not running: dropped
    ]
    cfg["scrape_configs"].append(kjob)
    return cfg


# --------------------------------------------------------------------------
# load


def drive_load(port: int, rate: float, seconds: float) -> dict:
    """Paced keep-alive requests: request i is sent at t0 + i / rate (never earlier).
    Bounded: exactly round(rate * seconds) requests, or stop at seconds + 20."""
    n_total = int(round(rate * seconds))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    statuses = {}
    t0_wall = time.time()
    t0 = time.monotonic()
    hard_stop = t0 + seconds + 20
    done = 0
    for i in range(n_total):
        due = t0 + i / rate
        now = time.monotonic()
        if now >= hard_stop:
            break
        if due > now:
            time.sleep(due - now)
        method, path = CYCLE[i % len(CYCLE)].split(" ")
        path = path.replace("{n}", str(1000 + i % 50))
        body = UPLOAD if method == "POST" else None
        headers = {"Content-Type": "text/plain"} if body else {}
        try:
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            r.read()
        except (OSError, http.client.HTTPException) as e:
            raise h.TestFailure(f"request {i} ({method} {path}) failed: {e}") from None
        statuses[r.status] = statuses.get(r.status, 0) + 1
        done += 1
        if r.will_close:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    t1 = time.monotonic()
    conn.close()
    elapsed = t1 - t0
    return {"count": done, "elapsed": elapsed, "rate": done / elapsed, "statuses": statuses,
            "start_wall": t0_wall, "end_wall": t0_wall + elapsed}


# --------------------------------------------------------------------------
# memory cgroup for nginx (container_memory_* series)


def make_memory_cgroup(name: str, limit: int):
    """Returns (dir, procs_file) or (None, reason)."""
    try:
        if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
            path = f"/sys/fs/cgroup/{name}"
            os.mkdir(path)
            if not os.path.exists(f"{path}/memory.max"):
                os.rmdir(path)
                return None, "cgroup v2 without the memory controller enabled at the root"
            with open(f"{path}/memory.max", "w") as f:
                f.write(str(limit))
            return path, None
        base = "/sys/fs/cgroup/memory"
        if not os.path.isdir(base):
            return None, "no cgroup memory controller"
        path = f"{base}/{name}"
        os.mkdir(path)
        with open(f"{path}/memory.limit_in_bytes", "w") as f:
            f.write(str(limit))
        return path, None
    except OSError as e:
        return None, f"cannot make a memory cgroup: {e}"


def move_to_cgroup(path: str, pids) -> None:
    for pid in pids:
        with open(os.path.join(path, "cgroup.procs"), "w") as f:
            f.write(str(pid))


def remove_cgroup(path: str) -> None:
    deadline = time.monotonic() + 5
    while True:
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                h.log(f"warning: could not remove cgroup {path}")
                return
            time.sleep(0.1)


# --------------------------------------------------------------------------
# dashboards


def dashboard_targets(doc: dict):
    """(panel title, refId, expr) for every query target, rows' nested panels included."""
    out = []

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []) or []:
                if t.get("expr"):
                    out.append((p.get("title", "?"), t.get("refId", "?"), t["expr"]))
            walk(p.get("panels", []) or [])
    walk(doc.get("panels", []))
    return out


def substitute(expr: str, service_value: str) -> str:
    for k, v in GRAFANA_MACROS.items():
        expr = expr.replace(k, v)
    expr = expr.replace("${service_name}", service_value).replace("$service_name", service_value)
    if "$" in expr:
        raise h.TestFailure(f"unsubstituted Grafana variable left in: {expr}")
    return expr


def metric_names(expr: str):
    return set(re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{", expr))


def check_dashboard_json(chk: h.Checker, name: str, doc: dict) -> None:
    chk.true(f"{name}: schemaVersion >= 38", doc.get("schemaVersion", 0) >= 38, ">= 38",
             str(doc.get("schemaVersion")))
    chk.true(f"{name}: uid set", bool(doc.get("uid")), "set", str(doc.get("uid")))
    variables = {v.get("name"): v for v in doc.get("templating", {}).get("list", [])}
    ds = variables.get("datasource", {})
    chk.true(f"{name}: variable datasource of type prometheus",
             ds.get("type") == "datasource" and ds.get("query") == "prometheus",
             "datasource/prometheus", f"{ds.get('type')}/{ds.get('query')}")
    sv = variables.get("service_name", {})
    q = sv.get("query")
    q = q.get("query") if isinstance(q, dict) else q
    chk.true(f"{name}: variable service_name = label_values(target_info, service_name), multi, All",
             q == "label_values(target_info, service_name)" and sv.get("multi") is True
             and sv.get("includeAll") is True, "yes", f"{q} multi={sv.get('multi')} all={sv.get('includeAll')}")
    # No hard-coded datasource uid anywhere.
    uids = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("datasource"), dict):
                uid = node["datasource"].get("uid")
                if node["datasource"].get("type") == "prometheus":
                    uids.add(uid)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(doc)
    chk.true(f"{name}: every prometheus datasource is ${{datasource}}", uids == {"${datasource}"},
             "{'${datasource}'}", str(uids))
    # A multi-value variable must only be used with a regex matcher.
    bad = [e for _, _, e in dashboard_targets(doc)
           if re.search(r'(?<!=~)"\$\{?service_name', e)]
    chk.true(f"{name}: $service_name only in =~ matchers", not bad, "none", "; ".join(bad[:3]))


# --------------------------------------------------------------------------


def agent_config(nginx_port: int, storage: str) -> str:
    return f"""
discovery:
  use_interval: 1s
  storage_interval: 1s
services:
  - name: {SERVICE}
    match: {{port: {nginx_port}}}
    storage_paths: ["{storage}"]
    users: {{identity: client_address}}
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--redeye", required=True, help="path to the redeye binary")
    ap.add_argument("--load-seconds", type=float, default=LOAD_SECONDS)
    args = ap.parse_args()

    h.require_root_and_btf()
    if not os.access(PROMETHEUS, os.X_OK):
        print(f"FAIL: {PROMETHEUS} is missing: install Debian's `prometheus` package "
              "(scripts/install-deps.sh installs it)", file=sys.stderr)
        return 1
    try:
        import yaml  # noqa: F401
    except ImportError:
        print("FAIL: PyYAML is missing for /usr/bin/python3: install Debian's `python3-yaml` "
              "(scripts/install-deps.sh installs it)", file=sys.stderr)
        return 1
    if not os.access(h.NGINX, os.X_OK):
        print(f"FAIL: {h.NGINX} is missing (scripts/install-deps.sh installs it)", file=sys.stderr)
        return 1
    if args.load_seconds < 64:
        print("FAIL: --load-seconds must be at least 64 (1m rate window + margins)", file=sys.stderr)
        return 1
    h.install_signal_handlers()

    t_begin = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="redeye-it-prom-")
    os.chmod(workdir, 0o755)
    storage = os.path.join(workdir, "storage")
    os.mkdir(storage)
    for i in range(3):
        with open(os.path.join(storage, f"segment-{i}"), "wb") as f:
            f.write(os.urandom(64 * 1024))
    nginx = h.Nginx(LOCATIONS)
    agent = None
    prom = None
    cgroup = None
    chk = h.Checker()
    guard = h.Guard()
    try:
        with guard:
            nginx.start()
            cgroup, why = make_memory_cgroup(f"redeye-e2e-{os.getpid()}", 512 << 20)
            if cgroup:
                try:
                    move_to_cgroup(cgroup, [nginx.proc.pid] + nginx.worker_pids())
                    h.log(f"nginx moved to memory cgroup {cgroup} (limit 512 MiB)")
                except OSError as e:
                    h.log(f"note: cannot move nginx into {cgroup}: {e}")
            else:
                h.log(f"note: nginx stays in the test's cgroup: {why}")

            cfg_path = os.path.join(workdir, "redeye.yaml")
            with open(cfg_path, "w") as f:
                f.write(agent_config(nginx.port, storage))
            agent = h.Agent(args.redeye, args=["--config", cfg_path], workdir=workdir)
            agent.start(timeout=20)

            def nginx_known() -> bool:
                m = agent.scrape()
                return (h.select(m, "target_info", service_name=SERVICE) != {}
                        and h.select(m, "process_memory_usage_bytes", service_name=SERVICE) != {}
                        and h.select(m, "service_storage_used_bytes", service_name=SERVICE) != {})
            h.wait_until(nginx_known, 20, interval=0.5, what="the agent reporting nginx (USE, storage)")

            prom = Prometheus(workdir, prometheus_config(agent.port, h.free_port()))
            prom.start()

            def scraped() -> bool:
                r = prom.vector('up{job="redeye"} == 1')
                t = prom.vector(f'target_info{{job="redeye", service_name="{SERVICE}"}}')
                return bool(r) and bool(t)
            h.wait_until(scraped, 20, interval=0.5, what="prometheus scraping the agent")
            h.log("prometheus scrapes the agent")

            # ---- load
            h.log(f"driving {LOAD_RATE:g} requests/s for {args.load_seconds:g} s")
            load = drive_load(nginx.port, LOAD_RATE, args.load_seconds)
            h.log(f"load: {load['count']} requests in {load['elapsed']:.2f} s = {load['rate']:.3f}/s; "
                  f"statuses {load['statuses']}")
            chk.eq("requests sent", int(round(LOAD_RATE * args.load_seconds)), load["count"])
            if not agent.alive():
                raise h.TestFailure(f"agent died during the load; stderr:\n{agent.stderr()}")

            # Let the last scrapes and rule evaluations land.
            time.sleep(3.0)
            raw = agent.scrape_text()

            # ---- the recorded rate against the driven rate
            at = load["end_wall"] - 3.0
            res = prom.vector(f'service:http_server_requests:rate1m{{service_name="{SERVICE}"}}', at=at)
            recorded = float(res[0]["value"][1]) if len(res) == 1 else None
            h.log(f"driven {load['rate']:.3f}/s, recorded service:http_server_requests:rate1m "
                  f"at end-3s: {recorded}")
            ok = recorded is not None and abs(recorded - load["rate"]) <= RATE_TOLERANCE * load["rate"]
            chk.true("recorded rate1m (nginx) within 5 % of the driven rate",
                     ok, f"{load['rate']:.2f}/s +-5%", "" if ok else str(recorded))

            n500 = load["statuses"].get(500, 0)
            share = n500 / load["count"]
            res = prom.vector(f'service:http_server_requests_5xx:ratio_rate5m{{service_name="{SERVICE}"}}')
            ratio = float(res[0]["value"][1]) if len(res) == 1 else None
            ok = ratio is not None and abs(ratio - share) <= 0.1 * share
            chk.true("recorded 5xx ratio (nginx) within 10 % of the driven share",
                     ok, f"{share:.4f} +-10%", "" if ok else str(ratio))
            res = prom.vector(f'service_instance:http_server_requests:rate5m{{service_name="{SERVICE}"}}')
            chk.true("per-instance rate: one nginx instance", len(res) == 1, "1 series", str(len(res)))

            # ---- every recording rule: expression and recorded output
            import yaml
            with open(os.path.join(PROM_DIR, "recording-rules.yml")) as f:
                rec = yaml.safe_load(f)
            rules = [r for g in rec["groups"] for r in g["rules"] if "record" in r]
            for r in rules:
                res = prom.vector(r["expr"])
                nginx_series = [s for s in res if s["metric"].get("service_name") == SERVICE]
                chk.true(f"rule expr returns nginx series: {r['record']}", bool(nginx_series),
                         ">= 1", "" if nginx_series else f"{len(res)} series, none for nginx")
                res = prom.vector(f'{r["record"]}{{service_name="{SERVICE}"}}')
                chk.true(f"recorded by Prometheus: {r['record']}", bool(res), ">= 1",
                         "" if res else "0")
            doc = prom.api("/api/v1/rules")
            unhealthy = [f"{r.get('name')}: {r.get('lastError')}"
                         for g in doc["data"]["groups"] for r in g["rules"]
                         if r.get("health") != "ok"]
            n_rules = sum(len(g["rules"]) for g in doc["data"]["groups"])
            chk.true(f"all {n_rules} loaded rules healthy", not unhealthy and n_rules >= len(rules),
                     "ok", "; ".join(unhealthy) if unhealthy else "")

            # ---- alerts
            doc = prom.api("/api/v1/alerts")
            alerts = doc["data"]["alerts"]
            err_alert = [a for a in alerts if a["labels"].get("alertname") == "HttpServerErrorRatioHigh"
                         and a["labels"].get("service_name") == SERVICE]
            chk.true("HttpServerErrorRatioHigh{service_name=nginx} pending (5 % > 1 %, for 5m)",
                     len(err_alert) == 1 and err_alert[0]["state"] == "pending", "pending",
                     "" if len(err_alert) == 1 and err_alert[0]["state"] == "pending"
                     else str([a["state"] for a in err_alert]))
            down = [a for a in alerts if a["labels"].get("alertname") == "RedeyeDown"]
            chk.true("RedeyeDown not active", not down, "none", str(down))
            wrong = [a["labels"] for a in alerts
                     if a["labels"].get("alertname") in ("MesApiLatencyHigh", "CrmApiErrorRatioHigh",
                                                         "MesApiInstanceRequestRateHigh")]
            chk.true("no MES/CRM alert for nginx", not wrong, "none", str(wrong))
            drops = [a["labels"] for a in alerts if a["labels"].get("alertname") == "RedeyeDroppingEvents"]
            if drops:
                h.log(f"note: RedeyeDroppingEvents active: {drops}")

            # ---- the Kubernetes job's relabelling
            doc = prom.api("/api/v1/targets", state="any")
            active = [t for t in doc["data"]["activeTargets"]
                      if t["labels"].get("job") == "redeye-k8s-relabel-check"]
            dropped = [t for t in doc["data"]["droppedTargets"]
                       if t["discoveredLabels"].get("job") == "redeye-k8s-relabel-check"]
            want = {"job": "redeye-k8s-relabel-check", "instance": "node-1", "node": "node-1",
                    "namespace": "redeye"}
            got = [t["labels"] for t in active]
            chk.true("kubernetes job keeps only the running redeye pod's metrics port, labels node/instance",
                     got == [want], str(want), str(got))
            chk.eq("kubernetes job drops the other 3 fake pods/ports", 3, len(dropped))

            # ---- dashboards
            present = set()
            for line in raw.splitlines():
                m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}", line)
                if m and f'service_name="{SERVICE}"' in m.group(2):
                    present.add(m.group(1))
            # Histogram/counter families appear with suffixes; record base names too.
            present |= {re.sub(r"_(bucket|sum|count)$", "", n) for n in present}

            doc = prom.api("/api/v1/label/service_name/values", **{"match[]": "target_info"})
            chk.true("dashboard variable label_values(target_info, service_name) offers nginx",
                     SERVICE in doc.get("data", []), f"{SERVICE} in list", str(doc.get("data")))

            n_queries = 0
            exceptions = []
            for name in DASHBOARDS:
                with open(os.path.join(DASH_DIR, name)) as f:
                    dash = json.load(f)
                check_dashboard_json(chk, name, dash)
                all_value = next((v.get("allValue") for v in dash["templating"]["list"]
                                  if v.get("name") == "service_name"), None) or ".*"
                for title, ref, expr in dashboard_targets(dash):
                    names = metric_names(expr)
                    maybe = [m for m in names if m in MAY_BE_ABSENT and m not in present]
                    # One service; two selected (Grafana's regex form); "All" (the allValue).
                    for value in (SERVICE, f"({SERVICE}|prometheus)", all_value):
                        q = substitute(expr, value)
                        n_queries += 1
                        tag = f"{name} / {title} / {ref} [$service_name={value}]"
                        if maybe:
                            res = prom.vector(f"({q}) or vector(0)")   # raises if invalid
                            chk.true(f"{tag}: valid (may be empty: {', '.join(maybe)})", bool(res),
                                     "valid", "")
                            if value == SERVICE:
                                exceptions.append((name, title, ref, maybe))
                            continue
                        res = prom.vector(q)
                        chk.true(f"{tag}: returns series", bool(res), ">= 1", "" if res else "0")
            for name, title, ref, maybe in exceptions:
                h.log(f"EXCEPTION (no data on this machine, query valid): {name} / {title} / {ref}: "
                      + "; ".join(f"{m}: {MAY_BE_ABSENT[m]}" for m in maybe))
            h.log(f"{n_queries} dashboard queries evaluated, {len(exceptions)} exception(s)")

            elapsed = time.monotonic() - t_begin
            h.log(f"test body took {elapsed:.1f} s; driven {load['rate']:.3f} req/s, recorded "
                  f"{recorded:.3f} req/s ({(recorded / load['rate'] - 1) * 100:+.2f} %)")

    finally:
        code = h.conclude(chk, guard, [
            ("prometheus log (tail)", lambda: prom.logs() if prom else ""),
            h.agent_stderr(agent, 4000),
            ("nginx logs (tail)", lambda: nginx.logs()[-3000:]),
        ])
        if prom is not None:
            prom.stop()
        if agent is not None:
            agent.stop()
        nginx.stop()
        nginx.cleanup()
        if cgroup:
            remove_cgroup(cgroup)
        shutil.rmtree(workdir, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
