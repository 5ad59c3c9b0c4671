-- Daily and weekly reports ("digests"): per-tenant settings, the reports generated, and their deliveries.

-- What a tenant receives and where. The chat webhook URL is a bearer secret (Slack and Mattermost incoming
-- webhooks need no other credential), so it is sealed like the tenant's API token, bound to the tenant id.
CREATE TABLE digest_settings (
    tenant           text        PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    daily            boolean     NOT NULL DEFAULT false,
    weekly           boolean     NOT NULL DEFAULT false,
    -- Local hour (tenant's time zone) after which the previous day's or week's report is generated.
    send_hour        smallint    NOT NULL DEFAULT 8 CHECK (send_hour BETWEEN 0 AND 23),
    recipients       text[]      NOT NULL DEFAULT '{}',
    webhook_url_enc  text,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- One row per tenant, kind and period: the unique key is what makes a report generated once whatever the number
-- of replicas. A replica inserts the row in the transaction that computes and renders it; a second replica's
-- insert waits on the key and then finds it taken, and a replica that dies mid-way leaves nothing behind.
CREATE TABLE digests (
    id            uuid        PRIMARY KEY,
    tenant        text        NOT NULL,
    kind          text        NOT NULL CHECK (kind IN ('daily', 'weekly')),
    period_start  timestamptz NOT NULL,
    period_end    timestamptz NOT NULL,
    timezone      text        NOT NULL,
    markdown      text        NOT NULL,
    figures       jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant, kind, period_start)
);
CREATE INDEX digests_list ON digests (tenant, period_start DESC, id DESC);

-- One row per digest and channel, created with the digest. A replica claims a due row by taking a lease
-- (`locked_until`) under FOR UPDATE SKIP LOCKED, so two replicas never send the same row at once, and a row
-- marked sent is never picked again.
CREATE TABLE digest_deliveries (
    digest_id        uuid        NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
    channel          text        NOT NULL CHECK (channel IN ('email', 'webhook')),
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    locked_until     timestamptz,
    last_error       text,
    delivered_at     timestamptz,
    PRIMARY KEY (digest_id, channel)
);
CREATE INDEX digest_deliveries_due ON digest_deliveries (next_attempt_at) WHERE status = 'pending';
