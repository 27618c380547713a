"""Shared helpers for redeye's integration tests and benchmarks.

Standard library only; run with Debian's /usr/bin/python3.

What is here:
  * skip / preflight helpers (root, BTF) and the ctest skip code 77,
  * free_port(): a free TCP port on 127.0.0.1,
  * Nginx: an nginx master running in the foreground in a private temp
    directory (own config, pid file, error log, temp paths),
  * Agent: `redeye run` in the background, stderr captured to a file,
    started only when /metrics answers,
  * scrape() / parse_prometheus(): Prometheus text format into
    {(name, frozenset(labels.items())): value},
  * wait_until(): bounded polling,
  * run_tool(): run a load tool (ab, wrk, ...) with a timeout.

Every child is started with PR_SET_PDEATHSIG=SIGTERM so that it does not
outlive the test if the test is killed, and every stop is by pid with a
bounded wait and a SIGKILL fallback.
"""

from __future__ import annotations

import ctypes
import math
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from typing import Callable, Dict, FrozenSet, Iterable, List, Optional, Tuple

SKIP = 77  # ctest SKIP_RETURN_CODE

NGINX = "/usr/sbin/nginx"
AB = "/usr/bin/ab"
WRK = "/usr/bin/wrk"

MetricKey = Tuple[str, FrozenSet[Tuple[str, str]]]
Metrics = Dict[MetricKey, float]


# --------------------------------------------------------------------------
# output / skip helpers


LOG_STREAM = sys.stdout


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=LOG_STREAM, flush=True)


def skip(reason: str) -> None:
    """Exit with ctest's skip code, loudly."""
    print(f"!!!!! SKIPPED: {reason} !!!!!", file=sys.stderr, flush=True)
    sys.exit(SKIP)


def require_root_and_btf() -> None:
    if os.geteuid() != 0:
        skip("integration test needs root (eBPF); run it as root, e.g. sudo scripts/test.sh")
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        skip("/sys/kernel/btf/vmlinux is missing: kernel without BTF (CONFIG_DEBUG_INFO_BTF)")


