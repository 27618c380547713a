"""The gRPC testbed of redeye's integration tests: build the Go programs, run them.

Standard library only; imported by tests/integration/test_grpc.py and by
tests/integration/grpc/frame_batching.py.

  * build_go(cache_root): builds server/ and client/ (this folder) with Debian's Go in GOPATH
    mode (GO111MODULE=off, GOPATH=<tmp>:/usr/share/gocode, GOPROXY=off, GOFLAGS empty): no
    network, no module download. The binaries are cached under cache_root by a hash of the
    sources, `go version` and the Debian package versions of the Go libraries.
  * GoServer: redeye-grpc-server on a free 127.0.0.1 port, its go-grpc-prometheus /metrics on
    another; handled() = grpc_server_handled_total as {(method, STATUS): n}.
  * GoClient: redeye-grpc-client driven over stdin/stdout, JSON lines back.
  * grpc_code_name(): go-grpc-prometheus' grpc_code ("NotFound") -> "NOT_FOUND".
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import harness as h  # noqa: E402

GO = "/usr/bin/go"
GOCODE = "/usr/share/gocode"
# Debian packages the Go programs import from /usr/share/gocode (scripts/install-deps.sh).
GO_PACKAGES = ("golang-go", "golang-google-grpc-dev", "golang-google-protobuf-dev",
               "golang-github-grpc-ecosystem-go-grpc-prometheus-dev",
               "golang-github-prometheus-client-golang-dev")
# Import paths that must be present for the build to work.
GO_IMPORTS = ("google.golang.org/grpc", "google.golang.org/grpc/health/grpc_health_v1",
              "github.com/golang/protobuf/ptypes/wrappers",
              "github.com/grpc-ecosystem/go-grpc-prometheus",
              "github.com/prometheus/client_golang/prometheus/promhttp")
PROGRAMS = {"server": "redeye-grpc-server", "client": "redeye-grpc-client"}

Counts = Dict[Tuple[str, str], int]  # (rpc_method, STATUS) -> calls

# go-grpc-prometheus labels codes with codes.Code.String(); OpenTelemetry with the gRPC names.
_GO_CODE_NAMES = {"Canceled": "CANCELLED"}


def grpc_code_name(go_name: str) -> str:
    if go_name in _GO_CODE_NAMES:
        return _GO_CODE_NAMES[go_name]
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", go_name).upper()


def missing_go_deps() -> List[str]:
    """What is missing to build the Go programs (empty when all is there)."""
    out = []
    if not os.access(GO, os.X_OK):
        out.append(GO)
    for imp in GO_IMPORTS:
        if not os.path.isdir(os.path.join(GOCODE, "src", imp)):
            out.append(os.path.join(GOCODE, "src", imp))
    return out


def _package_versions() -> str:
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\n", *GO_PACKAGES],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=30)
    return r.stdout.decode(errors="replace")


def go_env(gopath_first: str, gocache: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env.update({
        "GO111MODULE": "off",
        "GOPATH": f"{gopath_first}:{GOCODE}",
        "GOCACHE": gocache,
        "GOFLAGS": "",
        "GOPROXY": "off",
        "GOSUMDB": "off",
        "CGO_ENABLED": "0",
        "HOME": gopath_first,
    })
    return env


def source_hash() -> str:
    d = hashlib.sha256()
    for sub in sorted(PROGRAMS):
        for root, _dirs, files in os.walk(os.path.join(HERE, sub)):
            for name in sorted(files):
                if name.endswith(".go"):
                    p = os.path.join(root, name)
                    d.update(os.path.relpath(p, HERE).encode() + b"\0")
                    with open(p, "rb") as f:
                        d.update(f.read())
    ver = subprocess.run([GO, "version"], stdout=subprocess.PIPE, timeout=30).stdout
    d.update(ver + _package_versions().encode())
    return d.hexdigest()[:16]


def build_go(cache_root: str, extra_ldflags: str = "") -> Dict[str, str]:
    """{"server": path, "client": path}; builds only when the cache has no binaries for
    these sources. Raises h.TestFailure with go's output when the build fails."""
    missing = missing_go_deps()
    if missing:
        raise h.TestFailure("cannot build the Go gRPC programs, missing: " + ", ".join(missing)
                            + " (scripts/install-deps.sh)")
    cache_root = os.path.abspath(cache_root)
    key = source_hash() + ("-" + hashlib.sha256(extra_ldflags.encode()).hexdigest()[:8]
                           if extra_ldflags else "")
    out_dir = os.path.join(cache_root, f"go-{key}")
    paths = {sub: os.path.join(out_dir, name) for sub, name in PROGRAMS.items()}
    if all(os.access(p, os.X_OK) for p in paths.values()):
        h.log(f"Go gRPC programs from the cache: {out_dir}")
        return paths
    os.makedirs(cache_root, exist_ok=True)
    gocache = os.path.join(cache_root, "gocache")
    tmp = tempfile.mkdtemp(prefix="gopath-", dir=cache_root)
    try:
        env = go_env(tmp, gocache)
        staged = os.path.join(tmp, "bin")
        os.makedirs(staged)
        for sub, name in PROGRAMS.items():
            pkg = f"redeye.test/grpc/{sub}"
            dst = os.path.join(tmp, "src", pkg)
            shutil.copytree(os.path.join(HERE, sub), dst)
            argv = [GO, "build", "-o", os.path.join(staged, name)]
            if extra_ldflags:
                argv += ["-ldflags", extra_ldflags]
            argv.append(pkg)
            h.log("$ " + " ".join(argv) + f"   (GOPATH={env['GOPATH']})")
            t0 = time.monotonic()
            r = subprocess.run(argv, cwd=tmp, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=900)
            if r.returncode != 0:
                raise h.TestFailure(f"go build {pkg} failed ({r.returncode}):\n"
                                    + r.stdout.decode(errors="replace"))
            h.log(f"built {name} in {time.monotonic() - t0:.1f}s")
        os.makedirs(os.path.dirname(out_dir), exist_ok=True)
        if os.path.isdir(out_dir):
            shutil.rmtree(out_dir)
        os.rename(staged, out_dir)
        for old in os.listdir(cache_root):  # binaries of older sources
            if old.startswith("go-") and os.path.join(cache_root, old) != out_dir:
                shutil.rmtree(os.path.join(cache_root, old), ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return paths


def default_cache_root(redeye_binary: str) -> str:
    """<build dir>/test-cache/grpc for a binary at <build dir>/userspace/redeye."""
    build = os.path.dirname(os.path.dirname(os.path.abspath(redeye_binary)))
    return os.path.join(build, "test-cache", "grpc")


# --------------------------------------------------------------------------


class LineReader:
    """Lines from a child's stdout, bounded waits."""

    def __init__(self, proc: subprocess.Popen, name: str, err_path: str) -> None:
        self.proc, self.name, self.err_path = proc, name, err_path
        self.buffer = b""

    def line(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while True:
            if b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                return line.decode(errors="replace")
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if ready:
                data = os.read(fd, 65536)
                if not data:
                    break
                self.buffer += data
        raise h.TestFailure(f"{self.name}: no output line within {timeout}s (exit "
                            f"{self.proc.poll()}); stderr:\n{h.read_text(self.err_path)[-3000:]}")


class GoServer:
    def __init__(self, binary: str, workdir: str, port: Optional[int] = None,
                 wrap: Optional[List[str]] = None) -> None:
        self.binary = binary
        self.port = port or h.free_port()
        self.metrics_port = h.free_port()
        self.workdir = workdir
        self.wrap = list(wrap or [])
        self.err_path = os.path.join(workdir, f"grpc-server-{self.port}.err")
        self.proc: Optional[subprocess.Popen] = None

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> "GoServer":
        argv = self.wrap + [self.binary, "--addr", self.addr,
                            "--metrics-addr", f"127.0.0.1:{self.metrics_port}"]
        h.log("starting " + " ".join(argv))
        err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=err, preexec_fn=h._child_setup)
        err.close()
        line = LineReader(self.proc, "grpc server", self.err_path).line(timeout)
        if not line.startswith("listening"):
            raise h.TestFailure(f"grpc server said {line!r}")
        h.log(f"grpc server up: {line}")
        return self

    def metrics(self) -> h.Metrics:
        status, body = h.http_get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5)
        if status != 200:
            raise h.TestFailure(f"grpc server /metrics returned {status}")
        return h.parse_prometheus(body.decode("utf-8", "replace"))

    def handled(self) -> Counts:
        """grpc_server_handled_total as {(service/method, STATUS): n}, zeros left out."""
        out: Counts = {}
        for key, v in h.select(self.metrics(), "grpc_server_handled_total").items():
            lab = h.label_dict(key)
            if v:
                k = (f"{lab['grpc_service']}/{lab['grpc_method']}", grpc_code_name(lab["grpc_code"]))
                out[k] = out.get(k, 0) + int(v)
        return out

    def logs(self) -> str:
        return h.read_text(self.err_path)[-4000:]

    def stop(self) -> None:
        if self.proc is not None:
            h.stop_process(self.proc, signal.SIGTERM, timeout=10)
            if self.proc.stdout:
                self.proc.stdout.close()
            self.proc = None


