-- Triage result of each customer message, for reporting and audit.
ALTER TABLE messages ADD COLUMN triage jsonb;

-- Facts about a conversation that rules test once, e.g. "the after-hours reply was sent".
CREATE TABLE conversation_flags (
    tenant           text        NOT NULL,
    conversation_id  bigint      NOT NULL,
    flag             text        NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, conversation_id, flag)
);

-- Round-robin position per tenant and rule, advanced atomically so replicas share one rotation.
CREATE TABLE round_robin (
    tenant  text   NOT NULL,
    rule    text   NOT NULL,
    next    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, rule)
);

-- Set once when the first-reply SLA is breached; the UPDATE that sets it decides which replica acts.
ALTER TABLE conversations ADD COLUMN sla_breached_at timestamptz;
CREATE INDEX conversations_sla_watch ON conversations (tenant, first_contact_at)
    WHERE first_human_reply_at IS NULL AND sla_breached_at IS NULL;
