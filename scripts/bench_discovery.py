#!/usr/bin/python3
"""Discovery benchmark for redeye (driven by scripts/bench_discovery.sh).

Starts IDLE (default 2000) idle processes, LISTENERS (default 100) of them holding a
listening TCP socket on 127.0.0.1 (so they are services under the default configuration and
get USE metrics every interval), then starts `redeye run` and reports:

  * the start-up discovery scan: processes read and time taken (from the agent's log);
  * steady-state agent CPU: utime+stime over WINDOW seconds (default 30) after SETTLE
    seconds (default 10), as a percentage of one core;
  * agent RSS (VmRSS) at the end and the memlock of its BPF maps.

Bars (issue "Services"): steady CPU < 1 % of one core, RSS <= 96 MiB.
Standard library only; run with /usr/bin/python3 as root.
"""

import argparse
import datetime
import os
import platform
import re
import shutil
import signal
import subprocess
import tempfile
import sys
import time

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness as h  # noqa: E402
from bench_http import cpu_model, write_section_named  # noqa: E402

SECTION = "Discovery benchmark"
LISTENER = ("import socket, time\n"
            "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(8)\n"
            "time.sleep(3600)\n")


def env_int(name, default):
    return int(os.environ.get(name, default))


def start_idle(count, listeners, workdir):
    procs = []
    for i in range(count):
        if i < listeners:
            argv = ["/usr/bin/python3", "-c", LISTENER]
        else:
            argv = ["/bin/sleep", "3600"]
        # Each listener names itself: 100 distinct services, named from their environment.
        env = dict(os.environ, OTEL_SERVICE_NAME=f"bench-service-{i}") if i < listeners else None
        procs.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True, env=env))
    # Let every listener reach listen() before the agent scans.
    time.sleep(max(2.0, listeners * 0.02))
    return procs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--redeye", required=True)
    ap.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_discovery: run as root")
    idle = env_int("IDLE", 2000)
    listeners = env_int("LISTENERS", 100)
    settle = env_int("SETTLE", 10)
    window = env_int("WINDOW", 30)
    clk_tck = os.sysconf("SC_CLK_TCK")
    started = datetime.datetime.now(datetime.timezone.utc)

    work = tempfile.mkdtemp(prefix="redeye-bench-discovery-")
    procs = []
    agent = None
    try:
        h.log(f"starting {idle} idle processes ({listeners} listening)")
        procs = start_idle(idle, listeners, work)
        agent = h.Agent(args.redeye, workdir=work).start(timeout=60)
        time.sleep(settle)
        t0, c0 = time.monotonic(), h.proc_cpu_ticks(agent.pid)
        time.sleep(window)
        t1, c1 = time.monotonic(), h.proc_cpu_ticks(agent.pid)
        cpu_percent = 100.0 * (c1 - c0) / clk_tck / (t1 - t0)
        rss_mib = h.proc_rss_kib(agent.pid) / 1024
        maps, _ = h.bpf_map_memlock_bytes(agent.pid)
        metrics = agent.scrape()
        services = len([k for k in h.select(metrics, "target_info")
                        if h.label_dict(k).get("service_name", "").startswith("bench-service-")])
        log = agent.stderr()
        scan = re.search(r"discovery: (\d+) processes in (\d+) services \((\d+) ms\)", log)
        scan_ms = int(scan.group(3)) if scan else None
        scan_procs = int(scan.group(1)) if scan else None
    finally:
        if agent:
            agent.cleanup()
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for p in procs:
            p.wait()
        shutil.rmtree(work, ignore_errors=True)

    host_processes = idle + 100  # approximate: the idle set plus what the machine runs
    ok_cpu = cpu_percent < 1.0
    ok_rss = rss_mib <= 96
    text = (
        f"## {SECTION}\n\n"
        f"Regenerate: `sudo scripts/bench_discovery.sh --write` "
        f"(IDLE={idle}, LISTENERS={listeners}, SETTLE={settle}, WINDOW={window}).\n\n"
        f"Machine: {platform.node()}, kernel {platform.release()}, {os.cpu_count()} CPUs "
        f"({cpu_model()}), {started:%Y-%m-%d %H:%M} UTC.\n\n"
        f"{idle} idle processes on the host, {listeners} of them holding a listening TCP socket "
        f"(services under the embedded default configuration, so each gets USE metrics every "
        f"5 s).\n\n"
        "| measure | value | bar |\n| --- | --- | --- |\n"
        f"| start-up discovery scan | {scan_ms} ms for {scan_procs} service processes of "
        f"~{host_processes} | |\n"
        f"| bench services found (named by OTEL_SERVICE_NAME) | {services} | {listeners} expected |\n"
        f"| steady-state agent CPU | {cpu_percent:.2f} % of one core | < 1 % "
        f"{'(met)' if ok_cpu else '(MISSED)'} |\n"
        f"| agent RSS | {rss_mib:.1f} MiB | <= 96 MiB {'(met)' if ok_rss else '(MISSED)'} |\n"
        f"| BPF map memory | {maps / 1048576:.1f} MiB | |\n")
    print(text)
    if args.write:
        write_section_named(os.path.join(ROOT, "docs", "BENCHMARKS.md"), SECTION, text)
    return 0 if ok_cpu and ok_rss and services >= listeners else 1


if __name__ == "__main__":
    sys.exit(main())
