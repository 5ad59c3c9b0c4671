#!/usr/bin/env bash
# Property-based test of the running API against its own OpenAPI document: schemathesis (from PyPI, in a venv
# under target/) generates requests for every operation and checks that no answer is a 5xx and that every
# answer matches the schema. The API runs as its real binary on a scratch database and a private NATS prefix,
# with a real tenant and a real read-write key.
#   SCHEMATHESIS_MAX_EXAMPLES (default 40 per operation) bounds the run to a minute or two.
set -euo pipefail
cd "$(dirname "$0")/.."

ROOT=$(pwd)
VENV="$ROOT/target/schemathesis-venv"
VERSION=4.32.5
log() { printf '[schemathesis] %s\n' "$*" >&2; }

if [ ! -x "$VENV/bin/schemathesis" ]; then
  python3 -m venv "$VENV"
  if ! "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$VERSION"; then
    if ! "$VENV/bin/pip" download -q --no-deps -d "$ROOT/target/pip-probe" "schemathesis==$VERSION" >/dev/null 2>&1; then
      log "SKIPPED: PyPI is unreachable, schemathesis cannot be installed"
      exit 0
    fi
    log "schemathesis could not be installed"
    exit 1
  fi
fi

./scripts/services.sh
NATS_URL="${TEST_NATS_URL:-nats://127.0.0.1:${NATS_PORT:-4222}}"
ADMIN_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:${PGPORT:-5432}/postgres}"
DATABASE="schemathesis_$$"
export NATS_URL DATABASE_URL="${ADMIN_URL%/*}/$DATABASE" NATS_PREFIX="schemathesis"
export SECRETS_KEY="$(head -c 32 /dev/urandom | base64)"
# Small streams: JetStream reserves their limits on the disk.
export STREAM_MAX_BYTES=16777216 ACTIVITY_MAX_BYTES=16777216 RUST_LOG="${RUST_LOG:-warn}"

cargo build -q --locked -p api -p cwctl -p chatwoot-sim
BIN="$ROOT/target/debug"
PORT=$((20000 + RANDOM % 20000))
SIM_PORT=$((PORT + 1))
API_PID=""
SIM_PID=""
cleanup() {
  [ -n "$API_PID" ] && kill "$API_PID" 2>/dev/null && wait "$API_PID" 2>/dev/null
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
  psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$DATABASE\" WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# The tenant's Chatwoot is the simulator: console sessions check agents' tokens against its profile API.
SIM_LISTEN="127.0.0.1:$SIM_PORT" "$BIN/chatwoot-sim" &
SIM_PID=$!
CHATWOOT_API_TOKEN=demo-token CHATWOOT_WEBHOOK_SECRET=unused \
  "$BIN/cwctl" tenants add acme --chatwoot-url "http://127.0.0.1:$SIM_PORT" --account-id 3 >/dev/null
KEY=$("$BIN/cwctl" api-keys create --tenant acme --name schemathesis --scope write --quiet)
# A little data, so that reads find rows and not only 404s.
psql "$DATABASE_URL" -q <<'SQL'
INSERT INTO contacts (tenant, contact_id, name, email) VALUES ('acme', 9, 'Ana', 'ana@example.com');
INSERT INTO conversations (tenant, conversation_id, inbox_id, contact_id, status, labels, categories, last_event_at)
  VALUES ('acme', 1, 1, 9, 'open', '{billing}', '{billing}', now()), ('acme', 2, 1, 9, 'pending', '{}', '{}', now());
INSERT INTO messages (tenant, message_id, conversation_id, message_type, private, sender_kind, sender_id, content, created_at, triage)
  VALUES ('acme', 1, 1, 'incoming', false, 'contact', 9, 'I was charged twice', now(), '{"categories": ["billing"]}');
INSERT INTO drafts (tenant, conversation_id, source_message_id, draft_text, responder, status)
  VALUES ('acme', 1, 1, 'We will refund it.', 'knowledge_base', 'pending');
SQL

API_LISTEN_ADDR="127.0.0.1:$PORT" API_METRICS_ADDR="127.0.0.1:0" "$BIN/api" &
API_PID=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || { log "the API did not become ready"; exit 1; }

log "running against http://127.0.0.1:$PORT"
# Run from target/: schemathesis keeps a cache (.schemathesis/) in its working directory.
mkdir -p "$ROOT/target/schemathesis"
cd "$ROOT/target/schemathesis"
SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$ROOT/scripts" \
  "$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/openapi.json" \
  --header "Authorization: Bearer $KEY" \
  --checks not_a_server_error,response_schema_conformance \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-40}" \
  --request-timeout 10 \
  --no-color
