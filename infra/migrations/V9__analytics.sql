-- Analytics (issue 15): what the reports crate needs, kept up to date as events flow, in the worker's and the
-- dispatcher's own transactions so a redelivered or duplicated event counts once.

-- A tenant's reporting calendar, copied from its rules' [settings] by the worker (the rules live in files the API
-- cannot read).
CREATE TABLE analytics_calendars (
    tenant          text        PRIMARY KEY,
    timezone        text        NOT NULL,
    business_days   text[]      NOT NULL,
    business_hours  text        NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- One reports::Tracker per conversation (Chatwoot's per-conversation reporting state), as JSON.
CREATE TABLE analytics_trackers (
    tenant           text        NOT NULL,
    conversation_id  bigint      NOT NULL,
    tracker          jsonb       NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, conversation_id)
);

-- reports::Bucket per group and tenant-local hour (`hour`: the UTC second the local hour starts). Rows are sharded
-- by the conversation's event partition: one partition's events are processed one at a time, so concurrent worker
-- transactions never wait for each other on a bucket row. Reads merge the shards; the worker's compaction folds
-- the shards of past hours into shard -1, so a month's summary reads ~720 rows per group.
CREATE TABLE analytics_buckets (
    tenant     text     NOT NULL,
    dimension  text     NOT NULL,
    hour       bigint   NOT NULL,
    grp        text     NOT NULL,
    shard      smallint NOT NULL,
    bucket     jsonb    NOT NULL,
    PRIMARY KEY (tenant, dimension, hour, grp, shard)
);
CREATE INDEX analytics_buckets_shards ON analytics_buckets (hour) WHERE shard >= 0;

-- Our own additive hourly counters (triage, escalations, handoffs, SLA breaches, drafts, deliveries, labels):
-- `count` events and the `sum` of their values (seconds, characters), sharded like the buckets.
CREATE TABLE analytics_counters (
    tenant  text     NOT NULL,
    hour    bigint   NOT NULL,
    metric  text     NOT NULL,
    key     text     NOT NULL,
    shard   smallint NOT NULL,
    count   bigint   NOT NULL,
    sum     bigint   NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, hour, metric, key, shard)
);
CREATE INDEX analytics_counters_shards ON analytics_counters (hour) WHERE shard >= 0;
