#!/usr/bin/env bash
# Install redeye on this host as a systemd service. Idempotent: run it again after a new
# build to update the binary and the unit; an existing /etc/redeye/redeye.yaml is kept.
#
#   deploy/systemd/install.sh [--start] [--binary PATH] [--destdir DIR]
#
#   --start        enable the service and (re)start it; without it nothing is started
#   --binary PATH  the redeye binary to install (default: build/userspace/redeye, as
#                  scripts/build.sh leaves it)
#   --destdir DIR  install under DIR instead of / (packaging, tests); implies no systemctl
#
# Installs /usr/local/bin/redeye, /etc/systemd/system/redeye.service and, when absent,
# /etc/redeye/redeye.yaml (the output of `redeye default-config`).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
UNIT_SRC="$ROOT/deploy/systemd/redeye.service"
BINARY="$ROOT/build/userspace/redeye"
DESTDIR=""
START=0

log() { printf 'install: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --start) START=1 ;;
    --binary) [[ $# -ge 2 ]] || die "--binary needs a path"; BINARY=$2; shift ;;
    --destdir) [[ $# -ge 2 ]] || die "--destdir needs a directory"; DESTDIR=${2%/}; shift ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done

if [[ -z "$DESTDIR" && $(id -u) -ne 0 ]]; then
  die "run as root (it writes /usr/local/bin and /etc)"
fi
[[ -f "$BINARY" && -x "$BINARY" ]] || die "no executable at $BINARY: build first (scripts/build.sh) or pass --binary"
version=$("$BINARY" version) || die "$BINARY does not run: $BINARY version failed"

BIN_DST="$DESTDIR/usr/local/bin/redeye"
UNIT_DST="$DESTDIR/etc/systemd/system/redeye.service"
CONF_DIR="$DESTDIR/etc/redeye"
CONF_DST="$CONF_DIR/redeye.yaml"
changed=0

# Copies SRC to DST with MODE unless DST already has the same content. The new file is
# renamed into place, so a running binary is replaced, never overwritten.
install_file() {
  local src=$1 dst=$2 mode=$3
  if [[ -f "$dst" ]] && cmp -s "$src" "$dst"; then
    log "unchanged: $dst"
    return
  fi
  mkdir -p "$(dirname "$dst")"
  install -m "$mode" "$src" "$dst.new.$$"
  mv -f "$dst.new.$$" "$dst"
  log "installed: $dst"
  changed=1
}

install_file "$BINARY" "$BIN_DST" 0755
install_file "$UNIT_SRC" "$UNIT_DST" 0644

mkdir -p "$CONF_DIR"
chmod 0755 "$CONF_DIR"
if [[ -e "$CONF_DST" ]]; then
  log "kept: $CONF_DST"
else
  tmp="$CONF_DST.new.$$"
  "$BIN_DST" default-config > "$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$CONF_DST"
  log "installed: $CONF_DST (the default configuration)"
  changed=1
fi
# The file is read as redeye will read it; a problem is reported, not fatal to the install.
if ! "$BIN_DST" check --config "$CONF_DST" >/dev/null; then
  log "warning: $CONF_DST does not pass 'redeye check'; the service will not start until it does"
fi

if [[ -n "$DESTDIR" ]]; then
  log "done ($version under $DESTDIR; systemctl not run)"
  exit 0
fi
if [[ ! -d /run/systemd/system ]] || ! command -v systemctl >/dev/null 2>&1; then
  log "done ($version); systemd is not running here, so the service was not registered"
  exit 0
fi

systemctl daemon-reload
if [[ $START -eq 1 ]]; then
  systemctl enable redeye.service >/dev/null
  if systemctl is-active --quiet redeye.service; then
    if [[ $changed -eq 1 ]]; then
      systemctl restart redeye.service
      log "restarted redeye.service"
    else
      log "redeye.service already running, nothing changed"
    fi
  else
    systemctl start redeye.service
    log "started redeye.service"
  fi
  systemctl --no-pager --lines=5 status redeye.service || true
else
  log "done ($version). Start it with: systemctl enable --now redeye"
  if [[ $changed -eq 1 ]] && systemctl is-active --quiet redeye.service; then
    log "redeye.service is running the previous version: systemctl restart redeye"
  fi
fi