def start_test(add_arguments: Optional[Callable[["argparse.ArgumentParser"], None]] = None):
    """What every integration test does first: parse --redeye (and the test's own options),
    skip without root or BTF (exit 77), stop cleanly on SIGTERM/SIGINT. Returns the args."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--redeye", required=True, help="path to the redeye binary")
    if add_arguments:
        add_arguments(ap)
    args = ap.parse_args()
    require_root_and_btf()
    install_signal_handlers()
    return args


def require_executable(path: str, what: str) -> None:
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise TestFailure(f"{what} not found or not executable: {path}")


class TestFailure(Exception):
    pass


# --------------------------------------------------------------------------
# processes


_PR_SET_PDEATHSIG = 1


def _child_setup() -> None:
    # Runs in the child between fork and exec: die with the parent, own
    # process group (Ctrl-C in a terminal reaches only the test, which then
    # stops its children in order).
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except Exception:
        pass
    os.setpgid(0, 0)


def spawn(argv: List[str], stdout_path: str, stderr_path: str, **kw) -> subprocess.Popen:
    out = open(stdout_path, "wb")
    err = open(stderr_path, "wb")
    try:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                preexec_fn=_child_setup, **kw)
    finally:
        out.close()
        err.close()


def stop_process(proc: Optional[subprocess.Popen], sig: int = signal.SIGTERM,
                 timeout: float = 10.0, kill_group: bool = True) -> Optional[int]:
    """Signal proc by pid, wait up to `timeout`, SIGKILL (its group) if needed.

    Returns the exit code (negative: killed by that signal), or None if there
    was nothing to stop."""
    if proc is None:
        return None
    if proc.poll() is None:
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log(f"pid {proc.pid} ignored signal {sig} for {timeout}s: SIGKILL")
            try:
                if kill_group:
                    os.killpg(proc.pid, signal.SIGKILL)
                else:
                    os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
    if kill_group:
        # Leftovers of the group (e.g. nginx workers whose master was killed).
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return proc.returncode


def read_text(path: str, limit: int = 200_000) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return ""
    if len(data) > limit:
        data = b"...(truncated)...\n" + data[-limit:]
    return data.decode("utf-8", "replace")


def run_tool(argv: List[str], timeout: float = 120.0) -> subprocess.CompletedProcess:
    """Run a short-lived tool, capture its output, bounded in time."""
    log("$ " + " ".join(argv))
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout, preexec_fn=_child_setup)
    except subprocess.TimeoutExpired as e:
        raise TestFailure(f"{argv[0]} did not finish within {timeout}s") from e


def install_signal_handlers() -> None:
    """Turn SIGTERM/SIGHUP into KeyboardInterrupt so finally: blocks run."""
    def handler(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, handler)


# --------------------------------------------------------------------------
# networking


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(pred: Callable[[], bool], timeout: float, interval: float = 0.2,
               what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while True:
        if pred():
            return
        if time.monotonic() >= deadline:
            raise TestFailure(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def http_get(url: str, timeout: float = 2.0) -> Tuple[int, bytes]:
    # No proxy, whatever the environment says.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# --------------------------------------------------------------------------
# nginx


class Nginx:
    """A private nginx: `nginx -e <err> -c <conf> -p <dir>` with daemon off.

    `locations` is the text placed inside the server block. `files` maps
    relative paths (under <dir>/www) to bytes. worker_processes 1, access_log
    off, sendfile on."""

    def __init__(self, locations: str, files: Optional[Dict[str, bytes]] = None,
                 port: Optional[int] = None, host: str = "127.0.0.1",
                 extra_http: str = "", taskset_cpu: Optional[int] = None):
        self.host = host
        self.port = port or free_port(host)
        self.locations = locations
        self.files = files or {}
        self.extra_http = extra_http
        self.taskset_cpu = taskset_cpu
        self.dir = tempfile.mkdtemp(prefix="redeye-nginx-")
        # Workers drop to "nobody": they must be able to read www/.
        os.chmod(self.dir, 0o755)
        self.www = os.path.join(self.dir, "www")
        self.proc: Optional[subprocess.Popen] = None

    def config(self) -> str:
        d = self.dir
        return f"""
