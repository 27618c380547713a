#!/usr/bin/env bash
# Install everything redeye needs to build, test and benchmark on Debian 12.
#
# Idempotent: when every package is already installed this does nothing (no
# apt-get update, no network). Works as root or through sudo.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake clang llvm pkg-config
  # eBPF
  libbpf-dev bpftool libelf-dev zlib1g-dev
  # userspace libraries
  prometheus-cpp-dev libcli11-dev libspdlog-dev libfmt-dev libyaml-cpp-dev libre2-dev libssl-dev
  libnghttp2-dev
  # tests: unit (gtest) and fuzz (libFuzzer runtime of clang 14)
  libgtest-dev googletest libclang-rt-14-dev
  # integration tests and benchmarks: real servers and clients
  nginx-light wrk apache2-utils curl procps iproute2 util-linux openssl
  prometheus postgresql postgresql-contrib rabbitmq-server amqp-tools
  # gRPC / HTTP/2 tests: Go in GOPATH mode (GO111MODULE=off) with Debian's libraries, h2load.
  # (@grpc/grpc-js is npm-installed by tests/integration/test_grpc.py into the build tree.)
  golang-go golang-google-grpc-dev golang-google-protobuf-dev
  golang-github-grpc-ecosystem-go-grpc-prometheus-dev golang-github-prometheus-client-golang-dev
  nghttp2-client strace
  # Debian's interpreter at /usr/bin/python3 (tests use it explicitly) and its modules
  python3 python3-yaml python3-pika
)

# Packages whose daemons the tests start privately: their packaged services stay off.
SERVICES=(nginx prometheus postgresql rabbitmq-server)

log() { printf 'install-deps: %s\n' "$*" >&2; }

is_installed() {
  local status
  status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]]
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  log "this script supports Debian (dpkg/apt) only"
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  is_installed "$p" || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  log "all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    log "missing packages (${missing[*]}) and not root and no sudo: run as root"
    exit 1
  fi
  SUDO=(sudo)
fi
as_root() { "${SUDO[@]}" "$@"; }

# Keep maintainer scripts from starting services (nginx would grab port 80).
# Only if no policy-rc.d exists already; removed again on exit.
POLICY=/usr/sbin/policy-rc.d
policy_created=0
cleanup() {
  if [[ $policy_created -eq 1 ]]; then
    as_root rm -f "$POLICY" || true
  fi
}
trap cleanup EXIT
if ! as_root test -e "$POLICY"; then
  printf '#!/bin/sh\n# temporary, created by redeye scripts/install-deps.sh\nexit 101\n' |
    as_root tee "$POLICY" >/dev/null
  as_root chmod 0755 "$POLICY"
  policy_created=1
fi

log "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt_get() { as_root env DEBIAN_FRONTEND=noninteractive apt-get "$@"; }

# Refresh the package lists only because something is missing. If the lists
# are already usable, a failed refresh is not fatal.
if ! apt_get update; then
  log "apt-get update failed; trying with the existing package lists"
fi
apt_get install -y --no-install-recommends "${missing[@]}"

# Packaged daemons are not wanted: tests start their own on free loopback ports. The
# policy-rc.d above kept the installs from starting them; keep them from starting at boot.
for service in "${SERVICES[@]}"; do
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
    as_root systemctl disable --now "$service.service" >/dev/null 2>&1 || true
  fi
  if command -v update-rc.d >/dev/null 2>&1 && [[ -x /etc/init.d/$service ]]; then
    as_root /etc/init.d/"$service" stop >/dev/null 2>&1 || true
    as_root update-rc.d "$service" disable >/dev/null 2>&1 || true
  fi
done
# Whatever the init system, make sure the packaged nginx is not holding port 80.
if [[ -s /run/nginx.pid ]]; then
  pid=$(cat /run/nginx.pid 2>/dev/null || true)
  if [[ "$pid" =~ ^[0-9]+$ ]] && [[ "$(cat /proc/"$pid"/comm 2>/dev/null || true)" == nginx ]]; then
    as_root kill -QUIT "$pid" 2>/dev/null || true
  fi
fi

still_missing=()
for p in "${PACKAGES[@]}"; do
  is_installed "$p" || still_missing+=("$p")
done
if [[ ${#still_missing[@]} -ne 0 ]]; then
  log "still not installed: ${still_missing[*]}"
  exit 1
fi
log "done"
