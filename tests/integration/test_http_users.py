#!/usr/bin/python3
"""End-to-end: per-user request counting on a real server.

An nginx named "mes-api" by a config rule with
    users: {identity: header, header: X-User-Id, top_k: 20}
gets 1,000 light users x 2 requests and three heavy users x 500 / 400 / 300 requests
(keep-alive connections, interleaved; some 401 / 403 / 429 answers for the heavy users).
With the agent running this checks:
  * the three heavy users have their own series (labels = the HMAC-SHA256 of their id under
    the configured key, recomputed here), with counts within the exported error bound of the
    truth, and their 401 / 403 / 429 counts;
  * at most top_k + 1 = 21 user label values for the service;
  * user="other" + the top users == every identified request (and == the RED count);
  * no raw user id appears anywhere in /metrics;
  * the distinct-users estimate is within 5 % of 1,003;
then, with a second agent and `clear_identities: true`, the heavy users appear by their ids.

Exit codes: 0 pass, 1 fail, 77 skipped (not root / no BTF).
"""

import argparse
import hashlib
import hmac
import http.client
import os
import secrets
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

TOP_K = 20
LIGHT_USERS = 1000
LIGHT_REQUESTS = 2
# id -> [(path, status, count)], in the order they are sent (spread over the run).
HEAVY = {
    "heavy-bot-a": [("/api/items", 200, 450), ("/api/denied", 401, 30), ("/api/limited", 429, 20)],
    "heavy-bot-b": [("/api/items", 200, 390), ("/api/forbidden", 403, 10)],
    "heavy-bot-c": [("/api/items", 200, 300)],
}
DISTINCT_INTERVAL = 30  # seconds: the traffic must fit in one interval

LOCATIONS = """
        location /api/ { return 200 "ok"; }
        location = /api/denied { return 401 "denied"; }
        location = /api/forbidden { return 403 "forbidden"; }
        location = /api/limited { return 429 "slow down"; }
        location = /warmup { return 200 "warm"; }
"""


def light_id(i: int) -> str:
    return f"light-user-{i:04d}"


def config_yaml(port: int, key_file: str, clear: bool) -> str:
    return f"""
discovery:
  listening_processes: false
users_hash_key_file: {key_file}
services:
  - name: mes-api
    namespace: factory
    match: {{port: {port}}}
    users:
      identity: header
      header: X-User-Id
      top_k: {TOP_K}
      clear_identities: {"true" if clear else "false"}
      distinct_interval: {DISTINCT_INTERVAL}s
"""


class Client:
    """One keep-alive connection, counting what the server answered."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def get(self, path: str, user: str = None) -> int:
        headers = {"X-User-Id": user} if user else {}
        self.conn.request("GET", path, headers=headers)
        response = self.conn.getresponse()
        response.read()
        return response.status

    def close(self) -> None:
        self.conn.close()


def heavy_plan():
    """Each heavy user's requests as a list of (path, expected status), 200s first."""
    plan = {}
    for user, parts in HEAVY.items():
        requests = []
        for path, status, count in parts:
            requests += [(path, status)] * count
        plan[user] = requests
    return plan


def drive(port: int, check: h.Checker, light_users: int = LIGHT_USERS, heavy_scale: float = 1.0):
    """Light users (a connection each, two requests) interleaved with the heavy users' own
    keep-alive connections, which start after the first 5 % of the light users. Returns {user: {status: count}} of what was answered."""
    plan = {u: reqs[: int(len(reqs) * heavy_scale)] for u, reqs in heavy_plan().items()}
    answered = {}
    heavy_clients = {u: Client(port) for u in plan}
    cursors = {u: 0 for u in plan}
    steps = max(light_users, 1)
    # The heavy users start once the top is full of light users: they have to displace them.
    start = steps // 20
    try:
        for i in range(steps):
            if i < light_users:
                c = Client(port)
                for _ in range(LIGHT_REQUESTS):
                    status = c.get(f"/api/items/{i}", light_id(i))
                    answered.setdefault(light_id(i), {}).setdefault(status, 0)
                    answered[light_id(i)][status] += 1
                c.close()
            # The heavy users keep pace: their share of requests after each light user.
            for user, requests in plan.items():
                target = len(requests) * max(0, i + 1 - start) // (steps - start)
                while cursors[user] < target:
                    path, expected = requests[cursors[user]]
                    status = heavy_clients[user].get(path, user)
                    if status != expected:
                        raise h.TestFailure(f"{user} {path}: nginx answered {status}, "
                                            f"expected {expected}")
                    answered.setdefault(user, {}).setdefault(status, 0)
                    answered[user][status] += 1
                    cursors[user] += 1
    finally:
        for c in heavy_clients.values():
            c.close()
    return answered


