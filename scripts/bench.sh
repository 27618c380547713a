#!/usr/bin/env bash
# HTTP server overhead benchmark: nginx saturated by wrk, with no agent, with
# `redeye run --bench-empty-probes` and with the full agent (and, with REDEYE_BASELINE, the full
# agent of a second build), alternated.
#
#   scripts/bench.sh [--write]        --write: update docs/BENCHMARKS.md
#
#   ROUNDS       rounds of the three arms (default 5)
#   D            seconds per wrk run (default 10)
#   CONNECTIONS  wrk connections (default 32)
#   PIN=0        do not pin nginx/wrk to CPUs 0/1 (default: pin when >= 2 CPUs)
#   REDEYE_IO_HOOKS=syscalls  measure the syscall-tracepoint fallback (default: auto)
#   REDEYE       use this redeye binary instead of building one
#   REDEYE_BASELINE=/path/to/old/redeye  add the arm "baseline": the full agent (same flags)
#                from this second binary, alternated with the others in every round and
#                reported with the same figures, plus this build / baseline ratios per round
#                (median, 95 % interval, "too noisy to tell" when it contains 1)
#   BUILD_DIR    as in build.sh
# Markdown goes to stdout, progress to stderr. See scripts/bench_http.py.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-"$ROOT/build"}
export BUILD_DIR

if [[ $(id -u) -ne 0 ]]; then
  echo "bench.sh: run as root: the agent loads eBPF programs" >&2
  exit 1
fi

if [[ -z "${REDEYE:-}" ]]; then
  bash "$ROOT/scripts/build.sh" >&2
  REDEYE="$BUILD_DIR/userspace/redeye"
fi

exec /usr/bin/python3 "$ROOT/scripts/bench_http.py" --redeye "$REDEYE" "$@"
