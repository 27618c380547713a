#!/usr/bin/python3
"""End-to-end: RabbitMQ (AMQP 0-9-1) clients measured from their syscalls, exact counts.

A private rabbitmq-server node (Debian's package, own ports, own epmd, data and logs in a
temp dir, bound to 127.0.0.1) with exchange "orders" -> queue "orders.work" (dead-letter
exchange "orders.dlx" -> queue "orders.dead") and a queue "orders.audit" on the default
exchange. Two pika scripts under /usr/bin/python3 are named by config rules:
  * "shop-api" publishes PUBLISHED messages to "orders" and AUDIT to the default exchange,
    with publisher confirms;
  * "mes-worker" consumes "orders.work" with manual acks (prefetch PREFETCH): acks ACKED
    (partly with multiple=true), rejects REJECTED and nacks NACKED without requeue, and holds
    HELD unacked; then closes its channel (they return to the queue) and fetches the
    dead-letter queue with basic.get.
Checks: publish and delivery counts, publish-until-confirm and deliver-until-ack histograms,
the in-flight gauge against `rabbitmqctl list_queues messages_unacknowledged` while the
consumer holds messages (and 0 after its channel closed), dead letters against the
dead-letter queue's depth, and that the broker process itself reports nothing (server role is
not measured).

Exit codes: 0 pass, 1 fail, 77 skipped (not root / no BTF / no rabbitmq-server or pika).
"""

import argparse
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

PY = "/usr/bin/python3"
RABBIT_BIN = "/usr/lib/rabbitmq/bin"
EPMD = "/usr/bin/epmd"

PUBLISHED = 40
AUDIT = 3
ACKED, REJECTED, NACKED, HELD = 20, 5, 4, 11
PREFETCH = 12
assert ACKED + REJECTED + NACKED + HELD == PUBLISHED and HELD <= PREFETCH

PUBLISHER = r"""
import sys, pika
port = int(sys.argv[1])
sys.stdin.readline()  # go
conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port, heartbeat=0))
ch = conn.channel()
ch.confirm_delivery()
for i in range(int(sys.argv[2])):
    ch.basic_publish("orders", "new", b'{"order": %d}' % i,
                     pika.BasicProperties(delivery_mode=2, content_type="application/json"))
for i in range(int(sys.argv[3])):
    ch.basic_publish("", "orders.audit", b"audit %d" % i)
print("published", flush=True)
sys.stdin.readline()  # exit
conn.close()
"""

CONSUMER = r"""
import sys, pika
port, acked, rejected, nacked, held, prefetch = map(int, sys.argv[1:7])
total = acked + rejected + nacked + held
sys.stdin.readline()  # go
conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port, heartbeat=0))
ch = conn.channel()
ch.basic_qos(prefetch_count=prefetch)
seen = []
def on_message(channel, method, properties, body):
    i = len(seen)
    seen.append(method.delivery_tag)
    if i < acked:
        # Every other delivery is acked together with the one before it (multiple=true).
        if i % 2 == 1 or i == acked - 1:
            channel.basic_ack(method.delivery_tag, multiple=True)
    elif i < acked + rejected:
        channel.basic_reject(method.delivery_tag, requeue=False)
    elif i < acked + rejected + nacked:
        channel.basic_nack(method.delivery_tag, multiple=False, requeue=False)
    if len(seen) == total:
        channel.stop_consuming()
ch.basic_consume("orders.work", on_message, auto_ack=False)
ch.start_consuming()
print("holding", len(seen), flush=True)
sys.stdin.readline()  # release
ch.close()  # the held deliveries return to orders.work
print("released", flush=True)
sys.stdin.readline()  # drain
ch2 = conn.channel()
got = 0
while True:
    method, properties, body = ch2.basic_get("orders.dead", auto_ack=False)
    if method is None:
        break
    got += 1
    ch2.basic_ack(method.delivery_tag)
print("drained", got, flush=True)
sys.stdin.readline()  # exit
conn.close()
"""

SETUP = r"""
import sys, pika
conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", int(sys.argv[1])))
ch = conn.channel()
ch.exchange_declare("orders", "direct", durable=True)
ch.exchange_declare("orders.dlx", "fanout", durable=True)
ch.queue_declare("orders.work", durable=True,
                 arguments={"x-dead-letter-exchange": "orders.dlx"})
ch.queue_bind("orders.work", "orders", routing_key="new")
ch.queue_declare("orders.dead", durable=True)
ch.queue_bind("orders.dead", "orders.dlx")
ch.queue_declare("orders.audit", durable=True)
conn.close()
"""


