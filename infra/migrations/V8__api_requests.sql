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

-- The API's conversation list walks `conversations_recent` newest first and stops at a page; a filter that few
-- rows pass would make it walk far. These keep the selective filters on an index in the list's order: an
-- agent's or a team's conversations, an inbox, the escalated ones.
CREATE INDEX conversations_assignee ON conversations (tenant, assignee_id, last_event_at DESC, conversation_id DESC)
    WHERE assignee_id IS NOT NULL;
CREATE INDEX conversations_team ON conversations (tenant, team_id, last_event_at DESC, conversation_id DESC)
    WHERE team_id IS NOT NULL;
CREATE INDEX conversations_inbox ON conversations (tenant, inbox_id, last_event_at DESC, conversation_id DESC);
CREATE INDEX conversations_escalated ON conversations (tenant, last_event_at DESC, conversation_id DESC)
    WHERE escalation IS NOT NULL;
