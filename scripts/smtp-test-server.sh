#!/usr/bin/env bash
# Runs scripts/smtp_test_server.py (aiosmtpd from PyPI, in a venv under target/) with the given arguments. The
# reports' e-mail test (digests/tests/it/email.rs) starts it; it works on a fresh Debian machine with python3 and
# python3-venv (scripts/test.sh installs the latter when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

ROOT=$(pwd)
VENV="${SMTP_TEST_VENV:-$ROOT/target/smtp-venv}"
VERSION=1.4.6
log() { printf '[smtp-test-server] %s\n' "$*" >&2; }

if ! command -v python3 >/dev/null 2>&1; then
  log "python3 is required for the SMTP test server (apt-get install python3 python3-venv)"
  exit 3
fi
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
  # A venv left half-made by an interrupted run is made again.
  rm -rf "$VENV"
  if ! python3 -m venv "$VENV" >&2; then
    log "cannot create a venv: install python3-venv (apt-get install python3-venv)"
    exit 3
  fi
  if ! "$VENV/bin/pip" install -q --disable-pip-version-check "aiosmtpd==$VERSION" >&2; then
    log "cannot install aiosmtpd==$VERSION from PyPI"
    exit 3
  fi
fi
exec "$VENV/bin/python" "$ROOT/scripts/smtp_test_server.py" "$@"