worker_processes 1;
daemon off;
master_process on;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    keepalive_timeout 300s;
    default_type application/octet-stream;
    client_body_temp_path {d}/tmp/client_body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    {self.extra_http}
    server {{
        listen {self.host}:{self.port};
        server_name localhost;
        root {self.www};
{self.locations}
    }}
}}
"""

    def start(self, timeout: float = 10.0) -> "Nginx":
        require_executable(NGINX, "nginx")
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        os.makedirs(self.www, exist_ok=True)
        os.chmod(self.www, 0o755)
        for rel, data in self.files.items():
            p = os.path.join(self.www, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            os.chmod(os.path.dirname(p), 0o755)
            with open(p, "wb") as f:
                f.write(data)
            os.chmod(p, 0o644)
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(self.config())
        argv = [NGINX, "-e", os.path.join(self.dir, "error.log"), "-c", conf, "-p", self.dir]
        test = subprocess.run(argv + ["-t"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=30)
        if test.returncode != 0:
            raise TestFailure("nginx -t rejected the config:\n" + test.stdout.decode(errors="replace")
                              + read_text(os.path.join(self.dir, "error.log")))
        if self.taskset_cpu is not None and shutil.which("taskset"):
            argv = ["taskset", "-c", str(self.taskset_cpu)] + argv
        log(f"starting nginx on {self.host}:{self.port} (dir {self.dir})")
        self.proc = spawn(argv, os.path.join(self.dir, "stdout.log"),
                          os.path.join(self.dir, "stderr.log"))

        def up() -> bool:
            if self.proc.poll() is not None:
                raise TestFailure(f"nginx exited early with {self.proc.returncode}:\n"
                                  + self.logs())
            return port_open(self.host, self.port)
        wait_until(up, timeout, what=f"nginx on port {self.port}")
        return self

    def logs(self) -> str:
        return (read_text(os.path.join(self.dir, "stderr.log"))
                + read_text(os.path.join(self.dir, "error.log")))

    def worker_pids(self) -> List[int]:
        if self.proc is None:
            return []
        out = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.proc.pid:
                out.append(int(d))
        return out

    def stop(self) -> None:
        if self.proc is not None:
            # SIGTERM = nginx fast shutdown; the group kill catches orphans.
            stop_process(self.proc, signal.SIGTERM, timeout=10)
            self.proc = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "Nginx":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.cleanup()


# --------------------------------------------------------------------------
# the agent


class Agent:
    """`redeye run --listen 127.0.0.1:<port> ...` with stderr in a file."""

    def __init__(self, binary: str, args: Optional[List[str]] = None,
                 port: Optional[int] = None, log_level: str = "info",
                 workdir: Optional[str] = None):
        self.binary = os.path.abspath(binary)
        self.port = port or free_port()
        self.args = list(args or [])
        self.log_level = log_level
        self._own_dir = workdir is None
        self.dir = workdir or tempfile.mkdtemp(prefix="redeye-agent-")
        self.stderr_path = os.path.join(self.dir, f"agent-{self.port}.stderr")
        self.stdout_path = os.path.join(self.dir, f"agent-{self.port}.stdout")
        self.proc: Optional[subprocess.Popen] = None
        self.exit_code: Optional[int] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/metrics"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def argv(self) -> List[str]:
        return [self.binary, "run", "--listen", f"127.0.0.1:{self.port}",
                "--log-level", self.log_level] + self.args

    def start(self, timeout: float = 20.0) -> "Agent":
        require_executable(self.binary, "redeye binary")
        argv = self.argv()
        log("starting agent: " + " ".join(argv))
        self.proc = spawn(argv, self.stdout_path, self.stderr_path)
        t0 = time.monotonic()

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise TestFailure(f"agent exited early with code {self.proc.returncode}; "
                                  f"stderr:\n{self.stderr()}")
            try:
                status, _ = http_get(self.url, timeout=1.0)
                return status == 200
            except OSError:
                return False
        try:
            wait_until(ready, timeout, interval=0.2, what=f"agent /metrics on port {self.port}")
        except TestFailure as e:
            if "timed out" in str(e):
                raise TestFailure(f"{e}; agent stderr so far:\n{self.stderr()}") from None
            raise
        log(f"agent ready (pid {self.proc.pid}) after {time.monotonic() - t0:.1f}s")
        # Diagnostics only: the contract is "/metrics answers 200 only once the
        # probes are attached". If the agent also has a readiness endpoint that
        # disagrees, say so: traffic sent now may not be observed.
        try:
            hs, hb = http_get(f"http://127.0.0.1:{self.port}/healthz", timeout=1.0)
            if hs not in (200, 404):
                log(f"WARNING: /metrics answered 200 but /healthz says {hs} "
                    f"{hb.decode(errors='replace').strip()!r}: the agent serves /metrics "
                    "before it is ready (contract: only after the probes are attached)")
        except OSError:
            pass
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stderr(self) -> str:
        return read_text(self.stderr_path)

    def scrape(self, timeout: float = 5.0) -> Metrics:
        status, body = http_get(self.url, timeout=timeout)
        if status != 200:
            raise TestFailure(f"GET {self.url} returned {status}")
        return parse_prometheus(body.decode("utf-8", "replace"))

    def scrape_text(self, timeout: float = 5.0) -> str:
        status, body = http_get(self.url, timeout=timeout)
        if status != 200:
            raise TestFailure(f"GET {self.url} returned {status}")
        return body.decode("utf-8", "replace")

    def stop(self, timeout: float = 10.0) -> Optional[int]:
        """SIGTERM, bounded wait, SIGKILL. Returns the exit code."""
        if self.proc is not None:
            self.exit_code = stop_process(self.proc, signal.SIGTERM, timeout=timeout)
            self.proc = None
        return self.exit_code

    def cleanup(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "Agent":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.cleanup()


# --------------------------------------------------------------------------
# /proc helpers (benchmarks)


def proc_cpu_ticks(pid: int) -> int:
    """utime + stime of the whole thread group, in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is state (field 3); utime is field 14, stime field 15.
    return int(fields[11]) + int(fields[12])