def config_yaml() -> str:
    return """
discovery:
  use_interval: 1s
services:
  - name: shop-api
    namespace: alexandrite
    match: {cmdline: 'redeye-amqp-shop-api'}
  - name: mes-worker
    namespace: alexandrite
    match: {cmdline: 'redeye-amqp-mes-worker'}
"""


# --------------------------------------------------------------------------
# a private RabbitMQ node


class Rabbit:
    """rabbitmq-server in the foreground with everything private: node name, AMQP port,
    distribution port, epmd port, config, data, logs, cookie ($HOME)."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="redeye-rabbitmq-")
        self.port = h.free_port()
        self.dist_port = h.free_port()
        self.epmd_port = h.free_port()
        self.node = f"redeye-test-{os.getpid()}@localhost"
        self.proc = None
        self.env = dict(os.environ)
        self.env.update({
            "HOME": self.dir,  # the Erlang cookie
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_MNESIA_BASE": os.path.join(self.dir, "mnesia"),
            "RABBITMQ_LOG_BASE": os.path.join(self.dir, "log"),
            "RABBITMQ_CONFIG_FILE": os.path.join(self.dir, "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": os.path.join(self.dir, "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": os.path.join(self.dir, "rabbitmq-env.conf"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        })

    def start(self, timeout: float = 90.0) -> "Rabbit":
        with open(self.env["RABBITMQ_CONFIG_FILE"], "w") as f:
            f.write(f"listeners.tcp.default = 127.0.0.1:{self.port}\n")
        with open(self.env["RABBITMQ_ENABLED_PLUGINS_FILE"], "w") as f:
            f.write("[].\n")  # no plugins: no management listener
        open(self.env["RABBITMQ_CONF_ENV_FILE"], "w").close()
        h.log(f"starting rabbitmq node {self.node} on 127.0.0.1:{self.port} (dir {self.dir})")
        self.proc = h.spawn([os.path.join(RABBIT_BIN, "rabbitmq-server")],
                            os.path.join(self.dir, "stdout.log"),
                            os.path.join(self.dir, "stderr.log"), env=self.env)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise h.TestFailure(f"rabbitmq-server exited with {self.proc.returncode}:\n"
                                    + self.logs())
            r = self.ctl("await_startup", "--timeout", "10", timeout=30, check=False)
            if r.returncode == 0:
                break
            if time.monotonic() >= deadline:
                raise h.TestFailure(f"rabbitmq node not up after {timeout}s:\n" + self.logs())
            time.sleep(1)
        h.log("rabbitmq node is up")
        return self

    def ctl(self, *args: str, timeout: float = 60.0, check: bool = True):
        argv = [os.path.join(RABBIT_BIN, "rabbitmqctl"), "-n", self.node, *args]
        try:
            r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=timeout, env=self.env,
                               preexec_fn=h._child_setup)
        except subprocess.TimeoutExpired as e:
            raise h.TestFailure(f"rabbitmqctl {' '.join(args)} did not finish in {timeout}s") from e
        if check and r.returncode != 0:
            raise h.TestFailure(f"rabbitmqctl {' '.join(args)} failed ({r.returncode}): "
                                + r.stderr.decode(errors="replace"))
        return r

    def queues(self) -> dict:
        """{queue: (messages_ready, messages_unacknowledged)}"""
        r = self.ctl("list_queues", "--quiet", "--no-table-headers", "name", "messages_ready",
                     "messages_unacknowledged")
        out = {}
        for line in r.stdout.decode().splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1].isdigit():
                out[parts[0]] = (int(parts[1]), int(parts[2]))
        return out

    def logs(self) -> str:
        text = h.read_text(os.path.join(self.dir, "stdout.log")) + \
            h.read_text(os.path.join(self.dir, "stderr.log"))
        return text[-5000:]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.ctl("stop", timeout=30, check=False)
            except h.TestFailure as e:
                h.log(f"rabbitmqctl stop: {e}")
            h.stop_process(self.proc, signal.SIGTERM, timeout=15)
        self.proc = None
        # epmd daemonizes out of our process group: stop it through its own port.
        if os.access(EPMD, os.X_OK):
            subprocess.run([EPMD, "-kill"], env=self.env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=10)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------
# the pika scripts


class Client:
    """A pika script driven line by line over stdin/stdout."""

    def __init__(self, name: str, script: str, args, workdir: str) -> None:
        path = os.path.join(workdir, f"{name}.py")
        with open(path, "w") as f:
            f.write(script)
        self.name = name
        self.err_path = os.path.join(workdir, f"{name}.err")
        err = open(self.err_path, "wb")
        # The marker in the command line is what the config rule matches.
        self.proc = subprocess.Popen([PY, path, *map(str, args), f"redeye-amqp-{name}"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                     preexec_fn=h._child_setup)
        err.close()
        self.buffer = b""

    def send(self, line: str) -> None:
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def expect(self, word: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while time.monotonic() < deadline:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                if line.decode(errors="replace").startswith(word):
                    return line.decode(errors="replace").strip()
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                data = os.read(fd, 4096)
                if not data:
                    break
                self.buffer += data
        raise h.TestFailure(f"{self.name}: no '{word}' within {timeout}s (exit "
                            f"{self.proc.poll()}); stderr:\n{h.read_text(self.err_path)}")

    def finish(self) -> None:
        try:
            self.send("exit")
        except OSError:
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        h.stop_process(self.proc, signal.SIGTERM, timeout=5)


def run_setup(port: int, workdir: str) -> None:
    path = os.path.join(workdir, "setup.py")
    with open(path, "w") as f:
        f.write(SETUP)
    r = h.run_tool([PY, path, str(port)], timeout=60)
    if r.returncode != 0:
        raise h.TestFailure("declaring the topology failed:\n" + r.stderr.decode(errors="replace"))


# --------------------------------------------------------------------------


def value(agent: h.Agent, name: str, **labels) -> float:
    v = h.one(agent.scrape(), name, **labels)
    return 0.0 if v is None else v


def wait_value(agent: h.Agent, name: str, expected: float, timeout: float = 10.0, **labels):
    """Polls until the series has `expected` (bounded); returns the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        got = h.one(agent.scrape(), name, **labels)
        if (got is not None and got == expected) or time.monotonic() >= deadline:
            return got
        time.sleep(0.2)