class GoClient:
    """redeye-grpc-client; `tag` goes on its command line for the agent's config rules."""

    def __init__(self, binary: str, addr: str, calls: str, workdir: str, tag: str,
                 then: str = "", concurrency: int = 1, timeout: str = "", jitter: str = "",
                 wait_go: bool = True, wrap: Optional[List[str]] = None,
                 env: Optional[Dict[str, str]] = None) -> None:
        self.tag = tag
        self.err_path = os.path.join(workdir, f"grpc-client-{tag}.err")
        argv = list(wrap or []) + [binary, "--addr", addr, "--calls", calls,
                                   "--concurrency", str(concurrency), f"--tag={tag}"]
        if then:
            argv += ["--then", then]
        if timeout:
            argv += ["--timeout", timeout]
        if jitter:
            argv += ["--timeout-jitter", jitter]
        if wait_go:
            argv.append("--wait-go")
        h.log("starting " + " ".join(argv))
        err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=err, preexec_fn=h._child_setup, env=env)
        err.close()
        self.reader = LineReader(self.proc, f"grpc client {tag}", self.err_path)

    def expect(self, event: str, timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            line = self.reader.line(max(0.1, deadline - time.monotonic()))
            try:
                msg = json.loads(line)
            except ValueError:
                raise h.TestFailure(f"grpc client {self.tag}: not JSON: {line!r}")
            if msg.get("event") == event:
                return msg

    def send(self, line: str = "go") -> None:
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def finish(self) -> None:
        if self.proc is None:
            return
        try:
            self.send("exit")
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        h.stop_process(self.proc, signal.SIGTERM, timeout=5)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None


def phase_counts(msg: dict) -> Counts:
    """A client's phase line -> {(method, STATUS): n}."""
    out: Counts = {}
    for method, by_status in (msg.get("calls") or {}).items():
        for st, n in by_status.items():
            out[(method, st)] = out.get((method, st), 0) + int(n)
    return out


def diff(after: Counts, before: Counts) -> Counts:
    out = {k: v - before.get(k, 0) for k, v in after.items()}
    return {k: v for k, v in out.items() if v}


# --------------------------------------------------------------------------
# Node: @grpc/grpc-js from the npm registry, installed at test time into the build tree


NODE = "/usr/bin/node"
NPM = "/usr/bin/npm"
GRPC_JS = "@grpc/grpc-js"
GRPC_JS_VERSION = "~1.14.0"
NODE_DIR = os.path.join(HERE, "node")


def install_grpc_js(cache_root: str, timeout: float = 300.0) -> Tuple[Optional[str], str]:
    """(dir whose node_modules holds @grpc/grpc-js, "") or (None, why not). Installs with
    `npm install` into <cache_root>/node-<version spec> once; never into the source tree."""
    for tool in (NODE, NPM):
        if not os.access(tool, os.X_OK):
            return None, f"{tool} is missing"
    tag = re.sub(r"[^0-9A-Za-z.]+", "_", GRPC_JS_VERSION)
    d = os.path.join(cache_root, f"node-grpc-js-{tag}")
    if os.path.isfile(os.path.join(d, "node_modules", "@grpc", "grpc-js", "package.json")):
        return d, ""
    os.makedirs(cache_root, exist_ok=True)
    tmp: Optional[str] = tempfile.mkdtemp(prefix="npm-", dir=cache_root)
    try:
        with open(os.path.join(tmp, "package.json"), "w") as f:
            json.dump({"name": "redeye-grpc-node-testbed", "private": True,
                       "dependencies": {GRPC_JS: GRPC_JS_VERSION}}, f)
        argv = [NPM, "install", "--no-audit", "--no-fund", "--no-update-notifier",
                "--cache", os.path.join(cache_root, "npm-cache")]
        h.log("$ " + " ".join(argv) + f"   (in {tmp})")
        try:
            r = subprocess.run(argv, cwd=tmp, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, f"npm install {GRPC_JS} did not finish in {timeout}s"
        if r.returncode != 0:
            return None, (f"npm install {GRPC_JS}@{GRPC_JS_VERSION} failed ({r.returncode}): "
                          + r.stdout.decode(errors="replace")[-1500:])
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.rename(tmp, d)
        tmp = None
        return d, ""
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def node_env(node_dir: str) -> Dict[str, str]:
    return dict(os.environ, NODE_PATH=os.path.join(node_dir, "node_modules"))


class NodeServer:
    """grpc/node/server.js; handled() asks it for its own counts over stdin."""

    def __init__(self, node_dir: str, workdir: str, port: Optional[int] = None) -> None:
        self.node_dir = node_dir
        self.port = port or h.free_port()
        self.err_path = os.path.join(workdir, f"grpc-node-server-{self.port}.err")
        self.proc: Optional[subprocess.Popen] = None
        self.reader: Optional[LineReader] = None

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> "NodeServer":
        argv = [NODE, os.path.join(NODE_DIR, "server.js"), "--addr", self.addr]
        h.log("starting " + " ".join(argv))
        err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=err, preexec_fn=h._child_setup,
                                     env=node_env(self.node_dir))
        err.close()
        self.reader = LineReader(self.proc, "grpc-js server", self.err_path)
        line = self.reader.line(timeout)
        if not line.startswith("listening"):
            raise h.TestFailure(f"grpc-js server said {line!r}")
        h.log(f"grpc-js server up: {line}")
        return self

    def handled(self) -> Counts:
        self.proc.stdin.write(b"counts\n")
        self.proc.stdin.flush()
        while True:
            msg = json.loads(self.reader.line(10))
            if msg.get("event") == "counts":
                return phase_counts(msg)

    def logs(self) -> str:
        return h.read_text(self.err_path)[-4000:]

    def stop(self) -> None:
        if self.proc is not None:
            h.stop_process(self.proc, signal.SIGTERM, timeout=10)
            for s in (self.proc.stdin, self.proc.stdout):
                try:
                    s.close()
                except OSError:
                    pass
            self.proc = None


def node_client(node_dir: str, addr: str, calls: str, workdir: str, tag: str,
                **kw) -> GoClient:
    """grpc/node/client.js, driven exactly like the Go client."""
    return GoClient(os.path.join(NODE_DIR, "client.js"), addr, calls, workdir, tag,
                    wrap=[NODE], env=node_env(node_dir), **kw)
