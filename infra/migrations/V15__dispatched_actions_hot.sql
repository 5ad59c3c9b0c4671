-- Issue 19: the dispatcher's settle (one update per action) rewrote every index of dispatched_actions, because
-- `state` was in one of them. No statement looks actions up by (tenant, state): the history API pages by
-- (tenant, created_at), the dispatcher by action id or by the conversation's sequence. Without that index the
-- settle changes no indexed column, and with room left on each page (fillfactor) it is a heap-only update: no
-- index entry and a fraction of the WAL.
DROP INDEX IF EXISTS dispatched_actions_tenant_state;
ALTER TABLE dispatched_actions SET (fillfactor = 70);
