#!/usr/bin/env bash
# Build redeye, then run the agent in the foreground:
#   scripts/run.sh [redeye run args...]     e.g. --listen 127.0.0.1:9464
# Build output goes to stderr; BUILD_DIR is honoured as in build.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-"$ROOT/build"}
export BUILD_DIR

bash "$ROOT/scripts/build.sh" >&2
exec "$BUILD_DIR/userspace/redeye" run "$@"
