-- The API's side of a command: what was asked under each idempotency key, claimed before the command is
-- published. The same key sent again with another request is refused (409) by this primary key, not by a
-- read-then-write; the same request again is published again (JetStream's duplicate window and the worker's
-- ledger keep it one event), so a crash between the claim and the publish loses nothing.
CREATE TABLE api_requests (
    tenant           text        NOT NULL,
    idempotency_key  text        NOT NULL,
    -- SHA-256 of what was asked (command kind, conversation, fields), not of who asked.
    request_hash     bytea       NOT NULL,
    command          text        NOT NULL,
    conversation_id  bigint      NOT NULL,
    requested_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, idempotency_key)
);
CREATE INDEX api_requests_time ON api_requests (requested_at);

-- What the API's message list shows and the activity record already carried: the content type, the sender's
-- name, and whether the message is the pipeline's own (sent by the dispatcher, echoed back by Chatwoot).
ALTER TABLE messages ADD COLUMN content_type text;
ALTER TABLE messages ADD COLUMN sender_name text;
ALTER TABLE messages ADD COLUMN own boolean NOT NULL DEFAULT false;
