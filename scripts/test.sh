#!/usr/bin/env bash
# Build redeye, then run every test registered with ctest (unit, fuzz smoke,
# integration). Integration tests are RUN_SERIAL, so -j2 never runs them
# alongside anything else. Integration tests need root and BTF; without them
# they are reported as skipped (exit code 77), not passed.
# Extra arguments go to ctest (e.g. -R integration -V). Exit code: ctest's.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-"$ROOT/build"}
export BUILD_DIR

bash "$ROOT/scripts/build.sh"

rc=0
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 "$@" || rc=$?
exit "$rc"
