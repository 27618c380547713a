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
import json
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
h.LOG_STREAM = sys.stderr  # stdout is the report
STRACE = "/usr/bin/strace"
SYSCALLS = "read,write,writev,sendmsg,recvmsg,sendto,recvfrom"
TYPES = {0: "DATA", 1: "HEADERS", 2: "PRIORITY", 3: "RST", 4: "SETTINGS", 5: "PUSH", 6: "PING",
         7: "GOAWAY", 8: "WINUPD", 9: "CONT"}
WRITES = ("write", "writev", "sendmsg", "sendto")

# name, client calls, concurrency, deadline of every call ("" = none on the wire)
SCENARIOS = [
    ("unary, sequential", "check-ok=200", 1, ""),
    ("unary, 32 concurrent", "check-ok=640", 32, ""),
    ("unary, 32 concurrent, 5s deadline (grpc-timeout) on every call", "check-ok=640", 32, "5s"),
    ("unary 20000 B payload, sequential", "echo:20000=50", 1, ""),
    ("server streaming (5 messages), sequential", "stream:5=100", 1, ""),
    ("server streaming (5 messages), 32 concurrent", "stream:5=320", 32, ""),
]

_LINE = re.compile(r"^(\d+)\s+(.*)$")
_CALL = re.compile(r"^(\w+)\((\d+)<(TCP:\[[^\]]*\]|[^>]*)>, (.*)\)\s+=\s+(-?\d+)")
_HEX = re.compile(r'"((?:\\x[0-9a-f]{2})*)"')


def decode_hex(s: str) -> bytes:
    return bytes.fromhex(s.replace("\\x", ""))


def parse_strace(path: str, port: int) -> List[Tuple[str, str, bytes, str]]:
    """[(fd id, "w"|"r", bytes, syscall)] in order, for TCP fds whose annotation names `port`."""
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
            out.append((f"{pid}:{fd}:{ann}", "w" if name in WRITES else "r", data, name))
    return out


class Splitter:
    """Frames of one direction of one connection across syscalls."""

    def __init__(self) -> None:
        self.buf = b""  # an incomplete frame header
        self.left = 0  # payload bytes of the current frame still to come
        self.preface = True
        self.header_blocks: List[int] = []  # HEADERS payload lengths

    def feed(self, data: bytes) -> Tuple[List[str], bool, int]:
        """(types of the frames that start in `data`, whether data ends inside a frame,
        HEADERS/CONTINUATION payload bytes of those frames)."""
        types = []
        hdr = 0
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
            if t == 1:
                self.header_blocks.append(length)
            if t in (1, 9):
                hdr += length
            if t in (0, 1) and flags & 1:
                name += "*"  # END_STREAM
            types.append(name)
            self.buf = b""
            self.left = length
        return types, bool(self.left or self.buf), hdr


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


def report(title: str, side: str, events: List[Tuple[str, str, bytes, str]], calls: int) -> str:
    split: Dict[Tuple[str, str], Splitter] = collections.defaultdict(Splitter)
    sizes = {"w": [], "r": []}
    frames = {"w": collections.Counter(), "r": collections.Counter()}
    seqs = {"w": collections.Counter(), "r": collections.Counter()}
    straddle = {"w": 0, "r": 0}
    maxframes = {"w": 0, "r": 0}
    names = collections.Counter()
    hdr_per = {"w": [], "r": []}
    for fd, d, data, name in events:
        names[name] += 1
        types, inside, hdr = split[(fd, d)].feed(data)
        hdr_per[d].append(hdr)
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
    blocks = {"w": [], "r": []}
    for (fd, d), sp in split.items():
        blocks[d] += sp.header_blocks
    lines += ["", "syscalls: " + ", ".join(f"{k} {v}" for k, v in sorted(names.items())),
              "", "| HEADERS payload bytes | frames | min | p50 | p90 | p99 | max |",
              "|---|---|---|---|---|---|---|",
              f"| written | {quantiles(blocks['w'])} |", f"| read | {quantiles(blocks['r'])} |",
              "", "| HEADERS+CONTINUATION payload bytes per syscall | syscalls | min | p50 | p90 "
              "| p99 | max |", "|---|---|---|---|---|---|---|",
              f"| writes | {quantiles(hdr_per['w'])} |", f"| reads | {quantiles(hdr_per['r'])} |"]
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


def stop_group(proc) -> None:
    """SIGTERM to the traced program itself (the group), so that it exits and strace with it."""
    if proc is not None and proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass


