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

-- What a conversation's messages say, for the API's full-text filter: the lexemes of every message (without
-- positions), kept by the worker with the conversation. Searching here rather than in `messages` finds the
-- matching conversations in one index and pages them newest first without touching each matching message
-- (measured on 10M messages: a rare word 125-420 ms through `messages`, BENCHMARKS.md). The worker stops
-- adding words past 50,000 distinct ones (a tsvector holds at most 1 MB).
ALTER TABLE conversations ADD COLUMN search tsvector NOT NULL DEFAULT '';
UPDATE conversations c SET search = m.words
FROM (SELECT tenant, conversation_id,
             strip(to_tsvector('simple', left(string_agg(content, ' ' ORDER BY created_at), 200000))) AS words
      FROM messages WHERE content IS NOT NULL GROUP BY tenant, conversation_id) m
WHERE c.tenant = m.tenant AND c.conversation_id = m.conversation_id;
CREATE INDEX conversations_search ON conversations USING GIN (search);
-- The API decides from these statistics whether a word is rare (start from the index) or common (walk the list):
-- with 1,000, the 10,000 most common words are listed with their frequency.
ALTER TABLE conversations ALTER COLUMN search SET STATISTICS 1000;
