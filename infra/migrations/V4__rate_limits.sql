-- Outbound rate limit toward each tenant's Chatwoot, shared by every dispatcher replica: a token bucket refilled
-- by PostgreSQL's clock (so replicas with skewed clocks agree). Dispatchers reserve tokens in small batches, so
-- this row is touched a few times per second at most, not once per call.
CREATE TABLE rate_limits (
    tenant       text PRIMARY KEY,
    -- Tokens left after the last reservation (fractional: refills are continuous).
    tokens       double precision NOT NULL,
    refilled_at  timestamptz      NOT NULL DEFAULT now(),
    -- Share of the configured rate in force while slow_until is in the future: halved on each 429 (at most
    -- once per second, down to 1/8), back to 1 once a cool-down passes without a 429.
    factor       double precision NOT NULL DEFAULT 1,
    slow_until   timestamptz,
    last_cut_at  timestamptz
);