def user_series(metrics, name):
    """{user label: summed value} of `name` for mes-api."""
    out = {}
    for key, value in h.select(metrics, name, service_name="mes-api").items():
        user = h.label_dict(key)["user"]
        out[user] = out.get(user, 0) + value
    return out


def label_for(key: bytes, user: str) -> str:
    return hmac.new(key, user.encode(), hashlib.sha256).hexdigest()[:16]


def start_agent(redeye: str, work: str, port: int, key_file: str, clear: bool) -> h.Agent:
    """An agent on the test's configuration, once it measures mes-api (one warm-up request
    without a user, counted as unidentified)."""
    config = os.path.join(work, "redeye.yaml")
    with open(config, "w") as f:
        f.write(config_yaml(port, key_file, clear=clear))
    agent = h.Agent(redeye, ["--config", config], workdir=work).start()
    warm = Client(port)
    warm.get("/warmup")
    warm.close()
    h.wait_until(lambda: h.total(agent.scrape(), "http_server_request_duration_seconds_count",
                                 service_name="mes-api") >= 1, 15,
                 what=f"agent measuring mes-api (clear identities: {clear})")
    return agent


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--redeye", required=True)
    args = ap.parse_args()
    h.require_root_and_btf()
    h.install_signal_handlers()

    work = tempfile.mkdtemp(prefix="redeye-users-")
    key = secrets.token_hex(32).encode()
    key_file = os.path.join(work, "users-hash-key")
    with open(key_file, "wb") as f:
        f.write(key + b"\n")  # one trailing newline is not part of the key
    os.chmod(key_file, 0o600)
    nginx = h.Nginx(LOCATIONS)
    agent = None
    check = h.Checker()
    guard = h.Guard()
    try:
        with guard:
            nginx.start()
            # Warm-up without a user: the agent follows nginx, and the request is "unidentified".
            agent = start_agent(args.redeye, work, nginx.port, key_file, clear=False)

            # Start right after a distinct-users interval begins, so all traffic falls into one.
            while time.time() % DISTINCT_INTERVAL > 0.5:
                time.sleep(0.05)
            interval_start = time.time() - time.time() % DISTINCT_INTERVAL
            t0 = time.monotonic()
            answered = drive(nginx.port, check)
            identified = sum(sum(s.values()) for s in answered.values())
            h.log(f"sent {identified} requests with a user in {time.monotonic() - t0:.1f}s")
            h.wait_until(lambda: sum(user_series(agent.scrape(),
                                                 "redeye_http_server_user_requests_total").values())
                         >= identified, 20, what="every request counted")
            done = time.time()
            if done >= interval_start + DISTINCT_INTERVAL - 1:
                raise h.TestFailure(f"traffic took {done - interval_start:.1f}s, longer than one "
                                    f"distinct-users interval ({DISTINCT_INTERVAL}s)")
            # Let that interval end; the estimate is of the last completed one.
            time.sleep(interval_start + DISTINCT_INTERVAL + 1.5 - time.time())
            text = agent.scrape_text()
            m = h.parse_prometheus(text)

            requests = user_series(m, "redeye_http_server_user_requests_total")
            bounds = user_series(m, "redeye_http_server_user_count_error_bound")
            h.log(f"{len(requests)} user label values; other = {requests.get('other', 0):.0f}")
            for user, statuses in sorted(answered.items()):
                if not user.startswith("heavy"):
                    continue
                truth = sum(statuses.values())
                label = label_for(key, user)
                reported = requests.get(label)
                bound = bounds.get(label)
                h.log(f"{user} ({label}): true {truth}, reported {reported}, error bound {bound}")
                check.true(f"{user}: a series of its own", reported is not None, "present",
                           "" if reported is not None else "missing")
                if reported is None or bound is None:
                    continue
                check.true(f"{user}: true {truth} in [reported, reported + bound]",
                           reported <= truth <= reported + bound,
                           f"{truth}", f"{reported:.0f} + {bound:.0f}")
                for code in (401, 403, 429):
                    got = h.one(m, "redeye_http_server_user_auth_failures_total",
                                service_name="mes-api", user=label,
                                http_response_status_code=str(code)) or 0
                    want = statuses.get(code, 0)
                    check.true(f"{user}: {code} answers {want}", want - bound <= got <= want,
                               f"{want}", f"{got:.0f}")
            check.true("user label values <= top_k + 1", len(requests) <= TOP_K + 1,
                       f"<= {TOP_K + 1}", str(len(requests)))
            check.true("error-bound series <= top_k", len(bounds) <= TOP_K, f"<= {TOP_K}",
                       str(len(bounds)))
            check.eq("other + top users == identified requests", identified, sum(requests.values()))
            red = h.total(m, "http_server_request_duration_seconds_count", service_name="mes-api")
            check.eq("... == the RED count minus the warm-up", red - 1, sum(requests.values()))
            check.eq("unidentified requests (the warm-up)", 1,
                     h.one(m, "redeye_http_server_user_unidentified_requests_total",
                           service_name="mes-api"))
            leaked = [u for u in answered if u in text]
            check.true("no raw user id in /metrics", not leaked, "none",
                       f"{len(leaked)}, e.g. {leaked[:3]}" if leaked else "")
            prefixes = [p for p in ("light-user-", "heavy-bot") if p in text]
            check.true("no id prefix in /metrics", not prefixes, "none", ", ".join(prefixes))
            distinct = h.one(m, "redeye_http_server_distinct_users", service_name="mes-api")
            expected_users = LIGHT_USERS + len(HEAVY)
            h.log(f"distinct users: estimate {distinct}, true {expected_users}")
            check.true(f"distinct users within 5 % of {expected_users}",
                       distinct is not None and abs(distinct - expected_users) <= 0.05 * expected_users,
                       f"{expected_users}+/-5%", str(distinct))
            check.eq("distinct users interval", DISTINCT_INTERVAL,
                     h.one(m, "redeye_http_server_distinct_users_interval_seconds",
                           service_name="mes-api"))
            check.eq("events dropped", 0, h.total(m, "redeye_events_dropped_total"))
            agent.stop()
            agent.cleanup()

            # A second agent showing identities in clear.
            agent = start_agent(args.redeye, work, nginx.port, key_file, clear=True)
            answered = drive(nginx.port, check, light_users=100, heavy_scale=0.2)
            identified = sum(sum(s.values()) for s in answered.values())
            h.wait_until(lambda: sum(user_series(agent.scrape(),
                                                 "redeye_http_server_user_requests_total").values())
                         >= identified, 20, what="every request counted (clear identities)")
            m = agent.scrape()
            requests = user_series(m, "redeye_http_server_user_requests_total")
            for user in HEAVY:
                check.true(f"clear_identities: {user} shown by its id", user in requests, "present",
                           "" if user in requests else f"missing; labels {sorted(requests)[:5]}")
                check.true(f"clear_identities: {user} not hashed", label_for(key, user) not in requests,
                           "absent", "")
            check.true("clear_identities: user label values <= top_k + 1", len(requests) <= TOP_K + 1,
                       f"<= {TOP_K + 1}", str(len(requests)))
    finally:
        code = h.conclude(check, guard, [h.agent_stderr(agent, 4000)])
        if agent:
            agent.cleanup()
        nginx.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
