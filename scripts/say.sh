#!/usr/bin/env bash
# Talks to the pipeline that ./scripts/run.sh started, as Chatwoot would: each line is signed and sent to the
# ingress as the demo customer's message (or, starting with "/", the agent's private note), and the command
# prints the message's triage and what the simulated Chatwoot received.
#   ./scripts/say.sh --new "I was charged twice for my May invoice"   # a new conversation
#   ./scripts/say.sh "And when will I get the money back?"            # the same conversation
#   ./scripts/say.sh /approve                  # or "/approve <edited text>", "/reject <reason>", grades tone=5
# Any other option of `cwctl say` works too (--conversation N, --tenant, --ingress, --wait).
set -euo pipefail
cd "$(dirname "$0")/.."
STATE="$PWD/.run"
if [ -z "${SECRETS_KEY:-}" ]; then
  [ -s "$STATE/secrets.key" ] || { echo "no $STATE/secrets.key: start the product with ./scripts/run.sh first" >&2; exit 1; }
  SECRETS_KEY=$(cat "$STATE/secrets.key")
fi
export SECRETS_KEY
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:${PGPORT:-5432}/chatwoot_pipeline}"
export NATS_URL="${NATS_URL:-nats://127.0.0.1:${NATS_PORT:-4222}}"
export RUST_LOG="${RUST_LOG:-warn}"
bin=target/release/cwctl
[ -x "$bin" ] || cargo build --release --locked -q -p cwctl
exec "$bin" say --tenant "${TENANT_ID:-demo}" "$@"
