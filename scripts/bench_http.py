#!/usr/bin/python3
"""HTTP server overhead benchmark for redeye (driven by scripts/bench.sh).

nginx (1 worker, access_log off, `return 200 "ok"`) on a free loopback port
is saturated by `wrk -t1 -c32 -dD`. Three arms are run in alternation for
ROUNDS rounds (the order is rotated every round so slow drift of the machine
does not favour one arm):

  none   no agent
  empty  `redeye run --bench-empty-probes`: the same probes attached, every
         program returns at once: the tracepoint floor of this machine
  full   `redeye run`: the full agent
  baseline  (only with REDEYE_BASELINE=/path/to/old/redeye) the full agent, same flags, from
         that second binary: two builds compared in one alternated run

Reported: median requests/s per arm and its ratio to `none`; for the full
agent the CPU it used per request (utime+stime from /proc/<pid>/stat over
the wrk run / requests wrk completed), VmRSS at the end of the run, the
memlock of its BPF maps (/proc/<pid>/fdinfo) and the sum of
redeye_events_dropped_total. With a baseline arm the same figures for it, and
the full agent against the baseline: the median of per-round ratios, its 95 %
bootstrap interval, and "too noisy to tell" when that interval contains 1.

Pinning (default when the machine has >= 2 CPUs, PIN=0 disables): nginx on
CPU 0, wrk on CPU 1, the agent unpinned. On a 2-core VM this keeps nginx and
wrk from being stacked on one core by the scheduler, the largest source of
run-to-run noise; the agent's consumer thread shares whichever core has room,
which is what it would do on a real host.

Standard library only; run with /usr/bin/python3 as root.
"""

import argparse
import datetime
import math
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness as h  # noqa: E402

h.LOG_STREAM = sys.stderr  # stdout carries only the Markdown

SECTION = "HTTP server benchmark"
# REDEYE_BASELINE: a second (older) redeye binary; adds the arm "baseline", the full agent run
# from it, alternated with the others in every round.
BASELINE = os.environ.get("REDEYE_BASELINE") or None
ARMS = ("none", "empty", "full") + (("baseline",) if BASELINE else ())
ARM_TITLE = {
    "none": "no agent",
    "empty": "`redeye run --bench-empty-probes`",
    "full": "`redeye run` (full agent)",
    "baseline": "`redeye run` (baseline: REDEYE_BASELINE, full agent)",
}
AGENT_ARMS = ("full", "baseline")  # the full agent, from --redeye or from REDEYE_BASELINE
COUNT_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
BARS = dict(ratio=0.93, cpu_us=5.0, rss_mib=64.0, drops=0)


def env_int(name, default):
    v = os.environ.get(name)
    return int(v) if v not in (None, "") else default


