#!/usr/bin/env bash
# PostgreSQL overhead benchmark: a private PostgreSQL loaded by pgbench -M prepared, with no
# agent, with `redeye run --bench-empty-probes` and with the full agent (measuring pgbench and
# postgres), alternated.
#
#   scripts/bench_postgres.sh [--write]   --write: update docs/BENCHMARKS.md
#
#   ROUNDS       rounds of the arms (default 5)
#   D            seconds per pgbench run (default 10)
#   CLIENTS      pgbench clients (default 8)
#   SCALE        pgbench scale factor (default 10)
#   ARMS         arms to run, comma-separated: none,empty,full (default) and server
#                (the agent following postgres alone), baseline (needs REDEYE_BASELINE)
#   AGENT_CPU    pin the agent to this CPU (default: unpinned)
#   PIN=0        do not pin postgres/pgbench to CPUs 0/1 (default: pin when >= 2 CPUs)
#   REDEYE_IO_HOOKS=syscalls  measure the syscall-tracepoint fallback (default: auto)
#   REDEYE       use this redeye binary instead of building one
#   REDEYE_BASELINE=/path/to/old/redeye  add the arm "baseline" (also to the default ARMS):
#                the full agent (same flags and config) from this second binary, alternated
#                with the others in every round and reported with the same figures (its own
#                bpf_stats profile run too), plus this build / baseline ratios per round
#                (median, 95 % interval, "too noisy to tell" when it contains 1)
#   BUILD_DIR    as in build.sh
# Markdown goes to stdout, progress to stderr. See scripts/bench_postgres.py.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-"$ROOT/build"}
export BUILD_DIR

if [[ $(id -u) -ne 0 ]]; then
  echo "bench_postgres.sh: run as root: the agent loads eBPF programs" >&2
  exit 1
fi

if [[ -z "${REDEYE:-}" ]]; then
  bash "$ROOT/scripts/build.sh" >&2
  REDEYE="$BUILD_DIR/userspace/redeye"
fi

exec /usr/bin/python3 "$ROOT/scripts/bench_postgres.py" --redeye "$REDEYE" "$@"
