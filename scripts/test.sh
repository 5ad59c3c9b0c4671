#!/usr/bin/env bash
# The whole test suite: starts what it needs (PostgreSQL, NATS), then runs every crate's tests, the deployment
# validation, the API's schemathesis run and a short fuzz run when cargo-fuzz is available.
set -euo pipefail
# pipefail keeps cargo's exit status through `tee`.
cd "$(dirname "$0")/.."

./scripts/services.sh
# The review console's tests (e2e/tests/it/console.rs) drive Debian's Chromium through chromedriver.
if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
  echo "[test] installing chromium and chromium-driver (apt)" >&2
  as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium chromium-driver >/dev/null
fi
# The reports' e-mail test runs a real SMTP server (aiosmtpd from PyPI) in a venv: Debian ships venv apart.
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  echo "[test] installing python3 and python3-venv (apt)" >&2
  as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3 python3-venv >/dev/null
fi
export TEST_NATS_URL="${TEST_NATS_URL:-nats://127.0.0.1:${NATS_PORT:-4222}}"
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:${PGPORT:-5432}/postgres}"
export RUST_LOG="${RUST_LOG:-warn}"

status=0
mkdir -p target
# --no-fail-fast: every test binary runs and reports, not only those before the first failure.
cargo test --workspace --locked --no-fail-fast 2>&1 | tee target/test-output.log || status=$?
if [ -x scripts/validate-deploy.sh ]; then
  ./scripts/validate-deploy.sh || status=$?
fi
# Property-based test of the running API against its OpenAPI document (schemathesis from PyPI; skipped with a
# message when PyPI is unreachable).
./scripts/schemathesis.sh || status=$?
# Bounded libFuzzer run of webhook verification and parsing (FUZZ_SECONDS, default 45; 0 skips).
./scripts/fuzz.sh || status=$?
# One closing line for whoever reads the end of the log: the cargo test totals (deployment checks and fuzzing
# report their own lines above).
awk '/^test result:/ { p += $4; f += $6 } END { printf "cargo tests: %d passed, %d failed\n", p, f }' \
  target/test-output.log
exit "$status"