def wrk(port, duration, connections, cpu):
    argv = [h.WRK, "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "5s",
            f"http://127.0.0.1:{port}/"]
    if cpu is not None:
        argv = ["taskset", "-c", str(cpu)] + argv
    r = h.run_tool(argv, timeout=duration + 60)
    out = r.stdout.decode(errors="replace")
    if r.returncode != 0:
        raise h.TestFailure(f"wrk failed ({r.returncode}):\n{out}{r.stderr.decode(errors='replace')}")
    m_rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    m_req = re.search(r"^\s*(\d+) requests in ([\d.]+)(ms|s|m)", out, re.M)
    if not m_rps or not m_req:
        raise h.TestFailure(f"cannot parse wrk output:\n{out}")
    errors = 0
    m_err = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m_err:
        errors += sum(int(x) for x in m_err.groups())
    m_non = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m_non:
        errors += int(m_non.group(1))
    return dict(rps=float(m_rps.group(1)), requests=int(m_req.group(1)), errors=errors)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def nginx_version():
    try:
        r = subprocess.run([h.NGINX, "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=10)
        return r.stdout.decode().strip().split("/")[-1]
    except Exception:
        return "?"


class CpuSnapshot:
    """Where the CPU time went, to tell how much other processes took.

    other = user+nice+system of the whole machine - (nginx + wrk + agent);
    wrk's share comes from RUSAGE_CHILDREN (it is waited for in between).
    irq/softirq time (loopback TCP) is left out on both sides."""

    def __init__(self, nginx, agent_pid, clk_tck):
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        self.machine = (v[0] + v[1] + v[2]) / clk_tck
        self.steal = (v[7] if len(v) > 7 else 0) / clk_tck
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.children = ru.ru_utime + ru.ru_stime
        ticks = 0
        for pid in [nginx.proc.pid] + nginx.worker_pids() + ([agent_pid] if agent_pid else []):
            try:
                ticks += h.proc_cpu_ticks(pid)
            except OSError:
                pass
        self.ours = ticks / clk_tck

    @staticmethod
    def other_pct(a, b, seconds):
        ours = (b.ours - a.ours) + (b.children - a.children)
        return max(0.0, (b.machine - a.machine) - ours) / seconds * 100.0

    @staticmethod
    def steal_pct(a, b, seconds):
        return (b.steal - a.steal) / seconds * 100.0


def arm_binary(arm, args):
    """The redeye binary an arm runs: the baseline arm runs REDEYE_BASELINE's."""
    return args.baseline if arm == "baseline" else args.redeye


def run_arm(arm, args, nginx, pin, clk_tck):
    res = dict(arm=arm)
    agent = None
    try:
        if arm != "none":
            extra = ["--bench-empty-probes"] if arm == "empty" else []
            agent = h.Agent(arm_binary(arm, args), args=extra, log_level="warn")
            agent.start(timeout=30)
            time.sleep(1.0)  # let attach-time work finish
            t0 = h.proc_cpu_ticks(agent.pid)
        snap0 = CpuSnapshot(nginx, agent.pid if agent else None, clk_tck)
        w0 = time.monotonic()
        w = wrk(nginx.port, args.duration, args.connections, 1 if pin else None)
        wall = time.monotonic() - w0
        snap1 = CpuSnapshot(nginx, agent.pid if agent else None, clk_tck)
        res["other_pct"] = CpuSnapshot.other_pct(snap0, snap1, wall)
        res["steal_pct"] = CpuSnapshot.steal_pct(snap0, snap1, wall)
        res.update(w)
        if agent is not None:
            if not agent.alive():
                raise h.TestFailure(f"agent died during the run:\n{agent.stderr()[-3000:]}")
            t1 = h.proc_cpu_ticks(agent.pid)
            res["cpu_us_per_req"] = (t1 - t0) / clk_tck * 1e6 / max(w["requests"], 1)
            res["cpu_s"] = (t1 - t0) / clk_tck
            res["rss_mib"] = h.proc_rss_kib(agent.pid) / 1024.0
            mem, nmaps = h.bpf_map_memlock_bytes(agent.pid)
            res["bpf_mib"] = mem / (1024.0 * 1024.0)
            res["bpf_maps"] = nmaps
            m = agent.scrape()
            res["io_hooks"] = io_hooks_of(m)
            drops = h.select(m, "redeye_events_dropped_total")
            res["drops"] = int(sum(drops.values())) if drops else None
            code = agent.stop()
            res["exit_code"] = code
            if code != 0:
                h.log(f"WARNING: agent exited with {code} after SIGTERM; stderr tail:\n"
                      + agent.stderr()[-2000:])
    finally:
        if agent is not None:
            agent.cleanup()
    return res


def io_hooks_of(metrics):
    """Which kernel hooks the agent used (redeye_kernel_io_hooks_info{hooks})."""
    keys = h.select(metrics, "redeye_kernel_io_hooks_info")
    return ",".join(sorted(dict(k[1]).get("hooks", "?") for k in keys)) or "unknown"


def io_hooks_line(results):
    seen = sorted({r["io_hooks"] for r in results if r.get("io_hooks")})
    names = {"socket": "socket tracepoints (`sock_recv_length`, `sock_send_length`)",
             "syscalls": "syscall tracepoints"}
    return ("- Kernel I/O hooks (config `io_hooks`, `REDEYE_IO_HOOKS`): "
            + (", ".join(names.get(s, s) for s in seen) or "unknown"))


def fmt_rps(v):
    return f"{v:,.0f}"


def paired_ratios(results, arms, key):
    """Per round: each arm's throughput (results[i][key]) / the no-agent throughput of the same
    round. Runs of a round are adjacent in time, so slow drift of the machine cancels out."""
    out = {a: [] for a in arms}
    for rnd in sorted({r["round"] for r in results}):
        runs = {r["arm"]: r for r in results if r["round"] == rnd}
        if "none" not in runs or not runs["none"][key]:
            continue
        for a, r in runs.items():
            out[a].append(r[key] / runs["none"][key])
    return out


def median_interval(values, level=0.95, resamples=4000, seed=1):
    """A bootstrap interval of the median of `values` (percentile method, fixed seed so a
    report is reproducible from its numbers): how far this machine's noise leaves the median
    uncertain. (nan, nan) for fewer than 3 values."""
    if len(values) < 3:
        return float("nan"), float("nan")
    rng = random.Random(seed)
    medians = sorted(statistics.median(rng.choices(values, k=len(values)))
                     for _ in range(resamples))
    tail = (1.0 - level) / 2.0
    return medians[int(tail * resamples)], medians[min(resamples - 1, int((1 - tail) * resamples))]


def interval_text(values):
    lo, hi = median_interval(values)
    return "n/a (fewer than 3 rounds)" if math.isnan(lo) else f"{lo:.3f}-{hi:.3f}"


def verdict(ok):
    return "PASS" if ok else "**FAIL**"


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError):
        return float("nan")


def markdown(args, results, pin, started, load_before):
    by = {a: [r for r in results if r["arm"] == a] for a in ARMS}
    med = {a: statistics.median(r["rps"] for r in by[a]) for a in ARMS if by[a]}
    base = med.get("none")
    lines = []
    lines.append(f"## {SECTION}")
    lines.append("")
    lines.append(f"Generated by `scripts/bench.sh` (ROUNDS={args.rounds} D={args.duration}) "
                 f"on {started:%Y-%m-%d %H:%M} UTC.")
    lines.append("")
    lines.append(f"- Machine: kernel `{platform.release()}`, {os.cpu_count()} CPUs, {cpu_model()}")
    lines.append(f"- Server: nginx {nginx_version()}, `worker_processes 1`, `access_log off`, "
                 f"`location / {{ return 200 \"ok\"; }}` on 127.0.0.1")
    lines.append(f"- Load: `wrk -t1 -c{args.connections} -d{args.duration}s`, {args.rounds} rounds, "
                 f"the {COUNT_WORDS.get(len(ARMS), len(ARMS))} arms alternated (order rotated each round)")
    lines.append("- Pinning: " + ("nginx on CPU 0, wrk on CPU 1, agent unpinned (taskset)"
                                  if pin else "none"))
    lines.append("- `empty` arm: same probes attached, programs return immediately: "
                 "the tracepoint floor of this machine, no agent can do better")
    lines.append(io_hooks_line(results))
    lines.append(f"- Background load: 1-minute load average {load_before:.2f} before the run")
    lines.append("")
    other_max = max((r["other_pct"] for r in results), default=0.0)
    steal_max = max((r["steal_pct"] for r in results), default=0.0)
    if load_before > 0.5 or other_max > 10.0 or steal_max > 5.0:
        lines.append(f"> **Warning:** the machine was not quiet (load average {load_before:.2f} "
                     f"before the run; during runs other processes used up to {other_max:.0f}% "
                     f"of a CPU, hypervisor steal up to {steal_max:.0f}%). They compete with "
                     "nginx, wrk and the agent for the 2 CPUs: these numbers are not "
                     "representative.")
        lines.append("")
    paired = paired_ratios(results, ARMS, "rps")
    lines.append("| arm | median req/s | vs no agent (median/median) | vs no agent (median of "
                 "per-round ratios) | spread (max-min)/median | other processes' CPU (median) | "
                 "per round (req/s) |")
    lines.append("|---|---:|---:|---:|---:|---:|---|")
    for a in ARMS:
        if not by[a]:
            continue
        ratio = med[a] / base if base else float("nan")
        vals = [r["rps"] for r in by[a]]
        spread = (max(vals) - min(vals)) / med[a] if med[a] else float("nan")
        rounds = ", ".join(fmt_rps(v) for v in vals)
        other = statistics.median(r["other_pct"] for r in by[a])
        pr = statistics.median(paired[a]) if paired.get(a) else float("nan")
        lines.append(f"| {ARM_TITLE[a]} | {fmt_rps(med[a])} | {ratio:.3f} | {pr:.3f} | "
                     f"{spread:.1%} | {other:.0f}% | {rounds} |")
    lines.append("")

    errors = sum(r["errors"] for r in results)
    empty_cpu = [r["cpu_us_per_req"] for r in by["empty"]]
    for arm in AGENT_ARMS:
        if arm in by and by[arm]:
            lines += agent_table(arm, by[arm], med, base, paired, errors, empty_cpu)
    if by.get("full") and by.get("baseline"):
        lines += baseline_comparison(results, "rps", [("agent CPU per request", "cpu_us_per_req")])
    lines.append("CPU per request = (utime+stime of the agent over the wrk run, "
                 "from /proc/<pid>/stat) / requests wrk completed. Only nginx's side is "
                 "parsed: under the embedded default configuration wrk is not a service "
                 "(no listening socket), so its reads and writes stop at the kernel's "
                 "process filter. In-kernel "
                 "probe time is charged to nginx and wrk (syscall context) and shows up as "
                 "lower throughput, not as agent CPU. \"Other processes' CPU\" is machine "
                 "user+system time not used by nginx, wrk or the agent, in % of one CPU. "
                 "When the spread of the no-agent arm is larger than the gap between "
                 "arms, the ratios are within this machine's run-to-run noise.")
    lines.append("")
    return "\n".join(lines)


def agent_table(arm, runs, med, base, paired, errors, empty_cpu):
    """The full agent's table (arm "full", or "baseline": the same agent from REDEYE_BASELINE)."""
    lines = []
    if runs:
        ratio = med[arm] / base if base else float("nan")
        cpu = statistics.median(r["cpu_us_per_req"] for r in runs)
        rss = max(r["rss_mib"] for r in runs)
        bpf = max(r["bpf_mib"] for r in runs)
        nmaps = max(r["bpf_maps"] for r in runs)
        drops_known = all(r["drops"] is not None for r in runs)
        drops = sum(r["drops"] or 0 for r in runs)
        lines.append("Full agent:" if arm == "full" else
                     f"Baseline (full agent from REDEYE_BASELINE=`{BASELINE}`):")
        lines.append("")
        lines.append("| measure | value | bar | |")
        lines.append("|---|---:|---:|---|")
        lines.append(f"| throughput vs no agent (median/median) | {ratio:.3f} | >= {BARS['ratio']} | "
                     f"{verdict(ratio >= BARS['ratio'])} |")
        paired_full = statistics.median(paired[arm]) if paired.get(arm) else float("nan")
        lines.append(f"| throughput vs no agent (median of per-round ratios) | {paired_full:.3f} | "
                     f">= {BARS['ratio']} | {verdict(paired_full >= BARS['ratio'])} |")
        lines.append(f"| 95 % bootstrap interval of that median (this machine's noise) | "
                     f"{interval_text(paired[arm])} | | |")
        lines.append(f"| agent CPU per request (median over rounds) | {cpu:.2f} µs | "
                     f"<= {BARS['cpu_us']:.0f} µs | {verdict(cpu <= BARS['cpu_us'])} |")
        lines.append(f"| agent RSS at the end of a run (max) | {rss:.1f} MiB | "
                     f"<= {BARS['rss_mib']:.0f} MiB | {verdict(rss <= BARS['rss_mib'])} |")
        lines.append(f"| BPF map memory, memlock of {nmaps} maps (max) | {bpf:.1f} MiB | | |")
        lines.append(f"| redeye_events_dropped_total (sum over rounds) | "
                     f"{drops if drops_known else 'missing'} | 0 | "
                     f"{verdict(drops_known and drops == 0)} |")
        if empty_cpu:
            lines.append(f"| for reference: empty-probes agent CPU per request | "
                         f"{statistics.median(empty_cpu):.2f} µs | | |")
        lines.append(f"| wrk socket errors + non-2xx, all arms | {errors} | 0 | "
                     f"{verdict(errors == 0)} |")
        lines.append("")
    return lines


def full_over_baseline(results, key):
    """Per round: the full agent's results[i][key] / the baseline arm's of the same round."""
    out = []
    for rnd in sorted({r["round"] for r in results}):
        runs = {r["arm"]: r for r in results if r["round"] == rnd}
        if "full" in runs and "baseline" in runs and runs["baseline"].get(key):
            out.append(runs["full"][key] / runs["baseline"][key])
    return out


def compared(values, higher_is_better):
    """The verdict on per-round ratios this build / baseline: "too noisy to tell" when the 95 %
    bootstrap interval of their median contains 1, else which build is better."""
    lo, hi = median_interval(values)
    if math.isnan(lo):
        return "n/a"
    if lo <= 1.0 <= hi:
        return "too noisy to tell"
    return "this build better" if (lo > 1.0) == higher_is_better else "baseline better"


def baseline_comparison(results, key, costs, extra_rows=()):
    """The full agent (this build) against the baseline arm, paired per round like the no-agent
    ratios: throughput (`key`, higher is better) and each of `costs` ((title, key), lower is
    better), each with the median of the per-round ratios, its 95 % bootstrap interval and a
    verdict. `extra_rows`: further finished table rows."""
    lines = ["Full agent vs baseline (this build / REDEYE_BASELINE, ratios paired per round):", ""]
    lines.append("| measure | this build / baseline (median of per-round ratios) | "
                 "95 % bootstrap interval | verdict |")
    lines.append("|---|---:|---:|---|")
    rows = [("throughput", key, True)] + [(title, k, False) for title, k in costs]
    for title, k, higher_is_better in rows:
        vals = full_over_baseline(results, k)
        med = statistics.median(vals) if vals else float("nan")
        lines.append(f"| {title} | {med:.3f} | {interval_text(vals)} | "
                     f"{compared(vals, higher_is_better)} |")
    lines += list(extra_rows)
    lines.append("")
    return lines


def write_section(path, section):
    write_section_named(path, SECTION, section)


def write_section_named(path, name, section):
    """Replaces the `## <name>` section of the Markdown file at `path` (or appends it)."""
    header = ("# Benchmarks\n\n"
              "Numbers measured with the scripts in `scripts/`; each section says how "
              "to regenerate it.\n\n")
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        text = header
    lines = text.splitlines(keepends=True)
    start = None
    for i, l in enumerate(lines):
        if l.rstrip("\n").strip() == f"## {name}":
            start = i
            break
    if start is None:
        if text and not text.endswith("\n"):
            text += "\n"
        if text and not text.endswith("\n\n"):
            text += "\n"
        new = text + section
    else:
        end = len(lines)
        for j in range(start + 1, len(lines)):
            if lines[j].startswith("## ") or lines[j].startswith("# "):
                end = j
                break
        tail = "".join(lines[end:])
        new = "".join(lines[:start]) + section + ("\n" if tail else "") + tail
    if not new.endswith("\n"):
        new += "\n"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(new)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--redeye", required=True)
    ap.add_argument("--rounds", type=int, default=env_int("ROUNDS", 5))
    ap.add_argument("--duration", type=int, default=env_int("D", 10), help="seconds per wrk run")
    ap.add_argument("--connections", type=int, default=env_int("CONNECTIONS", 32))
    ap.add_argument("--write", action="store_true", help=f"replace the '{SECTION}' section of --doc")
    ap.add_argument("--doc", default=os.path.join(ROOT, "docs", "BENCHMARKS.md"))
    args = ap.parse_args()

    if os.geteuid() != 0:
        print("bench: must run as root (the agent loads eBPF programs)", file=sys.stderr)
        return 1
    if args.rounds < 1 or args.duration < 1:
        print("bench: ROUNDS and D must be >= 1", file=sys.stderr)
        return 1
    args.baseline = BASELINE
    if args.baseline and not os.access(args.baseline, os.X_OK):
        print(f"bench: REDEYE_BASELINE={args.baseline} is not an executable", file=sys.stderr)
        return 1
    for tool in (h.NGINX, h.WRK):
        if not os.access(tool, os.X_OK):
            print(f"bench: {tool} missing (scripts/install-deps.sh)", file=sys.stderr)
            return 1
    ncpu = os.cpu_count() or 1
    pin = ncpu >= 2 and os.environ.get("PIN", "1") != "0"
    if pin and not os.access("/usr/bin/taskset", os.X_OK):
        pin = False
    h.install_signal_handlers()
    clk_tck = os.sysconf("SC_CLK_TCK")
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = loadavg()
    if load_before > 0.5:
        h.log(f"WARNING: load average is {load_before:.2f} before the benchmark: "
              "other processes will distort the numbers")
    total_s = args.rounds * len(ARMS) * (args.duration + 3) + args.duration
    h.log(f"bench: {args.rounds} rounds x {len(ARMS)} arms x {args.duration}s "
          f"(about {total_s // 60}m{total_s % 60:02d}s), pinning {'on' if pin else 'off'}")

    nginx = h.Nginx('        location / { return 200 "ok"; }\n',
                    taskset_cpu=0 if pin else None)
    results = []
    try:
        nginx.start()
        h.log("warm-up run (discarded)")
        wrk(nginx.port, min(args.duration, 3), args.connections, 1 if pin else None)
        for rnd in range(args.rounds):
            order = [ARMS[(i + rnd) % len(ARMS)] for i in range(len(ARMS))]
            for arm in order:
                r = run_arm(arm, args, nginx, pin, clk_tck)
                r["round"] = rnd + 1
                results.append(r)
                extra = ""
                if "cpu_us_per_req" in r:
                    extra = (f", agent {r['cpu_us_per_req']:.2f} CPU-us/req, "
                             f"RSS {r['rss_mib']:.1f} MiB, BPF {r['bpf_mib']:.1f} MiB, "
                             f"drops {r['drops']}")
                h.log(f"round {rnd + 1} {arm:>5}: {r['rps']:,.0f} req/s "
                      f"({r['requests']} requests, {r['errors']} errors, other processes "
                      f"{r['other_pct']:.0f}% CPU, steal {r['steal_pct']:.0f}%){extra}")
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    except h.TestFailure as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    finally:
        nginx.cleanup()

    section = markdown(args, results, pin, started, load_before)
    print()
    print(section)
    if args.write:
        write_section(args.doc, section)
        h.log(f"wrote section '{SECTION}' to {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