def wait_service(agent: h.Agent, service: str, timeout: float = 15.0) -> None:
    h.wait_until(lambda: h.select(agent.scrape(), "target_info", service_name=service), timeout,
                 what=f"the agent to name {service}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--redeye", required=True)
    args = ap.parse_args()
    h.require_root_and_btf()
    if not os.access(os.path.join(RABBIT_BIN, "rabbitmq-server"), os.X_OK):
        h.skip("rabbitmq-server is not installed (apt-get install rabbitmq-server)")
    if subprocess.run([PY, "-c", "import pika"], stderr=subprocess.DEVNULL).returncode != 0:
        h.skip("python3-pika is not installed (apt-get install python3-pika)")
    h.install_signal_handlers()

    work = tempfile.mkdtemp(prefix="redeye-amqp-")
    rabbit = Rabbit()
    agent = None
    clients = []
    check = h.Checker()
    failed = False
    try:
        rabbit.start()
        run_setup(rabbit.port, work)
        config_path = os.path.join(work, "redeye.yaml")
        with open(config_path, "w") as f:
            f.write(config_yaml())
        agent = h.Agent(args.redeye, ["--config", config_path], workdir=work).start()

        # --- publisher: confirms on, every publish waits for its confirm
        shop = Client("shop-api", PUBLISHER, [rabbit.port, PUBLISHED, AUDIT], work)
        clients.append(shop)
        wait_service(agent, "shop-api")
        shop.send("go")
        shop.expect("published")
        svc = {"service_name": "shop-api"}
        check.eq("sent to orders", PUBLISHED,
                 wait_value(agent, "messaging_client_sent_messages_total", PUBLISHED, **svc,
                            messaging_destination_name="orders", messaging_system="rabbitmq"))
        check.eq("sent to the default exchange", AUDIT,
                 wait_value(agent, "messaging_client_sent_messages_total", AUDIT, **svc,
                            messaging_destination_name="amq.default"))
        check.eq("publish-until-confirm observations (orders)", PUBLISHED,
                 wait_value(agent, "messaging_client_operation_duration_seconds_count", PUBLISHED,
                            **svc, messaging_destination_name="orders",
                            messaging_operation_name="publish", error_type=""))
        check.eq("publish-until-confirm observations (amq.default)", AUDIT,
                 value(agent, "messaging_client_operation_duration_seconds_count", **svc,
                       messaging_destination_name="amq.default", error_type=""))
        check.eq("broker's queue depth orders.work", PUBLISHED,
                 rabbit.queues().get("orders.work", (None,))[0])

        # --- consumer: ack, reject, nack, then hold HELD unacked
        worker = Client("mes-worker", CONSUMER,
                        [rabbit.port, ACKED, REJECTED, NACKED, HELD, PREFETCH], work)
        clients.append(worker)
        wait_service(agent, "mes-worker")
        worker.send("go")
        holding = worker.expect("holding")
        check.eq("deliveries the consumer got", PUBLISHED, int(holding.split()[1]))
        w = {"service_name": "mes-worker", "messaging_destination_name": "orders.work"}
        check.eq("consumed from orders.work (deliver)", PUBLISHED,
                 wait_value(agent, "messaging_client_consumed_messages_total", PUBLISHED, **w,
                            messaging_operation_name="deliver"))
        broker_unacked = rabbit.queues()["orders.work"][1]
        check.eq("rabbitmqctl messages_unacknowledged(orders.work)", HELD, broker_unacked)
        check.eq("messaging_unacked_messages == broker's messages_unacknowledged", broker_unacked,
                 wait_value(agent, "messaging_unacked_messages", broker_unacked, **w))
        for outcome, n in (("ack", ACKED), ("reject", REJECTED), ("nack", NACKED)):
            check.eq(f"deliver-until-{outcome} observations", n,
                     value(agent, "messaging_process_duration_seconds_count", **w, outcome=outcome))
        check.eq("dead letters: rejected", REJECTED,
                 value(agent, "messaging_dead_lettered_messages_total", **w, reason="rejected"))
        check.eq("dead letters: nacked", NACKED,
                 value(agent, "messaging_dead_lettered_messages_total", **w, reason="nacked"))

        # --- the channel closes: held deliveries return to the queue
        worker.send("release")
        worker.expect("released")
        check.eq("in flight after the channel closed", 0,
                 wait_value(agent, "messaging_unacked_messages", 0, **w))
        queues = rabbit.queues()
        check.eq("broker: orders.work ready after the close", HELD, queues["orders.work"][0])
        dead_depth = queues["orders.dead"][0]
        check.eq("broker: dead-letter queue depth", REJECTED + NACKED, dead_depth)

        # --- the dead-letter queue, fetched with basic.get
        worker.send("drain")
        drained = int(worker.expect("drained").split()[1])
        check.eq("messages fetched from orders.dead", dead_depth, drained)
        d = {"service_name": "mes-worker", "messaging_destination_name": "orders.dead"}
        check.eq("dead letters delivered with x-death == dead-letter queue depth", dead_depth,
                 wait_value(agent, "messaging_dead_lettered_messages_total", dead_depth, **d,
                            reason="x_death_delivered"))
        check.eq("consumed from orders.dead (get)", dead_depth,
                 value(agent, "messaging_client_consumed_messages_total", **d,
                       messaging_operation_name="get"))
        check.eq("deliver-until-ack observations (orders.dead)", dead_depth,
                 value(agent, "messaging_process_duration_seconds_count", **d, outcome="ack"))
        check.eq("in flight (orders.dead)", 0, value(agent, "messaging_unacked_messages", **d))

        for c in clients:
            c.finish()
        clients = []

        # --- nothing from the broker (server role), nothing unparsed
        metrics = agent.scrape()
        services = {h.label_dict(k).get("service_name") for k in metrics
                    if k[0].startswith("messaging_")}
        check.true("messaging_* series only for the clients", services <= {"shop-api", "mes-worker"},
                   "shop-api, mes-worker", ", ".join(sorted(s or "" for s in services)))
        errors = {h.label_dict(k)["kind"]: v for k, v in
                  h.select(metrics, "redeye_parse_errors_total", protocol="amqp").items() if v}
        check.true("redeye_parse_errors_total{protocol=amqp}", not errors, "none",
                   ", ".join(f"{k}={v:g}" for k, v in sorted(errors.items())))
        h.log("self-metrics: classified=%g data events=%g" % (
            h.total(metrics, "redeye_connections_classified_total"),
            h.total(metrics, "redeye_events_received_total", type="data")))
        check.true("agent alive", agent.alive(), "running", "" if agent.alive() else "exited")
    except h.TestFailure as e:
        failed = True
        print(f"FAIL: {e}", file=sys.stderr)
    except Exception:
        failed = True
        traceback.print_exc()
    finally:
        for c in clients:
            c.finish()
        if agent is not None:
            if check.failures or failed:
                print("---- agent stderr (tail) ----\n" + agent.stderr()[-4000:], file=sys.stderr)
                try:
                    text = agent.scrape_text()
                    print("---- agent metrics (messaging_*, redeye_parse_errors, classified) ----\n"
                          + "\n".join(l for l in text.splitlines()
                                      if l.startswith(("messaging_", "redeye_parse_errors",
                                                       "redeye_connections_classified",
                                                       "redeye_events_received"))),
                          file=sys.stderr)
                except Exception:
                    pass
            agent.cleanup()
        rabbit.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    check.report()
    if failed or check.failures:
        print("RESULT: FAIL", flush=True)
        return 1
    print("RESULT: PASS", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
