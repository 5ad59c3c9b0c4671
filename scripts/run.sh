#!/usr/bin/env bash
# Runs the product locally: PostgreSQL and NATS (started if needed), the Chatwoot simulator as the demo tenant's
# Chatwoot, the ingress, a worker, a dispatcher and the API. It then plays the demo: a customer's question, its triage and
# AI draft, and the agent's /approve that sends it (./scripts/say.sh lets you go on). Ctrl-C stops everything.
#
# Point it at a real Chatwoot instead by exporting TENANT_ID, CHATWOOT_BASE_URL, CHATWOOT_ACCOUNT_ID,
# CHATWOOT_API_TOKEN and CHATWOOT_WEBHOOK_SECRET (see README); the simulator is then not started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
STATE="$ROOT/.run"
mkdir -p "$STATE"

./scripts/services.sh
echo "[run] building (release)..." >&2
cargo build --release --locked -q -p ingress -p worker -p dispatcher -p api -p chatwoot-sim -p cwctl
BIN="$ROOT/target/release"

if [ -z "${SECRETS_KEY:-}" ]; then
  [ -s "$STATE/secrets.key" ] || python3 -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())' >"$STATE/secrets.key"
  SECRETS_KEY=$(cat "$STATE/secrets.key")
fi
export SECRETS_KEY
export NATS_URL="${NATS_URL:-nats://127.0.0.1:${NATS_PORT:-4222}}"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:${PGPORT:-5432}/chatwoot_pipeline}"
export RUST_LOG="${RUST_LOG:-info,async_nats=warn,refinery_core=warn,tokio_postgres=warn}"

pids=()
stop() {
  echo "[run] stopping..." >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

demo=""
if [ -z "${CHATWOOT_BASE_URL:-}" ]; then
  demo=1
  export TENANT_ID=demo CHATWOOT_BASE_URL=http://127.0.0.1:3000 CHATWOOT_ACCOUNT_ID=3
  export CHATWOOT_API_TOKEN=demo-token CHATWOOT_WEBHOOK_SECRET=demo-webhook-secret
  SIM_LISTEN=127.0.0.1:3000 SIM_ACCOUNT_ID=3 SIM_API_TOKEN=demo-token "$BIN/chatwoot-sim" >"$STATE/chatwoot-sim.log" 2>&1 &
  pids+=($!)
fi

LISTEN_ADDR=127.0.0.1:8080 "$BIN/ingress" >"$STATE/ingress.log" 2>&1 &
pids+=($!)
HEALTH_ADDR=127.0.0.1:8081 "$BIN/worker" >"$STATE/worker.log" 2>&1 &
pids+=($!)
HEALTH_ADDR=127.0.0.1:8082 "$BIN/dispatcher" >"$STATE/dispatcher.log" 2>&1 &
pids+=($!)
API_LISTEN_ADDR=127.0.0.1:8083 API_METRICS_ADDR=127.0.0.1:9093 "$BIN/api" >"$STATE/api.log" 2>&1 &
pids+=($!)

for port in 8080 8081 8082 8083; do
  for _ in $(seq 1 150); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { echo "[run] service on $port not ready; see $STATE/*.log" >&2; exit 1; }
done
echo "[run] ingress http://127.0.0.1:8080/webhooks/chatwoot/$TENANT_ID  (logs in $STATE/)" >&2
echo "[run] API     http://127.0.0.1:8083/api/v1  (OpenAPI at http://127.0.0.1:8083/openapi.json)" >&2

if [ -n "$demo" ]; then
  # The demo tenant answers from this knowledge base (AI drafts by default); re-importing changes nothing.
  echo "[run] importing the demo knowledge base (demo/kb)..." >&2
  "$BIN/cwctl" kb import --tenant "$TENANT_ID" "$ROOT/demo/kb" >&2
  # The product's point, at any hour: a customer's question is triaged and answered with an AI draft that
  # waits for an agent, and the agent's /approve sends it, once. `cwctl say` signs and sends each line as
  # Chatwoot would and prints what the simulated Chatwoot received (after hours, the after-hours notice too).
  echo >&2
  echo "[run] demo: a customer writes (cwctl say --new \"...\")" >&2
  "$BIN/cwctl" say --tenant "$TENANT_ID" --new "Hi, I was charged twice for my May invoice. Can you help?" >&2
  echo >&2
  echo "[run] demo: the agent approves the draft with a private note (cwctl say /approve)" >&2
  "$BIN/cwctl" say --tenant "$TENANT_ID" "/approve tone=5 accuracy=5 policy=5" >&2
  echo >&2
  echo "[run] your turn, in another terminal:" >&2
  echo "[run]   ./scripts/say.sh --new \"Where is my order 4711?\"     (a customer starts a conversation)" >&2
  echo "[run]   ./scripts/say.sh /approve                           (or \"/approve <edited text>\", \"/reject <reason>\")" >&2
  echo "[run]   ./scripts/say.sh \"Quiero hablar con una persona\"   (a handoff, in Spanish)" >&2
  echo "[run] recorded Chatwoot calls: curl http://127.0.0.1:3000/__sim/requests" >&2
fi
# A demo API key (read-write), created once and kept in .run/ (revoke it with `cwctl api-keys revoke <id>`).
if [ ! -s "$STATE/api.key" ] || ! curl -fsS -H "Authorization: Bearer $(cat "$STATE/api.key")" \
    http://127.0.0.1:8083/api/v1/me >/dev/null 2>&1; then
  "$BIN/cwctl" api-keys create --tenant "$TENANT_ID" --name demo --scope write --quiet >"$STATE/api.key"
fi
API_KEY=$(cat "$STATE/api.key")
echo >&2
echo "[run] API key (demo, read-write): $API_KEY" >&2
echo "[run]   curl -s -H \"Authorization: Bearer $API_KEY\" 'http://127.0.0.1:8083/api/v1/conversations?limit=5'" >&2
echo "[run]   curl -sN -H \"Authorization: Bearer $API_KEY\" -H 'Accept: text/event-stream' http://127.0.0.1:8083/api/v1/activity" >&2
echo "[run] Review console: http://127.0.0.1:8083/console/#token=$API_KEY" >&2
echo "[run] running; Ctrl-C to stop" >&2
wait -n "${pids[@]}" || true
