#!/usr/bin/python3
"""End-to-end: services are discovered, named by configuration and get exact USE metrics.

A YAML config names a `python3 -m http.server` "shop-api" (by command line) and an nginx
"mes-api" (by listening port). With the agent running this checks:
  * both services are named as configured, with namespace, routes and storage size;
  * a process started after the agent is measured from its first requests;
  * a CPU burner at a known duty cycle reads back within +/-0.1;
  * N idle keep-alive clients (some connected before the agent) are exactly N server
    connections of nginx;
  * nginx's network bytes equal what the client sent and received, to the byte;
  * a process killed by the OOM killer in a memory-limited cgroup is counted.

Exit codes: 0 pass, 1 fail, 77 skipped (not root / no BTF).
"""

import argparse
import os
import shutil
import socket
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

PY = "/usr/bin/python3"
DUTY = 0.5
IDLE_BEFORE, IDLE_AFTER = 4, 3
CATALOG_REQUESTS = 12
LATE_REQUESTS = 5
RAW_REQUESTS = 9

BURNER = f"""
import time
end = time.monotonic() + 60
while time.monotonic() < end:
    start = time.monotonic()
    while time.monotonic() - start < {DUTY} * 0.1:
        pass
    time.sleep({1 - DUTY} * 0.1)
"""

# Waits until discovery has named it, then fails CONNECT_FAILURES connects to a closed port
# and aborts one connection to nginx with a reset (SO_LINGER 0).
TCP_CLIENT = """
import socket, struct, sys, time
time.sleep(1.5)
for _ in range({failures}):
    try:
        socket.create_connection(("127.0.0.1", {closed_port}), timeout=2)
    except ConnectionRefusedError:
        pass
s = socket.create_connection(("127.0.0.1", {nginx_port}), timeout=5)
s.sendall(b"GET /abort HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
data = b""
while not data.endswith(b"idle"):
    data += s.recv(4096)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
"""
CONNECT_FAILURES = 3

# Waits until discovery has seen the exec, then allocates past the cgroup's limit.
OOM_VICTIM = "import time; time.sleep(1.5); a = [bytearray(1 << 20) for _ in range(4096)]"


def config_yaml(shop_port: int, late_port: int, nginx_port: int, storage: str) -> str:
    return f"""
discovery:
  use_interval: 1s
  storage_interval: 1s
services:
  - name: shop-api
    namespace: alexandrite
    match: {{cmdline: 'http\\.server {shop_port} '}}
    routes: ["/catalog/{{item}}"]
    storage_paths: ["{storage}"]
  - name: mes-api
    namespace: alexandrite
    match: {{port: {nginx_port}}}
  - name: late-api
    match: {{cmdline: 'http\\.server {late_port} '}}
  - name: cpu-burner
    match: {{cmdline: redeye-cpu-burner}}
  - name: oom-victim
    match: {{cmdline: redeye-oom-victim}}
  - name: tcp-client
    match: {{cmdline: redeye-tcp-client}}
"""


def http_server(port: int, workdir: str, tag: str):
    proc = h.spawn([PY, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory",
                    workdir], os.path.join(workdir, f"{tag}.out"), os.path.join(workdir, f"{tag}.err"))
    return proc


