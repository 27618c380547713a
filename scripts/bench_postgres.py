#!/usr/bin/python3
"""PostgreSQL overhead benchmark for redeye (driven by scripts/bench_postgres.sh).

A private PostgreSQL 15 (as in tests/integration/test_postgres.py: temp dir, free loopback
port, fsync off) is loaded by `pgbench -M prepared -c C -j 1 -T D` running pgbench's own
tpcb-like script. Three arms are run in alternation for ROUNDS rounds (the order is rotated
every round so slow drift of the machine does not favour one arm):

  none   no agent
  empty  `redeye run --bench-empty-probes`: the same probes attached, every program returns
         at once: the tracepoint floor of this machine
  full   `redeye run` with a config naming pgbench ("shop-app") and postgres ("shop-db"):
         every statement is parsed twice, from the client's and from the server's side
  server (only with ARMS=...,server) the full agent following postgres alone (server side)
  baseline  (only with REDEYE_BASELINE=/path/to/old/redeye; in the default ARMS then) the full
         agent, same flags and config, from that second binary: two builds compared in one
         alternated run

pgbench gets its script through a FIFO and is released only once the agent follows it, so
its connections are measured from their first byte (in the other arms at once).

Reported: median transactions/s per arm and the ratio full/none (bar >= 0.95); for the full
agent the CPU it used per query (utime+stime from /proc/<pid>/stat over the run / SQL
statements pgbench completed, 7 per transaction), VmRSS at the end, the operations it
counted (client + server side) against what pgbench ran, and redeye_events_dropped_total.
With a baseline arm the same figures for it (and its own bpf_stats profile run), and the full
agent against the baseline: the median of per-round ratios, its 95 % bootstrap interval, and
"too noisy to tell" when that interval contains 1.

Pinning (default when the machine has >= 2 CPUs, PIN=0 disables): postgres on CPU 0,
pgbench on CPU 1, the agent unpinned.

Standard library only; run with /usr/bin/python3 as root.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import harness as h  # noqa: E402
import test_postgres as pgt  # noqa: E402
import bench_http  # noqa: E402  (write_section, cpu_model, loadavg, paired_ratios, verdict)

h.LOG_STREAM = sys.stderr  # stdout carries only the Markdown

SECTION = "PostgreSQL benchmark"
ALL_ARMS = ("none", "empty", "full", "server", "baseline")
BASELINE = bench_http.BASELINE  # REDEYE_BASELINE: a second (older) redeye binary
ARMS_ASKED = os.environ.get("ARMS") or ("none,empty,full" + (",baseline" if BASELINE else ""))
ARMS = tuple(a for a in ARMS_ASKED.split(",") if a in ALL_ARMS)
ARM_TITLE = {"none": "no agent", "empty": "`redeye run --bench-empty-probes`",
             "full": "`redeye run` (full agent, client + server side)",
             "server": "`redeye run` following postgres only (server side)",
             "baseline": "`redeye run` (baseline: REDEYE_BASELINE, full agent, client + server "
                         "side)"}
AGENT_ARMS = ("full", "baseline")  # the full agent, from --redeye or from REDEYE_BASELINE
BARS = dict(ratio=0.95)
STATEMENTS_PER_TX = sum(pgt.TPCB_OPS.values())


def env_int(name, default):
    v = os.environ.get(name)
    return int(v) if v not in (None, "") else default


def pg_version():
    try:
        r = subprocess.run([pgt.POSTGRES, "--version"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=10)
        m = re.search(r"\(PostgreSQL\) (\S+)", r.stdout.decode())
        return m.group(1) if m else "?"
    except Exception:
        return "?"


def other_agents(own_pid=None):
    """Pids of redeye agents this benchmark did not start (they trace our processes too)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == own_pid:
            continue
        try:
            if os.path.basename(os.readlink(f"/proc/{d}/exe")) == "redeye":
                pids.append(int(d))
        except OSError:
            continue
    return pids


