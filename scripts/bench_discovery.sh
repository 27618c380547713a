#!/usr/bin/env bash
# Discovery benchmark: 2,000 idle processes (100 listening), then the agent's start-up scan
# time, steady-state CPU and RSS.
#
#   scripts/bench_discovery.sh [--write]     --write: update docs/BENCHMARKS.md
#
#   IDLE, LISTENERS, SETTLE, WINDOW   see scripts/bench_discovery.py
#   REDEYE                            use this redeye binary instead of building one
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-"$ROOT/build"}
export BUILD_DIR

if [[ $(id -u) -ne 0 ]]; then
  echo "bench_discovery.sh: run as root: the agent loads eBPF programs" >&2
  exit 1
fi
if [[ -z "${REDEYE:-}" ]]; then
  bash "$ROOT/scripts/build.sh" >&2
  REDEYE="$BUILD_DIR/userspace/redeye"
fi
exec /usr/bin/python3 "$ROOT/scripts/bench_discovery.py" --redeye "$REDEYE" "$@"
