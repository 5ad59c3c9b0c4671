-- Tenants: one Chatwoot account each. Secrets are encrypted by the services (XChaCha20-Poly1305, key from
-- SECRETS_KEY) and bound to the tenant id, so a row copied to another tenant does not decrypt.
CREATE TABLE tenants (
    id                  text PRIMARY KEY,
    chatwoot_base_url   text        NOT NULL,
    account_id          bigint      NOT NULL,
    api_token_enc       text        NOT NULL,
    webhook_secret_enc  text,
    allow_unsigned      boolean     NOT NULL DEFAULT false,
    settings            jsonb       NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- The worker's ledger: an event key is processed once; a redelivery finds its row and only republishes the
-- actions recorded with it.
CREATE TABLE processed_events (
    event_key        text PRIMARY KEY,
    tenant           text        NOT NULL,
    event            text        NOT NULL,
    conversation_id  bigint,
    stream_seq       bigint,
    outcome          text        NOT NULL,
    processed_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX processed_events_tenant_time ON processed_events (tenant, processed_at);

-- Actions produced by an event, committed with the ledger row (transactional outbox).
CREATE TABLE event_actions (
    action_id   text PRIMARY KEY,
    event_key   text        NOT NULL REFERENCES processed_events (event_key) ON DELETE CASCADE,
    position    integer     NOT NULL,
    kind        text        NOT NULL,
    payload     bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_actions_event ON event_actions (event_key, position);

CREATE TABLE contacts (
    tenant             text   NOT NULL,
    contact_id         bigint NOT NULL,
    name               text,
    email              text,
    phone_number       text,
    identifier         text,
    custom_attributes  jsonb  NOT NULL DEFAULT '{}',
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, contact_id)
);

CREATE TABLE conversations (
    tenant                text   NOT NULL,
    conversation_id       bigint NOT NULL,
    inbox_id              bigint,
    contact_id            bigint,
    status                text,
    priority              text,
    labels                text[] NOT NULL DEFAULT '{}',
    assignee_id           bigint,
    team_id               bigint,
    -- active: the bot may answer; handed_off: a person owns it until resolved; silenced: an agent replied.
    bot_state             text   NOT NULL DEFAULT 'active',
    first_contact_at      timestamptz,
    first_human_reply_at  timestamptz,
    last_event_at         timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, conversation_id)
);

CREATE TABLE messages (
    tenant           text    NOT NULL,
    message_id       bigint  NOT NULL,
    conversation_id  bigint  NOT NULL,
    message_type     text    NOT NULL,
    private          boolean NOT NULL,
    sender_kind      text    NOT NULL,
    sender_id        bigint,
    content          text,
    created_at       timestamptz,
    PRIMARY KEY (tenant, message_id)
);
CREATE INDEX messages_conversation ON messages (tenant, conversation_id, created_at);

-- The dispatcher's ledger: an action is posted to Chatwoot at most once.
CREATE TABLE dispatched_actions (
    action_id        text PRIMARY KEY,
    tenant           text        NOT NULL,
    conversation_id  bigint      NOT NULL,
    kind             text        NOT NULL,
    -- sending (lease held) | delivered | dead
    state            text        NOT NULL,
    attempts         integer     NOT NULL DEFAULT 0,
    lease_until      timestamptz,
    last_status      integer,
    last_error       text,
    payload          bytea       NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dispatched_actions_tenant_state ON dispatched_actions (tenant, state);
