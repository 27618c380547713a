#!/usr/bin/python3
"""End-to-end: redeye measures PostgreSQL exactly, from the client and from the server.

Starts a private PostgreSQL (Debian's package) in a temp dir on a free 127.0.0.1 port with
pg_stat_statements and SCRAM authentication over TCP, initialises pgbench's tables, then
starts `redeye run` with a config naming pgbench "shop-app", psql "shop-cli" and the
database "shop-db", and checks:
  * pgbench -M simple / extended / prepared for an exact number of transactions: per
    operation, db_client_operation_duration_seconds_count of shop-app and
    db_server_operation_duration_seconds_count of shop-db equal pgbench's statements per
    transaction x transactions (tpcb-like: BEGIN, UPDATE x3, SELECT, INSERT, END -> COMMIT),
    and pg_stat_statements' calls agree;
  * an error case: K failing queries (SQLSTATE 42P01) from psql give error_type="42P01"
    counts of exactly K on both sides;
  * a psql session connected before the agent started is measured from its next query on
    (the kernel classifies it mid-stream by its Query message);
  * process_open_tcp_connections{service_name="shop-db",connection_direction="server"}
    equals pg_stat_activity's TCP client backends while idle psql sessions are held open;
  * the agent's self-metrics: connections classified, data events, no postgresql parse
    errors, no dropped events.

pgbench reads its script from a FIFO: it starts, blocks on the FIFO, and is given the
script (pgbench's own tpcb-like, from --show-script) only once the agent has named it, so
its connections are followed from their first byte.

Exit codes: 0 pass, 1 fail, 77 skipped (not root / no BTF).
"""

import argparse
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Dict, List, Optional

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

PG_BIN = "/usr/lib/postgresql/15/bin"
INITDB = f"{PG_BIN}/initdb"
POSTGRES = f"{PG_BIN}/postgres"
PGBENCH = f"{PG_BIN}/pgbench"
PSQL = f"{PG_BIN}/psql"
PG_USER = "postgres"
DB, DB_USER, DB_PASSWORD = "shop", "shop", "redeye-secret"

# tpcb-like: statements per transaction by the operation redeye names them.
TPCB_OPS = {"BEGIN": 1, "UPDATE": 3, "SELECT": 1, "INSERT": 1, "COMMIT": 1}
MODES = ("simple", "extended", "prepared")
CLIENTS, TX_PER_CLIENT = 4, 50
ERRORS = 7  # failing queries in the error case
IDLE_SESSIONS = 5
PRE_SELECTS, PRE_UPDATES = 5, 3  # queries on the session opened before the agent


# --------------------------------------------------------------------------
# a private PostgreSQL


