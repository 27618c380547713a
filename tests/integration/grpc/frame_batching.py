#!/usr/bin/python3
"""Measure how gRPC implementations batch HTTP/2 frames into socket syscalls.

Runs the gRPC server and client of this folder (and, with --node DIR, the @grpc/grpc-js ones)
under `strace -f -yy -xx -s 262144 -e trace=read,write,writev,sendmsg,recvmsg,sendto,recvfrom`,
keeps the syscalls on the gRPC connection (fds annotated with the server's port), splits each
direction's byte stream into HTTP/2 frames and reports, per scenario and side:
  * write and read sizes (count, min, p50, p90, p99, max),
  * frames starting per write / per read (histogram) and the most common frame-type sequences,
  * how many reads end inside a frame (a frame continued in the next read).
Output: markdown on stdout (docs/research/grpc-frame-batching.md holds a run of it).

Not a test: a measuring tool. Loopback only, bounded call counts. Needs strace.

  /usr/bin/python3 tests/integration/grpc/frame_batching.py --cache-dir build/test-cache/grpc
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import testbed as tb  # noqa: E402

h = tb.h
STRACE = "/usr/bin/strace"
SYSCALLS = "read,write,writev,sendmsg,recvmsg,sendto,recvfrom"
TYPES = {0: "DATA", 1: "HEADERS", 2: "PRIORITY", 3: "RST", 4: "SETTINGS", 5: "PUSH", 6: "PING",
         7: "GOAWAY", 8: "WINUPD", 9: "CONT"}
WRITES = ("write", "writev", "sendmsg", "sendto")

# name, client calls, concurrency
SCENARIOS = [
    ("unary, sequential", "check-ok=200", 1),
    ("unary, 32 concurrent", "check-ok=640", 32),
    ("unary 20000 B payload, sequential", "echo:20000=50", 1),
    ("server streaming (5 messages), sequential", "stream:5=100", 1),
    ("server streaming (5 messages), 32 concurrent", "stream:5=320", 32),
]

_LINE = re.compile(r"^(\d+)\s+(.*)$")
_CALL = re.compile(r"^(\w+)\((\d+)<([^>]*)>, (.*)\) = (-?\d+)")
_HEX = re.compile(r'"((?:\\x[0-9a-f]{2})*)"')


def decode_hex(s: str) -> bytes:
    return bytes.fromhex(s.replace("\\x", ""))


def parse_strace(path: str, port: int) -> List[Tuple[str, str, bytes]]:
    """[(fd id, "w"|"r", bytes)] in order, for TCP fds whose annotation names `port`."""
    pending: Dict[str, str] = {}
    out = []
    with open(path, errors="replace") as f:
        for raw in f:
            raw = raw.rstrip("\n")
            m = _LINE.match(raw)
            if not m:
                continue
            pid, rest = m.groups()
            if rest.endswith("<unfinished ...>"):
                pending[pid] = rest[: -len("<unfinished ...>")].rstrip()
                continue
            if rest.startswith("<... "):
                head = pending.pop(pid, None)
                if head is None:
                    continue
                rest = head + rest.split("resumed>", 1)[1]
            c = _CALL.match(rest)
            if not c:
                continue
            name, fd, ann, args, ret = c.groups()
            if "TCP" not in ann or f":{port}" not in ann or int(ret) <= 0:
                continue
            n = int(ret)
            chunks = [decode_hex(x) for x in _HEX.findall(args)]
            data = b"".join(chunks)[:n]
            if len(data) < n:
                data = data + b"\0" * (n - len(data))  # strace -s cut it: should not happen
            out.append((f"{pid}:{fd}:{ann}", "w" if name in WRITES else "r", data))
    return out


class Splitter:
    """Frames of one direction of one connection across syscalls."""

    def __init__(self) -> None:
        self.buf = b""  # an incomplete frame header
        self.left = 0  # payload bytes of the current frame still to come
        self.preface = True

    def feed(self, data: bytes) -> Tuple[List[str], bool]:
        """(types of the frames that start in `data`, whether data ends inside a frame)."""
        types = []
        i = 0
        if self.preface and data.startswith(b"PRI * HTTP/2.0"):
            i = 24
            types.append("PREFACE")
        self.preface = False
        while i < len(data):
            if self.left:
                take = min(self.left, len(data) - i)
                self.left -= take
                i += take
                continue
            need = 9 - len(self.buf)
            self.buf += data[i:i + need]
            i += min(need, len(data) - i)
            if len(self.buf) < 9:
                break
            length = int.from_bytes(self.buf[0:3], "big")
            t = self.buf[3]
            flags = self.buf[4]
            name = TYPES.get(t, f"T{t}")
            if t in (0, 1) and flags & 1:
                name += "*"  # END_STREAM
            types.append(name)
            self.buf = b""
            self.left = length
        return types, bool(self.left or self.buf)


def quantiles(xs: List[int]) -> str:
    if not xs:
        return "n/a"
    s = sorted(xs)

    def q(p: float) -> int:
        return s[min(len(s) - 1, int(p * (len(s) - 1) + 0.5))]
    return f"{len(s)} | {s[0]} | {q(0.5)} | {q(0.9)} | {q(0.99)} | {s[-1]}"


def bucket(n: int) -> str:
    for lo, hi in ((0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 8), (9, 16), (17, 32), (33, 64)):
        if lo <= n <= hi:
            return str(lo) if lo == hi else f"{lo}-{hi}"
    return ">64"


BUCKETS = ["0", "1", "2", "3", "4", "5-8", "9-16", "17-32", "33-64", ">64"]


def report(title: str, side: str, events: List[Tuple[str, str, bytes]], calls: int) -> str:
    split: Dict[Tuple[str, str], Splitter] = collections.defaultdict(Splitter)
    sizes = {"w": [], "r": []}
    frames = {"w": collections.Counter(), "r": collections.Counter()}
    seqs = {"w": collections.Counter(), "r": collections.Counter()}
    straddle = {"w": 0, "r": 0}
    maxframes = {"w": 0, "r": 0}
    for fd, d, data in events:
        types, inside = split[(fd, d)].feed(data)
        sizes[d].append(len(data))
        frames[d][bucket(len(types))] += 1
        maxframes[d] = max(maxframes[d], len(types))
        seqs[d][" ".join(types) if len(types) <= 8 else " ".join(types[:8]) + f" ...(+{len(types) - 8})"] += 1
        straddle[d] += inside
    lines = [f"#### {title}: {side} ({calls} calls)", "",
             "| | syscalls | min | p50 | p90 | p99 | max bytes | max frames | ends inside a frame |",
             "|---|---|---|---|---|---|---|---|---|"]
    for d, name in (("w", "writes"), ("r", "reads")):
        lines.append(f"| {name} | {quantiles(sizes[d])} | {maxframes[d]} | {straddle[d]} |")
    lines += ["", "| frames starting per syscall | " + " | ".join(BUCKETS) + " |",
              "|---|" + "---|" * len(BUCKETS)]
    for d, name in (("w", "writes"), ("r", "reads")):
        lines.append(f"| {name} | " + " | ".join(str(frames[d][b]) for b in BUCKETS) + " |")
    for d, name in (("w", "writes"), ("r", "reads")):
        top = seqs[d].most_common(6)
        lines += ["", f"most common frame sequences in one {name[:-1]} (`*` = END_STREAM):", ""]
        lines += [f"- {n} x `{s or '(continuation bytes only)'}`" for s, n in top]
    return "\n".join(lines) + "\n"


def traced(argv: List[str], out: str) -> List[str]:
    return [STRACE, "-f", "-qq", "-yy", "-xx", "-s", "262144", "-e", f"trace={SYSCALLS}",
            "-o", out, "--"] + argv


def run_go(bins: Dict[str, str], work: str) -> str:
    text = []
    for title, calls, conc in SCENARIOS:
        srv_trace = os.path.join(work, "server.strace")
        cli_trace = os.path.join(work, "client.strace")
        server = tb.GoServer(bins["server"], work, wrap=traced([], srv_trace)[:-1] + ["--"])
        server.start(timeout=60)
        try:
            client = tb.GoClient(bins["client"], server.addr, calls, work, tag="strace",
                                 concurrency=conc, wait_go=False,
                                 wrap=traced([], cli_trace)[:-1] + ["--"])
            msg = client.expect("phase", timeout=300)
            client.finish()
            if msg.get("unexpected"):
                raise h.TestFailure(f"{title}: {msg['unexpected']}")
            time.sleep(0.5)
        finally:
            server.stop()
        n = int(msg["total"])
        text.append(report(f"Go {title}", "client", parse_strace(cli_trace, server.port), n))
        text.append(report(f"Go {title}", "server", parse_strace(srv_trace, server.port), n))
    return "\n".join(text)


def run_node(node_dir: str, work: str) -> str:
    """grpc-js server and client (tests/integration/grpc/node/*.js with node_modules in
    node_dir) under strace, the same scenarios."""
    node = shutil.which("node") or "/usr/bin/node"
    text = []
    for title, calls, conc in SCENARIOS:
        srv_trace = os.path.join(work, "nserver.strace")
        cli_trace = os.path.join(work, "nclient.strace")
        port = h.free_port()
        env = dict(os.environ, NODE_PATH=os.path.join(node_dir, "node_modules"))
        srv_err = open(os.path.join(work, "nserver.err"), "wb")
        sp = subprocess.Popen(traced([node, os.path.join(HERE, "node", "server.js"),
                                      "--addr", f"127.0.0.1:{port}"], srv_trace),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=srv_err,
                              env=env, preexec_fn=h._child_setup)
        srv_err.close()
        try:
            line = tb.LineReader(sp, "node server", os.path.join(work, "nserver.err")).line(60)
            if not line.startswith("listening"):
                raise h.TestFailure(f"node server: {line!r}")
            cp = subprocess.run(traced([node, os.path.join(HERE, "node", "client.js"), "--addr",
                                        f"127.0.0.1:{port}", "--calls", calls, "--concurrency",
                                        str(conc)], cli_trace),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, timeout=300)
            if cp.returncode != 0:
                raise h.TestFailure(f"node client: {cp.stderr.decode(errors='replace')}")
            time.sleep(0.5)
        finally:
            h.stop_process(sp, signal.SIGTERM, timeout=10)
        n = sum(int(x.split("=")[1]) for x in calls.split(","))
        text.append(report(f"grpc-js {title}", "client", parse_strace(cli_trace, port), n))
        text.append(report(f"grpc-js {title}", "server", parse_strace(srv_trace, port), n))
    return "\n".join(text)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache-dir", required=True)
    ap.add_argument("--node", default=None, help="dir whose node_modules has @grpc/grpc-js")
    ap.add_argument("--only-node", action="store_true")
    args = ap.parse_args()
    if not os.access(STRACE, os.X_OK):
        print("strace is missing (apt-get install strace)", file=sys.stderr)
        return 1
    work = tempfile.mkdtemp(prefix="redeye-h2-batching-")
    try:
        if not args.only_node:
            bins = tb.build_go(args.cache_dir)
            print(run_go(bins, work))
        if args.node:
            print(run_node(args.node, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
