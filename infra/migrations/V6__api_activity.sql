-- The API service: per-tenant API keys, the commands the worker carried out for it, the webhook audit trail,
-- and what conversations are listed and searched by. Activity records are committed with their event (outbox).

-- Shown once when created (`cwctl api-keys create`); only the SHA-256 of the secret part is kept.
CREATE TABLE api_keys (
    id            text        PRIMARY KEY,
    tenant        text        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name          text        NOT NULL,
    secret_hash   bytea       NOT NULL,
    scope         text        NOT NULL CHECK (scope IN ('read', 'write')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    last_used_at  timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant, created_at);

-- API commands, keyed by the client's idempotency key, written by the worker with the event that carried them.
CREATE TABLE commands (
    tenant           text        NOT NULL,
    idempotency_key  text        NOT NULL,
    kind             text        NOT NULL,
    conversation_id  bigint      NOT NULL,
    -- SHA-256 of what was asked: the same key sent with another request is refused by the API.
    request_hash     bytea       NOT NULL,
    actor_kind       text        NOT NULL,
    actor_id         text        NOT NULL,
    actor_name       text,
    -- applied: its actions are in the outbox; refused: `detail` says why (a draft already decided...).
    status           text        NOT NULL CHECK (status IN ('applied', 'refused')),
    detail           text,
    event_key        text        NOT NULL,
    requested_at     timestamptz NOT NULL,
    processed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, idempotency_key)
);

-- Every webhook the ingress accepted or refused, from the activity stream's webhook_* records; pruned after the
-- retention the worker is given.
CREATE TABLE webhook_audit (
    -- The record's sequence in the activity stream: recording twice is a no-op.
    activity_seq  bigint      PRIMARY KEY,
    tenant        text        NOT NULL,
    event         text,
    delivery_id   text,
    event_key     text,
    duplicate     boolean     NOT NULL DEFAULT false,
    status        integer     NOT NULL,
    reason        text,
    received_at   timestamptz NOT NULL
);
CREATE INDEX webhook_audit_tenant_time ON webhook_audit (tenant, received_at DESC, activity_seq DESC);
CREATE INDEX webhook_audit_event_key ON webhook_audit (event_key);
CREATE INDEX webhook_audit_time ON webhook_audit (received_at);

-- What a conversation is about, from its customer messages' triage (categories accumulate, an escalation
-- sticks), for the API's filters.
ALTER TABLE conversations ADD COLUMN categories text[] NOT NULL DEFAULT '{}';
ALTER TABLE conversations ADD COLUMN escalation text;
ALTER TABLE conversations ADD COLUMN language text;
CREATE INDEX conversations_recent ON conversations (tenant, last_event_at DESC, conversation_id DESC);
CREATE INDEX conversations_labels ON conversations USING GIN (labels);
CREATE INDEX conversations_categories ON conversations USING GIN (categories);

-- Full-text search over messages in any language: the `simple` configuration (no stemming) matches words as
-- written in each of the seven triage languages.
ALTER TABLE messages ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', coalesce(content, ''))) STORED;
CREATE INDEX messages_search ON messages USING GIN (search);

-- Activity records of an event, committed with it and published after the commit (a redelivery republishes
-- them; their ids make JetStream keep one copy).
CREATE TABLE event_activity (
    event_key  text    NOT NULL REFERENCES processed_events (event_key) ON DELETE CASCADE,
    position   integer NOT NULL,
    payload    bytea   NOT NULL,
    PRIMARY KEY (event_key, position)
);