def proc_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def bpf_map_memlock_bytes(pid: int) -> Tuple[int, int]:
    """(sum of memlock over the process's BPF map fds, number of maps)."""
    total = 0
    count = 0
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target != "anon_inode:bpf-map":
            continue
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                for line in f:
                    if line.startswith("memlock:"):
                        total += int(line.split()[1])
                        count += 1
                        break
        except OSError:
            continue
    return total, count


# --------------------------------------------------------------------------
# Prometheus text format


_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def _parse_value(s: str) -> float:
    if s in ("+Inf", "Inf", "+inf", "inf"):
        return math.inf
    if s in ("-Inf", "-inf"):
        return -math.inf
    if s.lower() == "nan":
        return math.nan
    return float(s)


def parse_prometheus(text: str) -> Metrics:
    """Parse the Prometheus text exposition format (0.0.4).

    Returns {(sample_name, frozenset({(label, value), ...})): value}.
    Comment/HELP/TYPE lines are ignored; timestamps are dropped. Raises
    ValueError on malformed lines or on a duplicate series."""
    out: Metrics = {}
    for lineno, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _NAME_RE.match(line)
        if not m:
            raise ValueError(f"line {lineno}: bad metric name: {raw!r}")
        name = m.group(0)
        i = m.end()
        labels: Dict[str, str] = {}
        if i < len(line) and line[i] == "{":
            i += 1
            while True:
                while i < len(line) and line[i] in " ,":
                    i += 1
                if i >= len(line):
                    raise ValueError(f"line {lineno}: unterminated labels: {raw!r}")
                if line[i] == "}":
                    i += 1
                    break
                lm = _NAME_RE.match(line, i)
                if not lm:
                    raise ValueError(f"line {lineno}: bad label name: {raw!r}")
                lname = lm.group(0)
                i = lm.end()
                if line[i:i + 2] != '="':
                    raise ValueError(f"line {lineno}: expected =\" after {lname}: {raw!r}")
                i += 2
                val = []
                while True:
                    if i >= len(line):
                        raise ValueError(f"line {lineno}: unterminated label value: {raw!r}")
                    c = line[i]
                    if c == "\\":
                        n = line[i + 1] if i + 1 < len(line) else ""
                        val.append({"n": "\n", "\\": "\\", '"': '"'}.get(n, "\\" + n))
                        i += 2
                    elif c == '"':
                        i += 1
                        break
                    else:
                        val.append(c)
                        i += 1
                labels[lname] = "".join(val)
        rest = line[i:].split()
        if not rest:
            raise ValueError(f"line {lineno}: missing value: {raw!r}")
        key = (name, frozenset(labels.items()))
        if key in out:
            raise ValueError(f"line {lineno}: duplicate series {fmt_key(key)}")
        out[key] = _parse_value(rest[0])
    return out


def fmt_key(key: MetricKey) -> str:
    name, labels = key
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels))
    return f"{name}{{{inner}}}"


def mkey(name: str, **labels: str) -> MetricKey:
    return (name, frozenset((k, str(v)) for k, v in labels.items()))


def select(metrics: Metrics, name: str, **labels: str) -> Dict[MetricKey, float]:
    """All samples called `name` whose labels include `labels`."""
    want = {(k, str(v)) for k, v in labels.items()}
    return {k: v for k, v in metrics.items() if k[0] == name and want <= k[1]}


