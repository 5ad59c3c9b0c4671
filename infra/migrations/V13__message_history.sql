-- Issue 16: the message history API (`GET /api/v1/messages`) pages a tenant's messages and the pipeline's
-- replies newest first, across conversations. Without these it would sort every message of the tenant.
CREATE INDEX messages_history ON messages (tenant, created_at DESC);
CREATE INDEX dispatched_actions_history ON dispatched_actions (tenant, created_at DESC)
    WHERE kind IN ('send_message', 'private_note');