class CpuSnapshot:
    """Machine CPU time (user+nice+system) and the part of it that is ours: the postgres
    process tree (live processes plus what the postmaster reaped), pgbench (a child of this
    script), the agent. The rest is other processes competing for the 2 CPUs."""

    def __init__(self, pg, agent_pid, clk_tck):
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        self.machine = (v[0] + v[1] + v[2]) / clk_tck
        self.steal = (v[7] if len(v) > 7 else 0) / clk_tck
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        ticks = 0
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid, pgrp = int(d), int(fields[2])
            if pgrp == pg.proc.pid or pid == agent_pid:
                ticks += int(fields[11]) + int(fields[12])
                if pid == pg.proc.pid:  # backends that exited
                    ticks += int(fields[13]) + int(fields[14])
        self.ours = ticks / clk_tck + ru.ru_utime + ru.ru_stime

    @staticmethod
    def other_pct(a, b, seconds):
        return max(0.0, (b.machine - a.machine) - (b.ours - a.ours)) / seconds * 100.0

    @staticmethod
    def steal_pct(a, b, seconds):
        return (b.steal - a.steal) / seconds * 100.0


def maintenance(pg):
    """The same database state before every run: no dead rows, no history, clean buffers."""
    pg.sql("TRUNCATE pgbench_history")
    pg.sql("VACUUM ANALYZE pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history")
    pg.sql("CHECKPOINT", db="postgres")


def counted_ops(metrics, port):
    total = 0.0
    for fam in (pgt.CLIENT, pgt.SERVER):
        total += h.total(metrics, fam + "_count", db_system_name="postgresql",
                         server_port=str(port))
    return total


