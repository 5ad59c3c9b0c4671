-- Issue 16: a tenant lives on one support platform. Chatwoot stays the default; for the others the existing
-- columns keep their roles (chatwoot_base_url: the platform's API base or the outgoing webhook URL, api_token_enc:
-- the platform's access token, webhook_secret_enc: what inbound webhooks are verified with) and these add the rest.
ALTER TABLE tenants
    ADD COLUMN platform text NOT NULL DEFAULT 'chatwoot'
        CHECK (platform IN ('chatwoot', 'generic', 'intercom', 'zendesk', 'freshchat')),
    -- Non-secret settings: Intercom admin_id, Zendesk email, Freshchat agent_id, the generic outgoing webhook's
    -- headers, timeout, retries and active flag.
    ADD COLUMN platform_config jsonb NOT NULL DEFAULT '{}',
    -- The generic outgoing webhook's Standard Webhooks signing secret (whsec_...), sealed like the others.
    ADD COLUMN signing_secret_enc text;

-- Platforms whose conversation ids are not numbers (Freshchat's UUIDs, a generic webhook's free text) get a
-- numeric id here, the one the pipeline's state, ledger and API use; the dispatcher maps it back. Ids start far
-- above any Chatwoot display id or Intercom/Zendesk number, which are used as they are.
CREATE SEQUENCE platform_conversation_ids START WITH 1000000000000000;
CREATE TABLE platform_conversations (
    id           bigint PRIMARY KEY DEFAULT nextval('platform_conversation_ids'),
    tenant       text        NOT NULL,
    platform     text        NOT NULL,
    external_id  text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant, platform, external_id)
);
ALTER SEQUENCE platform_conversation_ids OWNED BY platform_conversations.id;
