#!/usr/bin/env bash
# Install dependencies (if missing), then configure and build redeye with CMake.
#
#   BUILD_DIR   build directory (default: <repo>/build)
#   BUILD_TYPE  CMAKE_BUILD_TYPE (default: Release)
#   CMAKE_ARGS  extra arguments for the configure step (word-split)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-"$ROOT/build"}
BUILD_TYPE=${BUILD_TYPE:-Release}

bash "$ROOT/scripts/install-deps.sh"

export CC=clang CXX=clang++
# shellcheck disable=SC2086
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" ${CMAKE_ARGS:-}
cmake --build "$BUILD_DIR" -j"$(nproc)"