def check_io_hooks(chk, metrics: Metrics) -> None:
    """The agent reports which hooks saw socket I/O; when the test runs with
    REDEYE_IO_HOOKS=socket|syscalls (ctest registers such variants), it must
    be those, so each variant really measures its own kernel path."""
    hooks = select(metrics, "redeye_kernel_io_hooks_info")
    got = ",".join(sorted(dict(k[1]).get("hooks", "?") for k in hooks)) or "missing"
    want = os.environ.get("REDEYE_IO_HOOKS", "auto")
    if want == "auto":  # the socket hooks whenever the kernel has them (x86-64, arm64)
        want = "socket" if kernel_has_socket_tracepoints() else "syscalls"
    chk.true(f"redeye_kernel_io_hooks_info{{hooks={want}}} "
             f"(REDEYE_IO_HOOKS={os.environ.get('REDEYE_IO_HOOKS', 'auto')})",
             got == want, want, got)


def check_connection_counts(chk, metrics: Metrics) -> None:
    """process_open_tcp_connections comes from the source the test asked for:
    /proc when REDEYE_DISCOVERY_CONNECTION_COUNTS=proc (the syscall variants),
    else the BPF socket iterator on Linux 6.1+, so each variant checks its own
    counting path."""
    setting = os.environ.get("REDEYE_DISCOVERY_CONNECTION_COUNTS", "auto")
    want = setting
    if setting == "auto":
        release = tuple(int(x) for x in re.findall(r"\d+", platform.release())[:2])
        want = "iterator" if release >= (6, 1) else "proc"
    sources = select(metrics, "redeye_connection_counts_info")
    got = ",".join(sorted(dict(k[1]).get("source", "?") for k in sources)) or "missing"
    chk.true(f"redeye_connection_counts_info{{source={want}}} "
             f"(REDEYE_DISCOVERY_CONNECTION_COUNTS={setting})", got == want, want, got)


def kernel_has_socket_tracepoints() -> bool:
    """Whether the running kernel's BTF names the sock_{send,recv}_length tracepoints
    (read independently of the agent's own detection)."""
    if platform.machine() not in ("x86_64", "aarch64"):
        return False
    try:
        with open("/sys/kernel/btf/vmlinux", "rb") as f:
            blob = f.read()
    except OSError:
        return False
    return all(name in blob for name in (b"btf_trace_sock_send_length\0",
                                         b"btf_trace_sock_recv_length\0"))


def one(metrics: Metrics, name: str, **labels: str) -> Optional[float]:
    """The value of the single sample called `name` whose labels include
    `labels` (extra labels, e.g. service_instance_id, are allowed). None if
    there is no such sample; TestFailure if several match."""
    found = select(metrics, name, **labels)
    if len(found) > 1:
        raise TestFailure(f"{len(found)} series match {fmt_key(mkey(name, **labels))}: "
                          + "; ".join(fmt_key(k) for k in found))
    return next(iter(found.values())) if found else None


def label_dict(key: MetricKey) -> Dict[str, str]:
    return dict(key[1])


def total(metrics: Metrics, name: str, **labels: str) -> float:
    return sum(select(metrics, name, **labels).values())


# --------------------------------------------------------------------------
# comparing


class Checker:
    """Collects expected-vs-got comparisons; prints a table at the end."""

    def __init__(self) -> None:
        self.rows: List[Tuple[bool, str, str, str]] = []

    def eq(self, what: str, expected, got) -> bool:
        ok = got is not None and _num_eq(expected, got)
        self.rows.append((ok, what, _fmt(expected), _fmt(got)))
        return ok

    def true(self, what: str, ok: bool, expected: str, got: str) -> bool:
        """A yes/no check; `got` describes what was observed ("" = as expected)."""
        self.rows.append((bool(ok), what, expected, got if got != "" else expected))
        return bool(ok)

    @property
    def failures(self) -> List[Tuple[bool, str, str, str]]:
        return [r for r in self.rows if not r[0]]

    def report(self, out=sys.stdout, only_failures: bool = False) -> None:
        rows = self.failures if only_failures else self.rows
        if not rows:
            return
        w = min(max(len(r[1]) for r in rows), 150)
        print(f"     {'check':<{w}}  {'expected':>14}  {'got':>14}", file=out)
        for ok, what, exp, got in rows:
            mark = "ok  " if ok else "FAIL"
            if ok and len(got) > 60:
                got = got[:57] + "..."
            print(f"{mark} {what:<{w}}  {exp:>14}  {got:>14}", file=out)
        out.flush()


