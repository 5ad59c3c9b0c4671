-- `cwctl backfill`: one checkpoint per tenant, so a killed run continues where it stopped.
CREATE TABLE backfill_checkpoints (
    tenant              text        PRIMARY KEY,
    run_id              text        NOT NULL,
    -- Conversations created before `since` are skipped (NULL: from the beginning).
    since               timestamptz,
    -- Events at or after the cutoff are left to the live webhooks (see README "Backfill").
    cutoff              timestamptz NOT NULL,
    -- The conversations page (Chatwoot's `page`, 1-based) being read.
    page                integer     NOT NULL DEFAULT 1,
    -- The last conversation of that page whose events are all published (NULL: none yet).
    conversation_id     bigint,
    conversations       bigint      NOT NULL DEFAULT 0,
    events              bigint      NOT NULL DEFAULT 0,
    started_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz
);

-- When the worker first processed a live (non-historical) event of the conversation. NULL: known only from
-- history. The backfill stops a conversation's history there, and the first-reply SLA watch leaves
-- conversations known only from history alone (an old unanswered conversation must not be labelled now).
ALTER TABLE conversations ADD COLUMN live_since timestamptz;
UPDATE conversations SET live_since = created_at;