def raw_request(port: int, path: str, keep_open: bool = False):
    """Sends one GET; returns (bytes sent, bytes received, socket or None)."""
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: redeye-test\r\n"
               f"Connection: {'keep-alive' if keep_open else 'close'}\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(request)
    received = b""
    if keep_open:
        while b"\r\n\r\n" not in received or not received.endswith(b"idle"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        return len(request), len(received), sock
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    sock.close()
    return len(request), len(received), None


def one(metrics, name, **labels) -> float:
    found = h.select(metrics, name, **labels)
    if len(found) != 1:
        return None
    return next(iter(found.values()))


def allocated_bytes(path: str) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            total += os.lstat(os.path.join(root, f)).st_blocks * 512
    return total


def make_memory_cgroup(name: str, limit: int) -> str:
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):  # pure cgroup v2
        path = f"/sys/fs/cgroup/{name}"
        os.mkdir(path)
        with open(f"{path}/memory.max", "w") as f:
            f.write(str(limit))
        if os.path.exists(f"{path}/memory.swap.max"):
            with open(f"{path}/memory.swap.max", "w") as f:
                f.write("0")
        return path
    path = f"/sys/fs/cgroup/memory/{name}"
    if not os.path.isdir("/sys/fs/cgroup/memory"):
        h.skip("no cgroup memory controller to build the OOM scenario in")
    os.mkdir(path)
    with open(f"{path}/memory.limit_in_bytes", "w") as f:
        f.write(str(limit))
    return path


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--redeye", required=True)
    args = ap.parse_args()
    h.require_root_and_btf()
    h.install_signal_handlers()

    work = tempfile.mkdtemp(prefix="redeye-services-")
    os.chmod(work, 0o755)
    storage = os.path.join(work, "storage")
    os.mkdir(storage)
    for i, size in enumerate((100_000, 200_000, 300_000)):
        with open(os.path.join(storage, f"object-{i}"), "wb") as f:
            f.write(os.urandom(size))
    shop_port, late_port = h.free_port(), h.free_port()
    nginx = h.Nginx('location / { return 200 "idle"; }')
    procs = []
    idle = []
    agent = None
    cgroup = None
    check = h.Checker()
    guard = h.Guard()
    try:
        with guard:
            nginx.start()
            procs.append(http_server(shop_port, work, "shop"))
            h.wait_until(lambda: h.port_open("127.0.0.1", shop_port), 10, what="shop-api listening")
            for _ in range(IDLE_BEFORE):
                idle.append(raw_request(nginx.port, "/idle", keep_open=True)[2])

            config_path = os.path.join(work, "redeye.yaml")
            with open(config_path, "w") as f:
                f.write(config_yaml(shop_port, late_port, nginx.port, storage))
            agent = h.Agent(args.redeye, ["--config", config_path], workdir=work).start()

            for _ in range(IDLE_AFTER):
                idle.append(raw_request(nginx.port, "/idle", keep_open=True)[2])

            # Explicit route pattern on shop-api (http.server answers 404 for a missing file).
            for i in range(CATALOG_REQUESTS):
                status, _ = h.http_get(f"http://127.0.0.1:{shop_port}/catalog/{1000 + i}?ref=x")
                check.eq(f"shop-api /catalog/{1000 + i} status", 404, status)

            # A process started now is measured from its first requests.
            t0 = time.monotonic()
            procs.append(http_server(late_port, work, "late"))
            h.wait_until(lambda: h.port_open("127.0.0.1", late_port, timeout=0.05), 10, interval=0.01,
                         what="late-api listening")
            first_request_at = time.monotonic() - t0
            for _ in range(LATE_REQUESTS):
                h.http_get(f"http://127.0.0.1:{late_port}/")
            h.log(f"late-api served its first request {first_request_at:.2f}s after it was started")

            # Exact byte counts on nginx, measured as a delta around this traffic.
            time.sleep(2.5)
            before = agent.scrape()
            sent = received = 0
            for _ in range(RAW_REQUESTS):
                s, r, _ = raw_request(nginx.port, "/bytes")
                sent, received = sent + s, received + r
            time.sleep(2.5)
            after_bytes = agent.scrape()

            client = h.spawn([PY, "-c", TCP_CLIENT.format(failures=CONNECT_FAILURES,
                                                          closed_port=h.free_port(),
                                                          nginx_port=nginx.port), "redeye-tcp-client"],
                             os.path.join(work, "client.out"), os.path.join(work, "client.err"))
            check.eq("tcp client exit code", 0, client.wait(timeout=30))

            burner = h.spawn([PY, "-c", BURNER, "redeye-cpu-burner"], os.path.join(work, "burner.out"),
                             os.path.join(work, "burner.err"))
            procs.append(burner)
            burner_t0, burner_c0 = time.monotonic(), h.proc_cpu_ticks(burner.pid)

            cgroup = make_memory_cgroup(f"redeye-test-{os.getpid()}", 64 << 20)
            victim = h.spawn(["/bin/sh", "-c", f'echo $$ > {cgroup}/cgroup.procs && exec {PY} -c '
                              f'"{OOM_VICTIM}" redeye-oom-victim'],
                             os.path.join(work, "victim.out"), os.path.join(work, "victim.err"))
            victim_rc = victim.wait(timeout=60)
            check.eq("OOM victim killed by SIGKILL", -9, victim_rc)

            time.sleep(4)  # burner runs a few intervals; rounds pick up everything above
            utilisations = []
            for _ in range(3):
                m = agent.scrape()
                ratio = one(m, "process_cpu_utilization_ratio", service_name="cpu-burner")
                cores = one(m, "process_cpu_available_cores", service_name="cpu-burner")
                if ratio is not None and cores is not None:
                    utilisations.append(ratio * cores)
                time.sleep(1.1)
            after = agent.scrape()
            # Ground truth: the CPU the burner really got (a loaded machine may give it less than
            # its duty cycle), from its own /proc/<pid>/stat.
            burner_share = ((h.proc_cpu_ticks(burner.pid) - burner_c0) / os.sysconf("SC_CLK_TCK")
                            / (time.monotonic() - burner_t0))

            # --- assertions ---------------------------------------------------------------
            m = after
            shop = dict(service_name="shop-api", service_namespace="alexandrite")
            mes = dict(service_name="mes-api", service_namespace="alexandrite")
            check.eq("target_info shop-api", 1, one(m, "target_info", **shop))
            check.eq("target_info mes-api", 1, one(m, "target_info", **mes))
            check.eq("mes-api processes (nginx master + worker)", 2,
                     one(m, "service_process_count", **mes))
            check.eq("shop-api /catalog/{item} 404 count", CATALOG_REQUESTS,
                     one(m, "http_server_request_duration_seconds_count", **shop,
                         http_route="/catalog/{item}", http_response_status_code="404"))
            check.eq("late-api requests counted from its first one", LATE_REQUESTS,
                     h.total(m, "http_server_request_duration_seconds_count", service_name="late-api"))
            check.true("late-api answered within 1 s of starting", first_request_at < 1.0,
                       "< 1.0 s", f"{first_request_at:.2f} s")
            check.eq("mes-api idle server connections", IDLE_BEFORE + IDLE_AFTER,
                     one(m, "process_open_tcp_connections", **mes, connection_direction="server"))
            check.eq("mes-api client connections", 0,
                     one(m, "process_open_tcp_connections", **mes, connection_direction="client"))
            h.check_connection_counts(check, m)
            for direction, expected in (("receive", sent), ("transmit", received)):
                key = dict(**mes, network_io_direction=direction)
                delta = (one(after_bytes, "process_network_io_bytes_total", **key) or 0) - \
                        (one(before, "process_network_io_bytes_total", **key) or 0)
                check.eq(f"mes-api network {direction} bytes for {RAW_REQUESTS} requests", expected, delta)
            mean = sum(utilisations) / len(utilisations) if utilisations else None
            h.log(f"cpu-burner: duty {DUTY}, got {burner_share:.3f} of a core by /proc, agent reads "
                  f"{'none' if mean is None else f'{mean:.3f}'}")
            check.true(f"cpu-burner utilisation x cores within 0.1 of its /proc share "
                       f"{burner_share:.2f} (duty {DUTY})",
                       mean is not None and abs(mean - burner_share) <= 0.1, f"{burner_share:.2f}+/-0.1",
                       "missing" if mean is None else f"{mean:.3f}")
            check.eq("tcp-client failed connects", CONNECT_FAILURES,
                     one(m, "process_tcp_connect_failures_total", service_name="tcp-client"))
            check.eq("tcp-client resets sent", 1,
                     one(m, "process_tcp_resets_total", service_name="tcp-client", direction="sent"))
            check.eq("mes-api resets received", 1,
                     one(m, "process_tcp_resets_total", **mes, direction="received"))
            check.eq("oom-victim OOM kills", 1, one(m, "process_oom_kills_total", service_name="oom-victim"))
            check.eq("shop-api storage bytes", allocated_bytes(storage),
                     one(m, "service_storage_used_bytes", **shop, path=storage))
            check.eq("shop-api storage walk complete", 1,
                     one(m, "service_storage_walk_complete", **shop, path=storage))
            check.eq("events dropped", 0, h.total(m, "redeye_events_dropped_total"))
    finally:
        code = h.conclude(check, guard, [
            ("http_server_request_duration_seconds_count on the last scrape", lambda: "\n".join(
                f"  {h.fmt_key(key)} {value}" for key, value in
                sorted(h.select(m, "http_server_request_duration_seconds_count").items()))),
            h.agent_stderr(agent, 4000),
        ])
        for sock in idle:
            if sock:
                sock.close()
        for proc in procs:
            h.stop_process(proc)
        if agent:
            agent.cleanup()
        nginx.cleanup()
        if cgroup:
            try:
                os.rmdir(cgroup)
            except OSError:
                pass
        shutil.rmtree(work, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