class Guard:
    """The body of a test runs inside `with guard:`. A TestFailure, an interrupt or an
    unexpected exception there is printed and marks the test failed instead of escaping,
    so the test can still print its diagnostics (conclude) before it cleans up."""

    def __init__(self) -> None:
        self.failed = False

    def __enter__(self) -> "Guard":
        return self

    def __exit__(self, kind, value, tb) -> bool:
        if kind is None:
            return False
        self.failed = True
        if issubclass(kind, TestFailure):
            print(f"\nFAIL: {value}", file=sys.stderr)
        elif issubclass(kind, KeyboardInterrupt):
            print("\ninterrupted", file=sys.stderr)
        else:
            traceback.print_exception(kind, value, tb)
        return True


Diagnostic = Tuple[str, Callable[[], str]]


def agent_stderr(agent, tail: int = 4000) -> Diagnostic:
    """The diagnostic most tests want: the end of the agent's stderr (none when the test
    failed before it made the agent)."""
    return ("agent stderr (tail)", lambda: agent.stderr()[-tail:] if agent is not None else "")


def series_lines(title: str, text_of: Callable[[], str], prefixes: Tuple[str, ...]) -> Diagnostic:
    """A diagnostic: the lines of a scrape (text_of(), e.g. the last one the test kept)
    whose series names start with one of `prefixes`."""
    return (title, lambda: "\n".join(line for line in text_of().splitlines()
                                      if line.startswith(prefixes)))


def conclude(check: Checker, guard: Guard, diagnostics: Iterable[Diagnostic] = ()) -> int:
    """A test's exit code, reported: the checks (failed ones first, on stderr), and when it
    failed (a failed check or a guarded exception) each diagnostic's text, e.g. the agent's
    stderr or a server's log. Call it before the cleanup that deletes what they read."""
    failed = guard.failed or bool(check.failures)
    if check.failures:
        print("\n===== FAILED checks (expected vs got) =====", file=sys.stderr)
        check.report(out=sys.stderr, only_failures=True)
    if check.rows:
        print("\n===== all checks =====")
        check.report()
    if not failed:
        print(f"\nPASS: {len(check.rows)} checks")
        return 0
    for title, text_of in diagnostics:
        try:
            text = text_of()
        except NameError:  # the test stopped before it made what this shows
            continue
        except Exception as e:  # the diagnostic's source may be what failed
            text = f"(unavailable: {e})"
        if text and text.strip():
            print(f"\n===== {title} =====\n{text}", file=sys.stderr)
    print(f"\nFAIL: {len(check.failures)} of {len(check.rows)} checks failed"
          + (", and the test stopped early" if guard.failed else ""), file=sys.stderr)
    return 1


def _num_eq(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if math.isnan(a) or math.isnan(b):
            return False
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def _fmt(v) -> str:
    if v is None:
        return "(missing)"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def ab_summary(output: str) -> Dict[str, int]:
    """Pick the counters out of ApacheBench's report."""
    out: Dict[str, int] = {}
    for key, rx in (("complete", r"^Complete requests:\s+(\d+)"),
                    ("failed", r"^Failed requests:\s+(\d+)"),
                    ("non2xx", r"^Non-2xx responses:\s+(\d+)"),
                    ("keepalive", r"^Keep-Alive requests:\s+(\d+)"),
                    ("write_errors", r"^Write errors:\s+(\d+)")):
        m = re.search(rx, output, re.M)
        out[key] = int(m.group(1)) if m else 0
    return out


def iter_lines(text: str) -> Iterable[str]:
    return [l for l in text.splitlines() if l.strip()]
