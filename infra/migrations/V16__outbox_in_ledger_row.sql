-- Issue 19: an event's outbox (its actions and activity records) is kept in its ledger row instead of one row per
-- action and per record in event_actions and event_activity. Those rows cost an index entry or two each and a
-- foreign-key check that locked the ledger row, for data only ever read back whole by event key. `actions` and
-- `activity` hold each list postcard-encoded (a length-prefixed list of byte strings); `action_ids` lets SQL
-- join actions to the dispatcher's ledger. Rows written before this migration keep NULL here and their outbox in
-- the old tables, which are read for them.
ALTER TABLE processed_events
    ADD COLUMN action_ids text[],
    ADD COLUMN actions bytea,
    ADD COLUMN activity bytea;