def run_go(bins: Dict[str, str], work: str) -> str:
    text = []
    for title, calls, conc, deadline in SCENARIOS:
        srv_trace = os.path.join(work, "server.strace")
        cli_trace = os.path.join(work, "client.strace")
        server = tb.GoServer(bins["server"], work, wrap=traced([], srv_trace))
        server.start(timeout=60)
        try:
            client = tb.GoClient(bins["client"], server.addr, calls, work, tag="strace",
                                 concurrency=conc, wait_go=False, timeout=deadline,
                                 wrap=traced([], cli_trace))
            msg = client.expect("phase", timeout=300)
            client.finish()
            if msg.get("unexpected"):
                raise h.TestFailure(f"{title}: {msg['unexpected']}")
            time.sleep(0.5)
        finally:
            stop_group(server.proc)
            server.stop()
        n = int(msg["total"])
        text.append(report(f"Go {title}", "client", parse_strace(cli_trace, server.port), n))
        text.append(report(f"Go {title}", "server", parse_strace(srv_trace, server.port), n))
    return "\n".join(text)


def proc_io(pid: int) -> Dict[str, int]:
    """/proc/PID/io: syscr, syscw (read/write syscalls so far), rchar, wchar (their bytes)."""
    vals = {}
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            k, v = line.split(":")
            vals[k] = int(v)
    return vals


def run_go_untraced(bins: Dict[str, str], work: str) -> str:
    """Without strace (which slows every syscall and so may batch more): syscalls per call
    and bytes per syscall from /proc/PID/io of the client and the server, over a second phase
    on a warm channel. Counts every read/write syscall of the process (Go's reads include
    EAGAIN attempts; the client's one JSON line to stdout is taken off)."""
    rows = ["| scenario | calls | client writes/call | B/write | client reads/call | B/read | "
            "server writes/call | B/write | server reads/call | B/read |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for title, calls, conc, deadline in SCENARIOS:
        server = tb.GoServer(bins["server"], work).start()
        try:
            warm = calls.split("=")[0] + "=1"
            client = tb.GoClient(bins["client"], server.addr, warm, work, tag="io",
                                 concurrency=conc, then=calls, wait_go=False,
                                 timeout=deadline)
            first = client.expect("phase", timeout=60)
            c0, s0 = proc_io(client.proc.pid), proc_io(server.proc.pid)
            client.send("go")
            msg = client.expect("phase", timeout=300)
            c1, s1 = proc_io(client.proc.pid), proc_io(server.proc.pid)
            client.finish()
        finally:
            server.stop()
        n = int(msg["total"])
        line_bytes = len(json.dumps(first)) + 1  # about the JSON line's size
        cw, cwb = c1["syscw"] - c0["syscw"] - 1, c1["wchar"] - c0["wchar"] - line_bytes
        cr, crb = c1["syscr"] - c0["syscr"], c1["rchar"] - c0["rchar"]
        sw, swb = s1["syscw"] - s0["syscw"], s1["wchar"] - s0["wchar"]
        sr, srb = s1["syscr"] - s0["syscr"], s1["rchar"] - s0["rchar"]
        rows.append(f"| Go {title} | {n} | {cw / n:.2f} | {cwb / max(cw, 1):.0f} | "
                    f"{cr / n:.2f} | {crb / max(cr, 1):.0f} | {sw / n:.2f} | "
                    f"{swb / max(sw, 1):.0f} | {sr / n:.2f} | {srb / max(sr, 1):.0f} |")
    return "\n".join(rows) + "\n"


def run_node(node_dir: str, work: str) -> str:
    """grpc-js server and client (tests/integration/grpc/node/*.js with node_modules in
    node_dir) under strace, the same scenarios."""
    node = shutil.which("node") or "/usr/bin/node"
    text = []
    for title, calls, conc, deadline in SCENARIOS:
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
                                        str(conc)] + (["--timeout", deadline] if deadline else []),
                                       cli_trace),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, timeout=300)
            if cp.returncode != 0:
                raise h.TestFailure(f"node client: {cp.stderr.decode(errors='replace')}")
            time.sleep(0.5)
        finally:
            stop_group(sp)
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
            print("#### Go, without strace: syscalls per call (/proc/PID/io)\n")
            print(run_go_untraced(bins, work))
            print(run_go(bins, work))
        if args.node:
            print(run_node(args.node, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
