-- A conversation's actions reach Chatwoot in the order the worker produced them, whatever crashes, retries and
-- redeliveries happen in between, with any number of dispatchers.

-- The last sequence number the worker gave an action of the conversation (each action gets the next one).
ALTER TABLE conversations ADD COLUMN action_seq bigint NOT NULL DEFAULT 0;

-- The action's place in its conversation; a dispatcher makes the call only once the one before is settled
-- (delivered or dead-lettered). 0: an action from before sequencing, in no order.
ALTER TABLE dispatched_actions ADD COLUMN conversation_seq bigint NOT NULL DEFAULT 0;
CREATE INDEX dispatched_actions_sequence ON dispatched_actions (tenant, conversation_id, conversation_seq)
    WHERE conversation_seq > 0;
