-- The worker asks, for every customer message, whether its conversation has a draft waiting for an agent; this
-- keeps that lookup (and the update that makes such drafts stale) on the few pending rows of one conversation.
CREATE INDEX drafts_pending ON drafts (tenant, conversation_id) WHERE status = 'pending';