class PgServer:
    """initdb + postgres as user `postgres` in a private temp dir, unix socket in that dir,
    TCP on 127.0.0.1:<free port>, pg_stat_statements preloaded, SCRAM for TCP clients."""

    def __init__(self, port: Optional[int] = None, extra_settings: Optional[List[str]] = None,
                 taskset_cpu: Optional[int] = None):
        self.port = port or h.free_port()
        self.extra = list(extra_settings or [])
        self.taskset_cpu = taskset_cpu
        self.dir = tempfile.mkdtemp(prefix="redeye-pg-")
        self.data = os.path.join(self.dir, "data")
        self.proc: Optional[subprocess.Popen] = None
        pw = pwd.getpwnam(PG_USER)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        os.chown(self.dir, self.uid, self.gid)
        os.chmod(self.dir, 0o755)

    def _as_postgres(self, argv: List[str], timeout: float = 120.0,
                     env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
        h.log("$ " + " ".join(argv))
        try:
            return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=timeout, user=self.uid,
                                  group=self.gid, extra_groups=[], cwd=self.dir, env=env)
        except subprocess.TimeoutExpired as e:
            raise h.TestFailure(f"{argv[0]} did not finish within {timeout}s") from e

    def start(self, timeout: float = 30.0) -> "PgServer":
        for tool in (INITDB, POSTGRES, PGBENCH, PSQL):
            h.require_executable(tool, "PostgreSQL 15 (apt-get install postgresql postgresql-contrib)")
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write("unused-superuser-password\n")
        os.chown(pwfile, self.uid, self.gid)
        r = self._as_postgres([INITDB, "-D", self.data, "-U", PG_USER, "--auth-local=trust",
                               "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8",
                               "--locale=C", "--no-sync"])
        if r.returncode != 0:
            raise h.TestFailure("initdb failed:\n" + r.stdout.decode(errors="replace"))
        argv = [POSTGRES, "-D", self.data, "-k", self.dir, "-p", str(self.port),
                "-c", "listen_addresses=127.0.0.1",
                "-c", "shared_preload_libraries=pg_stat_statements",
                "-c", "max_connections=60", "-c", "fsync=off", "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off", "-c", "logging_collector=off"]
        for setting in self.extra:
            argv += ["-c", setting]
        if self.taskset_cpu is not None and shutil.which("taskset"):
            argv = ["taskset", "-c", str(self.taskset_cpu)] + argv
        h.log(f"starting postgres on 127.0.0.1:{self.port} (dir {self.dir})")
        self.proc = h.spawn(argv, os.path.join(self.dir, "stdout.log"),
                            os.path.join(self.dir, "postgres.log"), user=self.uid, group=self.gid,
                            extra_groups=[], cwd=self.dir)

        def up() -> bool:
            if self.proc.poll() is not None:
                raise h.TestFailure(f"postgres exited early with {self.proc.returncode}:\n"
                                    + self.logs())
            return os.path.exists(os.path.join(self.dir, f".s.PGSQL.{self.port}")) and \
                h.port_open("127.0.0.1", self.port)
        h.wait_until(up, timeout, what=f"postgres on port {self.port}")
        self.sql(f"CREATE ROLE {DB_USER} LOGIN PASSWORD '{DB_PASSWORD}'", db="postgres")
        self.sql(f"CREATE DATABASE {DB} OWNER {DB_USER}", db="postgres")
        self.sql("CREATE EXTENSION pg_stat_statements")
        return self

    def sql(self, query: str, db: str = DB) -> str:
        """Runs SQL as the superuser over the unix socket (not TCP: the agent sees none of
        it); returns unaligned, tuples-only output."""
        r = self._as_postgres([PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                               "-h", self.dir, "-p", str(self.port), "-U", PG_USER, "-d", db,
                               "-c", query], timeout=60)
        if r.returncode != 0:
            raise h.TestFailure(f"psql {query!r} failed:\n" + r.stdout.decode(errors="replace"))
        return r.stdout.decode(errors="replace").strip()

    def client_env(self) -> Dict[str, str]:
        env = dict(os.environ)
        env.update(PGPASSWORD=DB_PASSWORD, PGHOST="127.0.0.1", PGPORT=str(self.port),
                   PGUSER=DB_USER, PGDATABASE=DB, PGSSLMODE="prefer", PGAPPNAME="redeye-test")
        env.pop("PGSERVICE", None)
        return env

    def pgbench_init(self, scale: int = 1) -> None:
        argv = [PGBENCH, "-i", "-q", "-s", str(scale)]
        h.log("$ " + " ".join(argv))
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=300, env=self.client_env(),
                           preexec_fn=h._child_setup)
        if r.returncode != 0:
            raise h.TestFailure("pgbench -i failed:\n" + r.stdout.decode(errors="replace"))

    def logs(self) -> str:
        return h.read_text(os.path.join(self.dir, "postgres.log"))

    def stop(self) -> None:
        if self.proc is not None:
            # SIGINT = fast shutdown: backends are terminated, then the postmaster exits.
            h.stop_process(self.proc, signal.SIGINT, timeout=20)
            self.proc = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def tpcb_script() -> str:
    """pgbench's builtin tpcb-like script, as pgbench itself shows it."""
    r = subprocess.run([PGBENCH, "--show-script=tpcb-like"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    lines = r.stdout.decode().splitlines()
    body = [l for l in lines if not l.startswith("--")]
    if r.returncode != 0 or not any(l.startswith("BEGIN") for l in body):
        raise h.TestFailure("pgbench --show-script=tpcb-like:\n" + r.stdout.decode())
    return "\n".join(body) + "\n"


class FifoPgbench:
    """pgbench with its script in a FIFO: started now, it blocks until release()."""

    def __init__(self, pg: PgServer, workdir: str, args: List[str], script: str):
        self.fifo = os.path.join(workdir, f"script-{time.monotonic_ns()}.sql")
        os.mkfifo(self.fifo, 0o644)
        self.script = script
        self.out = os.path.join(workdir, f"pgbench-{time.monotonic_ns()}.out")
        argv = [PGBENCH, "-n", "-f", self.fifo] + args
        h.log("$ " + " ".join(argv))
        with open(self.out, "wb") as out:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, env=pg.client_env(),
                                         preexec_fn=h._child_setup)

    def release(self, timeout: float = 10.0) -> None:
        # Opening for writing blocks until pgbench opens for reading (it does at once).
        done = threading.Event()

        def write() -> None:
            with open(self.fifo, "w") as f:
                f.write(self.script)
            done.set()
        t = threading.Thread(target=write, daemon=True)
        t.start()
        if not done.wait(timeout):
            raise h.TestFailure(f"pgbench did not open its script FIFO within {timeout}s:\n"
                                + self.output())

    def wait(self, timeout: float) -> str:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            h.stop_process(self.proc)
            raise h.TestFailure(f"pgbench did not finish within {timeout}s:\n" + self.output())
        return self.output()

    def output(self) -> str:
        return h.read_text(self.out)

    def kill(self) -> None:
        if self.proc.poll() is None:
            h.stop_process(self.proc)


def pgbench_result(out: str) -> Dict[str, float]:
    res = {}
    m = re.search(r"number of transactions actually processed: (\d+)(?:/(\d+))?", out)
    res["processed"] = int(m.group(1)) if m else -1
    m = re.search(r"number of failed transactions: (\d+)", out)
    res["failed"] = int(m.group(1)) if m else 0
    m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    res["tps"] = float(m.group(1)) if m else float("nan")
    return res


def agent_config(pg_port: int, use_interval: str = "500ms") -> str:
    return f"""
discovery:
  listening_processes: false
  use_interval: {use_interval}
services:
  - name: shop-app
    match:
      exe: "*/pgbench"
  - name: shop-cli
    match:
      exe: "*/psql"
  - name: shop-db
    match:
      exe: "*/postgres"
      port: {pg_port}
"""


def wait_for_service(agent: h.Agent, name: str, timeout: float = 15.0) -> None:
    """Until the agent counts at least one process of `name` (it then follows it)."""
    def known() -> bool:
        v = h.one(agent.scrape(), "service_process_count", service_name=name)
        return v is not None and v >= 1
    h.wait_until(known, timeout, interval=0.1, what=f"the agent to follow service {name}")


def op_counts(metrics: h.Metrics, family: str, **labels: str) -> Dict[tuple, float]:
    """{(db_operation_name, error_type): count} of one family's _count series."""
    out: Dict[tuple, float] = {}
    for key, value in h.select(metrics, family + "_count", **labels).items():
        d = dict(key[1])
        k = (d.get("db_operation_name"), d.get("error_type"))
        out[k] = out.get(k, 0.0) + value
    return out


def delta(after: Dict[tuple, float], before: Dict[tuple, float]) -> Dict[tuple, float]:
    out = {}
    for k, v in after.items():
        d = v - before.get(k, 0.0)
        if d != 0:
            out[k] = d
    return out


def fmt_ops(d: Dict[tuple, float]) -> str:
    return ", ".join(f"{op}{'/' + err if err else ''}={v:g}" for (op, err), v in sorted(d.items()))


CLIENT = "db_client_operation_duration_seconds"
SERVER = "db_server_operation_duration_seconds"


class Sides:
    """Both sides' operation counts, for deltas around a run."""

    def __init__(self, agent: h.Agent, pg: PgServer, client_service: str):
        self.agent, self.pg, self.client_service = agent, pg, client_service

    def snapshot(self, metrics: Optional[h.Metrics] = None):
        m = metrics if metrics is not None else self.agent.scrape()
        return (op_counts(m, CLIENT, service_name=self.client_service, db_system_name="postgresql",
                          server_address="127.0.0.1", server_port=str(self.pg.port)),
                op_counts(m, SERVER, service_name="shop-db", db_system_name="postgresql",
                          server_port=str(self.pg.port)))

    def settle(self, before, want: Dict[tuple, float], timeout: float):
        """Waits (bounded) until both sides' deltas equal `want`, or stop changing."""
        deadline = time.monotonic() + timeout
        last, since = None, time.monotonic()
        while True:
            now = self.snapshot()
            d = (delta(now[0], before[0]), delta(now[1], before[1]))
            if d[0] == want and d[1] == want:
                time.sleep(0.5)  # nothing more may trickle in
                now = self.snapshot()
                return (delta(now[0], before[0]), delta(now[1], before[1]))
            if d != last:
                last, since = d, time.monotonic()
            elif time.monotonic() - since > 4.0:
                return d
            if time.monotonic() >= deadline:
                return d
            time.sleep(0.25)


# --------------------------------------------------------------------------
# the test


def run_mode(chk: h.Checker, agent: h.Agent, pg: PgServer, workdir: str, script: str, mode: str,
             settle_timeout: float) -> None:
    pg.sql("SELECT pg_stat_statements_reset()")
    sides = Sides(agent, pg, "shop-app")
    before = sides.snapshot()
    bench = FifoPgbench(pg, workdir, ["-M", mode, "-c", str(CLIENTS), "-j", "2",
                                      "-t", str(TX_PER_CLIENT)], script)
    try:
        wait_for_service(agent, "shop-app")
        bench.release()
        out = bench.wait(timeout=180)
    finally:
        bench.kill()
    res = pgbench_result(out)
    tx = CLIENTS * TX_PER_CLIENT
    chk.eq(f"[{mode}] pgbench transactions processed", tx, res["processed"])
    chk.eq(f"[{mode}] pgbench failed transactions", 0, res["failed"])
    if bench.proc.returncode != 0:
        raise h.TestFailure(f"pgbench -M {mode} failed ({bench.proc.returncode}):\n{out}")
    want = {(op, ""): float(n * tx) for op, n in TPCB_OPS.items()}
    client, server = sides.settle(before, want, settle_timeout)
    h.log(f"[{mode}] pgbench {tx} transactions; redeye client: {fmt_ops(client)}; "
          f"server: {fmt_ops(server)}")
    for (op, err), n in sorted(want.items()):
        chk.eq(f"[{mode}] shop-app db_client_operation_duration_seconds_count{{{op}}}", n,
               client.get((op, err), 0.0))
        chk.eq(f"[{mode}] shop-db db_server_operation_duration_seconds_count{{{op}}}", n,
               server.get((op, err), 0.0))
    chk.true(f"[{mode}] no other client operations", set(client) <= set(want), "none",
             fmt_ops({k: v for k, v in client.items() if k not in want}))
    chk.true(f"[{mode}] no other server operations", set(server) <= set(want), "none",
             fmt_ops({k: v for k, v in server.items() if k not in want}))
    # pg_stat_statements: the database's own count of what ran.
    calls = pg.sql("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
                   "WHERE query LIKE 'UPDATE pgbench_accounts%'")
    chk.eq(f"[{mode}] pg_stat_statements calls of UPDATE pgbench_accounts", tx, int(calls))
    for op, pattern in (("UPDATE", "UPDATE pgbench_%"), ("INSERT", "INSERT INTO pgbench_history%"),
                        ("SELECT", "SELECT abalance%")):
        calls = int(pg.sql("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
                           f"WHERE query LIKE '{pattern}'"))
        chk.eq(f"[{mode}] redeye {op} (client) == pg_stat_statements calls", calls,
               client.get((op, ""), 0.0))
    # Durations: positive and below the run's length.
    m = agent.scrape()
    for fam, svc in ((CLIENT, "shop-app"), (SERVER, "shop-db")):
        s = h.one(m, fam + "_sum", service_name=svc, db_operation_name="UPDATE", error_type="",
                  server_port=str(pg.port))
        chk.true(f"[{mode}] {fam}_sum{{{svc},UPDATE}} > 0", s is not None and s > 0, "> 0",
                 h._fmt(s))
    h.check_io_hooks(chk, m)
    h.check_connection_counts(chk, m)


def run_errors(chk: h.Checker, agent: h.Agent, pg: PgServer, settle_timeout: float) -> None:
    sides = Sides(agent, pg, "shop-cli")
    before = sides.snapshot()
    argv = [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=0"]
    h.log("$ " + " ".join(argv) + " (stdin: failing queries)")
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=pg.client_env(), preexec_fn=h._child_setup)
    try:
        wait_for_service(agent, "shop-cli")
        script = "SELECT * FROM no_such_table;\n" * ERRORS + "SELECT 1;\n\\q\n"
        out, err = proc.communicate(script.encode(), timeout=60)
    finally:
        if proc.poll() is None:
            h.stop_process(proc)
    n_errors = err.decode(errors="replace").count('relation "no_such_table" does not exist')
    chk.eq("psql: errors reported", ERRORS, n_errors)
    want = {("SELECT", "42P01"): float(ERRORS), ("SELECT", ""): 1.0}
    client, server = sides.settle(before, want, settle_timeout)
    h.log(f"[errors] redeye client: {fmt_ops(client)}; server: {fmt_ops(server)}")
    chk.eq('shop-cli db_client_operation_duration_seconds_count{SELECT, error_type="42P01"}',
           ERRORS, client.get(("SELECT", "42P01"), 0.0))
    chk.eq('shop-db db_server_operation_duration_seconds_count{SELECT, error_type="42P01"}',
           ERRORS, server.get(("SELECT", "42P01"), 0.0))
    chk.eq('shop-cli db_client_operation_duration_seconds_count{SELECT, error_type=""}', 1,
           client.get(("SELECT", ""), 0.0))


def start_preexisting(pg: PgServer) -> subprocess.Popen:
    """A psql session connected (and used once) before the agent starts."""
    proc = subprocess.Popen([PSQL, "-X", "-q", "-A", "-t"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=pg.client_env(),
                            preexec_fn=h._child_setup)
    proc.stdin.write(b"SELECT 1;\n")
    proc.stdin.flush()
    query = ("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
             "AND client_addr IS NOT NULL AND state = 'idle'")
    h.wait_until(lambda: int(pg.sql(query)) >= 1, 20, what="the pre-existing psql session")
    return proc


def run_preexisting(chk: h.Checker, agent: h.Agent, pg: PgServer, proc: subprocess.Popen,
                    settle_timeout: float) -> None:
    sides = Sides(agent, pg, "shop-cli")
    before = sides.snapshot()
    script = ("SELECT 1;\n" * PRE_SELECTS +
              "UPDATE pgbench_branches SET bbalance = bbalance WHERE bid = 1;\n" * PRE_UPDATES +
              "\\q\n")
    out, _ = proc.communicate(script.encode(), timeout=60)
    want = {("SELECT", ""): float(PRE_SELECTS), ("UPDATE", ""): float(PRE_UPDATES)}
    client, server = sides.settle(before, want, settle_timeout)
    h.log(f"[pre-existing] redeye client: {fmt_ops(client)}; server: {fmt_ops(server)}")
    chk.eq("psql exit code (session opened before the agent)", 0, proc.returncode)
    for (op, err), n in sorted(want.items()):
        chk.eq(f"[pre-existing] shop-cli db_client_operation_duration_seconds_count{{{op}}}", n,
               client.get((op, err), 0.0))
        chk.eq(f"[pre-existing] shop-db db_server_operation_duration_seconds_count{{{op}}}", n,
               server.get((op, err), 0.0))


def run_connections(chk: h.Checker, agent: h.Agent, pg: PgServer, timeout: float) -> None:
    idle = []
    try:
        for _ in range(IDLE_SESSIONS):
            idle.append(subprocess.Popen([PSQL, "-X", "-q"], stdin=subprocess.PIPE,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         env=pg.client_env(), preexec_fn=h._child_setup))
        query = ("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                 "AND client_addr IS NOT NULL")
        h.wait_until(lambda: int(pg.sql(query)) >= IDLE_SESSIONS, 20,
                     what=f"{IDLE_SESSIONS} idle psql sessions")
        backends = int(pg.sql(query))
        got = None

        def equal() -> bool:
            nonlocal got
            got = h.one(agent.scrape(), "process_open_tcp_connections", service_name="shop-db",
                        connection_direction="server")
            return got == backends
        try:
            h.wait_until(equal, timeout, interval=0.25, what="open connections to settle")
        except h.TestFailure:
            pass
        chk.eq("pg_stat_activity TCP client backends (idle psql sessions held open)",
               IDLE_SESSIONS, backends)
        chk.eq('process_open_tcp_connections{service_name="shop-db",connection_direction="server"}'
               " == pg_stat_activity TCP client backends", backends, got)
    finally:
        for p in idle:
            try:
                p.stdin.close()
            except OSError:
                pass
        for p in idle:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                h.stop_process(p)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--redeye", required=True, help="path to the redeye binary")
    ap.add_argument("--settle-timeout", type=float, default=20.0)
    args = ap.parse_args()

    h.require_root_and_btf()
    for tool in (INITDB, POSTGRES, PGBENCH, PSQL):
        if not os.access(tool, os.X_OK):
            print(f"FAIL: {tool} is missing (apt-get install -y postgresql postgresql-contrib)",
                  file=sys.stderr)
            return 1
    h.install_signal_handlers()

    workdir = tempfile.mkdtemp(prefix="redeye-it-pg-")
    os.chmod(workdir, 0o755)
    pg = PgServer()
    agent = None
    pre = None
    chk = h.Checker()
    guard = h.Guard()
    try:
        with guard:
            pg.start()
            pg.pgbench_init(scale=1)  # not measured: before the agent
            script = tpcb_script()
            pre = start_preexisting(pg)
            config = os.path.join(workdir, "redeye.yaml")
            with open(config, "w") as f:
                f.write(agent_config(pg.port))
            agent = h.Agent(args.redeye, args=["--config", config], log_level="info", workdir=workdir)
            agent.start(timeout=30)
            wait_for_service(agent, "shop-db")

            for mode in MODES:
                run_mode(chk, agent, pg, workdir, script, mode, args.settle_timeout)
            run_errors(chk, agent, pg, args.settle_timeout)
            run_preexisting(chk, agent, pg, pre, args.settle_timeout)
            run_connections(chk, agent, pg, args.settle_timeout)
            if not agent.alive():
                raise h.TestFailure(f"agent died; stderr:\n{agent.stderr()}")

            # ---- self-metrics
            m = agent.scrape()
            classified = h.total(m, "redeye_connections_classified_total")
            chk.true("redeye_connections_classified_total > 0", classified > 0, "> 0", h._fmt(classified))
            data = h.one(m, "redeye_events_received_total", type="data")
            chk.true('redeye_events_received_total{type="data"} > 0', bool(data), "> 0", h._fmt(data))
            perr = h.select(m, "redeye_parse_errors_total", protocol="postgresql")
            chk.true("redeye_parse_errors_total{protocol=postgresql} series exist", bool(perr),
                     "present", "" if perr else "missing")
            chk.eq("sum(redeye_parse_errors_total{protocol=postgresql})", 0, sum(perr.values()))
            drops = h.select(m, "redeye_events_dropped_total")
            chk.eq("sum(redeye_events_dropped_total)", 0, sum(drops.values()) if drops else None)
            raw_text = agent.scrape_text()

            exit_code = agent.stop(timeout=10)
            chk.eq("agent exit code after SIGTERM", 0, exit_code)

    finally:
        code = h.conclude(chk, guard, [
            h.series_lines("db_*/redeye series on the last scrape", lambda: raw_text,
                           ("db_client_operation_duration_seconds_count",
                            "db_server_operation_duration_seconds_count", "redeye_",
                            "process_open_tcp_connections")),
            h.agent_stderr(agent, 6000),
            ("postgres log (tail)", lambda: pg.logs()[-3000:]),
        ])
        if pre is not None and pre.poll() is None:
            h.stop_process(pre)
        if agent is not None:
            agent.stop()
        pg.stop()
        pg.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