def bpf_program_stats():
    """{prog id: (name, run_time_ns, run_cnt)} of every loaded BPF program."""
    r = subprocess.run(["bpftool", "prog", "show", "--json"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, timeout=30)
    try:
        progs = json.loads(r.stdout or b"[]")
    except ValueError:
        return {}
    return {p["id"]: (p.get("name", "?"), p.get("run_time_ns", 0), p.get("run_cnt", 0))
            for p in progs}


def set_bpf_stats(on):
    try:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write("1" if on else "0")
        return True
    except OSError:
        return False


def run_arm(arm, args, pg, workdir, script, pin, clk_tck, bpf_stats=False):
    res = dict(arm=arm)
    agent = None
    bench = None
    maintenance(pg)
    res["other_agents"] = len(other_agents())
    try:
        if arm != "none":
            config = os.path.join(workdir, "redeye.yaml")
            with open(config, "w") as f:
                # The default USE interval: every round reads /proc/net/tcp (a walk of the
                # kernel's whole TCP hash table), a per-interval cost, not a per-query one.
                text = pgt.agent_config(pg.port, use_interval="5s")
                if arm == "server":  # no rule for pgbench: only the database is followed
                    text = text.replace('exe: "*/pgbench"', 'exe: "/nonexistent/pgbench"')
                f.write(text)
            extra = ["--bench-empty-probes"] if arm == "empty" else []
            agent = h.Agent(bench_http.arm_binary(arm, args), args=["--config", config] + extra,
                            log_level="warn", workdir=workdir)
            agent.start(timeout=30)
            if args.agent_cpu is not None:  # all of its threads
                subprocess.run(["taskset", "-a", "-p", "-c", str(args.agent_cpu), str(agent.pid)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
            if arm in ("full", "server", "baseline"):
                pgt.wait_for_service(agent, "shop-db")
            time.sleep(1.0)  # let attach-time work finish
            ops0 = counted_ops(agent.scrape(), pg.port)
        argv = ["-M", "prepared", "-c", str(args.clients), "-j", "1", "-T", str(args.duration)]
        bench = pgt.FifoPgbench(pg, workdir, argv, script)
        if pin:
            subprocess.run(["taskset", "-p", "-c", "1", str(bench.proc.pid)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
        if arm in AGENT_ARMS:  # (empty programs see no process events: nothing to wait for)
            pgt.wait_for_service(agent, "shop-app")
        if agent is not None:
            t0 = h.proc_cpu_ticks(agent.pid)
        snap0 = CpuSnapshot(pg, agent.pid if agent is not None else None, clk_tck)
        if bpf_stats and set_bpf_stats(True):
            progs0 = bpf_program_stats()
        w0 = time.monotonic()
        bench.release()
        out = bench.wait(timeout=args.duration + 120)
        wall = time.monotonic() - w0
        if bpf_stats:
            progs1 = bpf_program_stats()
            set_bpf_stats(False)
            res["bpf"] = {}
            for pid, (name, t1, c1) in progs1.items():
                if pid in progs0 and c1 > progs0[pid][2]:
                    t, c = res["bpf"].get(name, (0, 0))
                    res["bpf"][name] = (t + t1 - progs0[pid][1], c + c1 - progs0[pid][2])
        snap1 = CpuSnapshot(pg, agent.pid if agent is not None else None, clk_tck)
        res["other_pct"] = CpuSnapshot.other_pct(snap0, snap1, wall)
        res["steal_pct"] = CpuSnapshot.steal_pct(snap0, snap1, wall)
        others = other_agents(agent.pid if agent is not None else None)
        res["other_agents"] = max(res["other_agents"], len(others))
        if bench.proc.returncode != 0:
            raise h.TestFailure(f"pgbench failed ({bench.proc.returncode}):\n{out}")
        r = pgt.pgbench_result(out)
        res.update(tps=r["tps"], tx=r["processed"], failed=r["failed"], wall=wall)
        if agent is not None:
            if not agent.alive():
                raise h.TestFailure(f"agent died during the run:\n{agent.stderr()[-3000:]}")
            t1 = h.proc_cpu_ticks(agent.pid)
            queries = max(r["processed"] * STATEMENTS_PER_TX, 1)
            res["cpu_s"] = (t1 - t0) / clk_tck
            res["cpu_us_per_query"] = res["cpu_s"] * 1e6 / queries
            res["rss_mib"] = h.proc_rss_kib(agent.pid) / 1024.0
            # Let the last events drain, then compare what was counted with what ran.
            want = {"full": 2 * queries, "baseline": 2 * queries, "server": queries}.get(arm, 0)
            deadline = time.monotonic() + 10
            while True:
                m = agent.scrape()
                res["io_hooks"] = bench_http.io_hooks_of(m)
                counted = counted_ops(m, pg.port) - ops0
                if counted >= want or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            res["counted"] = counted
            res["expected"] = want
            drops = h.select(m, "redeye_events_dropped_total")
            res["drops"] = int(sum(drops.values())) if drops else None
            perr = h.select(m, "redeye_parse_errors_total", protocol="postgresql")
            res["parse_errors"] = int(sum(perr.values())) if perr else 0
            res["exit_code"] = agent.stop()
    finally:
        if bpf_stats:
            set_bpf_stats(False)
        if bench is not None:
            bench.kill()
        if agent is not None:
            agent.stop()
    return res


PROFILE_ARM = {"full": "profile", "baseline": "profile-baseline"}  # their bpf_stats runs


def bpf_ns_per_tx(profile):
    """BPF program time per transaction (ns) of a bpf_stats profile run."""
    return sum(t for t, _ in profile["bpf"].values()) / max(profile["tx"], 1)


def agent_table(arm, by, med, base, paired, results, empty_cpu):
    """The full agent's table (arm "full", or "baseline": the same agent from REDEYE_BASELINE)."""
    lines = []
    runs = by.get(arm, [])
    if runs:
        ratio = med[arm] / base if base else float("nan")
        paired_full = statistics.median(paired[arm]) if paired.get(arm) else float("nan")
        cpu = statistics.median(r["cpu_us_per_query"] for r in runs)
        rss = max(r["rss_mib"] for r in runs)
        drops_known = all(r["drops"] is not None for r in runs)
        drops = sum(r["drops"] or 0 for r in runs)
        exact = all(r["counted"] == r["expected"] for r in runs)
        counted = ", ".join(f"{r['counted']:,.0f}/{r['expected']:,}" for r in runs)
        perr = sum(r["parse_errors"] for r in runs)
        failed = sum(r["failed"] for r in results)
        lines.append("Full agent:" if arm == "full" else
                     f"Baseline (full agent from REDEYE_BASELINE=`{BASELINE}`):")
        lines.append("")
        lines.append("| measure | value | bar | |")
        lines.append("|---|---:|---:|---|")
        lines.append(f"| throughput vs no agent (median/median) | {ratio:.3f} | "
                     f">= {BARS['ratio']} | {bench_http.verdict(ratio >= BARS['ratio'])} |")
        lines.append(f"| throughput vs no agent (median of per-round ratios) | {paired_full:.3f} | "
                     f">= {BARS['ratio']} | {bench_http.verdict(paired_full >= BARS['ratio'])} |")
        lines.append(f"| 95 % bootstrap interval of that median (this machine's noise) | "
                     f"{bench_http.interval_text(paired[arm])} | | |")
        lines.append(f"| agent CPU per query (median over rounds; both sides parsed) | "
                     f"{cpu:.2f} µs | | |")
        lines.append(f"| agent CPU per transaction (7 queries) | {cpu * STATEMENTS_PER_TX:.1f} µs "
                     "| | |")
        lines.append(f"| agent RSS at the end of a run (max) | {rss:.1f} MiB | | |")
        if by.get("server") and base:
            srv_cpu = statistics.median(r["cpu_us_per_query"] for r in by["server"])
            lines.append(f"| for reference: postgres-only agent throughput vs no agent | "
                         f"{med['server'] / base:.3f} | | |")
            lines.append(f"| for reference: postgres-only agent CPU per query | {srv_cpu:.2f} µs | | |")
        if by.get("empty") and base:
            floor = med["empty"] / base
            lines.append(f"| for reference: empty-probes throughput vs no agent | {floor:.3f} | | |")
            lines.append(f"| for reference: full agent vs empty probes | {med[arm] / med['empty']:.3f} "
                         "| | |")
        if empty_cpu:
            lines.append(f"| for reference: empty-probes agent CPU per query | "
                         f"{statistics.median(empty_cpu):.2f} µs | | |")
        lines.append(f"| operations counted / run (client + server side), per round | {counted} | "
                     f"equal | {bench_http.verdict(exact)} |")
        lines.append(f"| redeye_parse_errors_total{{protocol=\"postgresql\"}} (sum over rounds) | "
                     f"{perr} | 0 | {bench_http.verdict(perr == 0)} |")
        lines.append(f"| redeye_events_dropped_total (sum over rounds) | "
                     f"{drops if drops_known else 'missing'} | 0 | "
                     f"{bench_http.verdict(drops_known and drops == 0)} |")
        lines.append(f"| pgbench failed transactions, all arms | {failed} | 0 | "
                     f"{bench_http.verdict(failed == 0)} |")
        lines.append("")
    return lines


def profile_table(arm, profile):
    """Where the in-kernel time of a bpf_stats profile run of `arm` went."""
    lines = []
    if profile:
        tx = max(profile["tx"], 1)
        total_ns = sum(t for t, _ in profile["bpf"].values())
        lines.append(("Where the in-kernel time goes (one extra full-agent run with " if arm == "full"
                      else "Baseline: where the in-kernel time goes (one extra baseline run with ")
                     + "`kernel.bpf_stats_enabled=1`, not part of the ratios above; the statistics "
                     f"themselves add a little): {total_ns / 1e3 / tx:.1f} µs of BPF programs per "
                     f"transaction ({profile['tps']:,.0f} tps).")
        lines.append("")
        lines.append("| program | runs per transaction | average | per transaction |")
        lines.append("|---|---:|---:|---:|")
        for name, (t, c) in sorted(profile["bpf"].items(), key=lambda kv: -kv[1][0])[:8]:
            lines.append(f"| `{name}` | {c / tx:.1f} | {t / c:.0f} ns | {t / 1e3 / tx:.2f} µs |")
        lines.append("")
    return lines


def markdown(args, results, pin, started, load_before):
    by = {a: [r for r in results if r["arm"] == a] for a in ARMS}
    med = {a: statistics.median(r["tps"] for r in by[a]) for a in ARMS if by[a]}
    base = med.get("none")
    lines = [f"## {SECTION}", ""]
    lines.append(f"Generated by `scripts/bench_postgres.sh` (ROUNDS={args.rounds} D={args.duration} "
                 f"CLIENTS={args.clients} SCALE={args.scale} ARMS={','.join(ARMS)}) on "
                 f"{started:%Y-%m-%d %H:%M} UTC.")
    lines.append("")
    lines.append(f"- Machine: kernel `{platform.release()}`, {os.cpu_count()} CPUs, "
                 f"{bench_http.cpu_model()}")
    lines.append(f"- Server: PostgreSQL {pg_version()} (Debian), private data directory, "
                 "`fsync=off`, `synchronous_commit=off`, `autovacuum=off` (history truncated, "
                 "tables vacuumed and a checkpoint before every run), TCP on 127.0.0.1, SCRAM "
                 "authentication, SSLRequest refused (`sslmode=prefer`, server without TLS)")
    lines.append(f"- Load: `pgbench -n -M prepared -c {args.clients} -j 1 -T {args.duration}` with "
                 f"pgbench's tpcb-like script (7 statements per transaction), scale {args.scale}, "
                 f"{args.rounds} rounds, the arms alternated (order rotated each round)")
    agent_pin = "unpinned" if args.agent_cpu is None else f"on CPU {args.agent_cpu}"
    lines.append("- Pinning: " + (f"postgres on CPU 0, pgbench on CPU 1, agent {agent_pin} (taskset)"
                                  if pin else f"postgres and pgbench unpinned, agent {agent_pin}"))
    lines.append("- Full agent: services `shop-app` (pgbench, client side) and `shop-db` "
                 "(postgres, server side) followed: every statement is parsed on both sides; "
                 "`discovery.use_interval: 5s` (the default)")
    lines.append(bench_http.io_hooks_line(results))
    lines.append(f"- Background load: 1-minute load average {load_before:.2f} before the run")
    lines.append("")
    # The load average before the run includes earlier benchmarks; what counts is the CPU other
    # processes took during the runs, and other redeye agents (they trace our processes too).
    disturbed = sum(1 for r in results if r.get("other_agents"))
    busy = sum(1 for r in results if r["other_pct"] > 10.0)
    if disturbed or busy:
        reasons = []
        if busy:
            reasons.append(f"other processes used more than 10% of a CPU during {busy} of "
                           f"{len(results)} runs")
        if disturbed:
            reasons.append(f"another redeye agent was running during {disturbed} of "
                           f"{len(results)} runs")
        lines.append("> **Warning:** the machine was not quiet (" + "; ".join(reasons) +
                     "): these numbers are not representative.")
        lines.append("")
    paired = bench_http.paired_ratios(results, ARMS, "tps")
    lines.append("| arm | median transactions/s | vs no agent (median/median) | vs no agent "
                 "(median of per-round ratios) | spread (max-min)/median | other processes' "
                 "CPU (median) | per round (tps) |")
    lines.append("|---|---:|---:|---:|---:|---:|---|")
    for a in ARMS:
        if not by[a]:
            continue
        vals = [r["tps"] for r in by[a]]
        ratio = med[a] / base if base else float("nan")
        pr = statistics.median(paired[a]) if paired.get(a) else float("nan")
        spread = (max(vals) - min(vals)) / med[a] if med[a] else float("nan")
        other = statistics.median(r["other_pct"] for r in by[a])
        lines.append(f"| {ARM_TITLE[a]} | {med[a]:,.0f} | {ratio:.3f} | {pr:.3f} | {spread:.1%} | "
                     f"{other:.0f}% | " + ", ".join(f"{v:,.0f}" for v in vals) + " |")
    lines.append("")
    empty_cpu = [r["cpu_us_per_query"] for r in by.get("empty", [])]
    for arm in AGENT_ARMS:
        if by.get(arm):
            lines += agent_table(arm, by, med, base, paired, results, empty_cpu)
    profiles = {r["arm"]: r for r in results if r.get("bpf")}
    for arm in AGENT_ARMS:
        if PROFILE_ARM[arm] in profiles:
            lines += profile_table(arm, profiles[PROFILE_ARM[arm]])
    if by.get("full") and by.get("baseline"):
        extra = []
        if all(PROFILE_ARM[a] in profiles for a in AGENT_ARMS):
            per_tx = {a: bpf_ns_per_tx(profiles[PROFILE_ARM[a]]) for a in AGENT_ARMS}
            ratio = per_tx["full"] / per_tx["baseline"] if per_tx["baseline"] else float("nan")
            extra.append(f"| BPF program time per transaction (one profile run each: "
                         f"{per_tx['full'] / 1e3:.1f} / {per_tx['baseline'] / 1e3:.1f} µs) | "
                         f"{ratio:.3f} | n/a (one run) | |")
        lines += bench_http.baseline_comparison(
            results, "tps", [("agent CPU per query", "cpu_us_per_query")], extra)
    lines.append("CPU per query = (utime+stime of the agent over the pgbench run, from "
                 "/proc/<pid>/stat) / (transactions x 7); it covers both the client's and the "
                 "server's copy of each statement. In-kernel probe time is charged to postgres "
                 "and pgbench (syscall context) and shows up as lower throughput, not as agent "
                 "CPU. \"Other processes' CPU\" is machine user+system time not used by postgres, "
                 "pgbench or the agent, in % of one CPU. When the spread of the no-agent arm is "
                 "larger than the gap between the arms, the ratios are within this machine's "
                 "run-to-run noise.")
    lines.append("")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--redeye", required=True)
    ap.add_argument("--rounds", type=int, default=env_int("ROUNDS", 5))
    ap.add_argument("--duration", type=int, default=env_int("D", 10), help="seconds per run")
    ap.add_argument("--clients", type=int, default=env_int("CLIENTS", 8))
    ap.add_argument("--scale", type=int, default=env_int("SCALE", 10))
    ap.add_argument("--agent-cpu", type=int,
                    default=int(os.environ["AGENT_CPU"]) if os.environ.get("AGENT_CPU") else None,
                    help="pin the agent to this CPU (default: unpinned)")
    ap.add_argument("--write", action="store_true", help=f"replace the '{SECTION}' section of --doc")
    ap.add_argument("--doc", default=os.path.join(ROOT, "docs", "BENCHMARKS.md"))
    args = ap.parse_args()
    args.baseline = BASELINE

    if os.geteuid() != 0:
        print("bench: must run as root (the agent loads eBPF programs)", file=sys.stderr)
        return 1
    if args.rounds < 1 or args.duration < 1 or args.clients < 1 or args.scale < 1:
        print("bench: ROUNDS, D, CLIENTS and SCALE must be >= 1", file=sys.stderr)
        return 1
    if "baseline" in ARMS and not BASELINE:
        print("bench: the baseline arm needs REDEYE_BASELINE=/path/to/old/redeye", file=sys.stderr)
        return 1
    if BASELINE and not os.access(BASELINE, os.X_OK):
        print(f"bench: REDEYE_BASELINE={BASELINE} is not an executable", file=sys.stderr)
        return 1
    for tool in (pgt.INITDB, pgt.POSTGRES, pgt.PGBENCH, pgt.PSQL):
        if not os.access(tool, os.X_OK):
            print(f"bench: {tool} missing (apt-get install -y postgresql postgresql-contrib)",
                  file=sys.stderr)
            return 1
    ncpu = os.cpu_count() or 1
    pin = ncpu >= 2 and os.environ.get("PIN", "1") != "0" and os.access("/usr/bin/taskset", os.X_OK)
    h.install_signal_handlers()
    clk_tck = os.sysconf("SC_CLK_TCK")
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = bench_http.loadavg()
    if load_before > 0.5:
        h.log(f"WARNING: load average is {load_before:.2f} before the benchmark: "
              "other processes will distort the numbers")
    total_s = args.rounds * len(ARMS) * (args.duration + 6)
    h.log(f"bench: {args.rounds} rounds x {len(ARMS)} arms x {args.duration}s "
          f"(about {total_s // 60}m{total_s % 60:02d}s), pinning {'on' if pin else 'off'}")

    workdir = tempfile.mkdtemp(prefix="redeye-bench-pg-")
    os.chmod(workdir, 0o755)
    # autovacuum off: it would start at random moments; maintenance() runs before each run.
    pg = pgt.PgServer(extra_settings=["autovacuum=off"], taskset_cpu=0 if pin else None)
    results = []
    try:
        pg.start()
        h.log(f"pgbench -i -s {args.scale}")
        pg.pgbench_init(scale=args.scale)
        script = pgt.tpcb_script()
        h.log("warm-up run (discarded)")
        warm = pgt.FifoPgbench(pg, workdir, ["-M", "prepared", "-c", str(args.clients), "-j", "1",
                                             "-T", str(min(args.duration, 3))], script)
        warm.release()
        warm.wait(timeout=60)
        for rnd in range(args.rounds):
            order = [ARMS[(i + rnd) % len(ARMS)] for i in range(len(ARMS))]
            for arm in order:
                r = run_arm(arm, args, pg, workdir, script, pin, clk_tck)
                r["round"] = rnd + 1
                results.append(r)
                extra = ""
                if "cpu_us_per_query" in r:
                    extra = (f", agent {r['cpu_us_per_query']:.2f} CPU-us/query, "
                             f"RSS {r['rss_mib']:.1f} MiB, counted {r['counted']:.0f}/"
                             f"{r['expected']}, drops {r['drops']}, parse errors "
                             f"{r['parse_errors']}")
                if r["other_agents"]:
                    extra += f", WARNING: {r['other_agents']} other redeye agent(s) running"
                h.log(f"round {rnd + 1} {arm:>5}: {r['tps']:,.0f} tps ({r['tx']} transactions, "
                      f"{r['failed']} failed, other processes {r['other_pct']:.0f}% CPU, steal "
                      f"{r['steal_pct']:.0f}%){extra}")
        for arm in AGENT_ARMS:
            if arm in ARMS and os.access("/usr/sbin/bpftool", os.X_OK):
                h.log(f"extra {'full-agent' if arm == 'full' else arm} run with "
                      "kernel.bpf_stats_enabled=1 (not in the ratios)")
                r = run_arm(arm, args, pg, workdir, script, pin, clk_tck, bpf_stats=True)
                r["round"] = 0
                r["arm"] = PROFILE_ARM[arm]
                results.append(r)
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    except h.TestFailure as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    finally:
        pg.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)

    section = markdown(args, results, pin, started, load_before)
    print()
    print(section)
    if args.write:
        named = getattr(bench_http, "write_section_named", None)
        if named is not None:
            named(args.doc, SECTION, section)
        else:  # older bench_http: write_section replaces the section its SECTION names
            saved, bench_http.SECTION = bench_http.SECTION, SECTION
            try:
                bench_http.write_section(args.doc, section)
            finally:
                bench_http.SECTION = saved
        h.log(f"wrote section '{SECTION}' to {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
