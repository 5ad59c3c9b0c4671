-- Issue 19: `messages.search` (a generated tsvector with a GIN index, V6) has had no reader since V8 moved the
-- API's full-text filter to `conversations.search`. It was computed, stored and indexed for every message anyway:
-- its words went into a GIN index a second time. Dropping a column does not rewrite the table.
DROP INDEX IF EXISTS messages_search;
ALTER TABLE messages DROP COLUMN IF EXISTS search;
