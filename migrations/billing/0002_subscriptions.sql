-- billing: one subscription per platform, kept in step with Stripe. Timestamps are
-- Unix ms unless named *_s (Stripe's unix seconds, as Stripe gives them).
CREATE TABLE subscriptions (
    platform_id            TEXT PRIMARY KEY NOT NULL CHECK (length(platform_id) = 10),
    -- The NNO tenant that owns the platform: who may read and change its billing.
    owner_tenant_id        TEXT NOT NULL,
    billing_email          TEXT NOT NULL,
    tier                   TEXT NOT NULL CHECK (tier IN ('starter','growth','scale')),
    stripe_customer_id     TEXT UNIQUE,
    stripe_subscription_id TEXT UNIQUE,
    stripe_item_id         TEXT,
    -- Only where STRIPE_TEST_CLOCKS is on (local and test runs): the customer's clock.
    test_clock_id          TEXT,
    -- Stripe's status, or 'pending' until Stripe has a subscription.
    status                 TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
                           ('pending','active','trialing','past_due','unpaid','canceled',
                            'incomplete','incomplete_expired','paused')),
    standing               TEXT NOT NULL DEFAULT 'good' CHECK (standing IN
                           ('good','grace','overdue','cancelling','cancelled')),
    cancel_at_period_end   INTEGER NOT NULL DEFAULT 0 CHECK (cancel_at_period_end IN (0, 1)),
    current_period_start_s INTEGER,
    current_period_end_s   INTEGER,
    amount                 INTEGER,
    currency               TEXT,
    failed_attempts        INTEGER NOT NULL DEFAULT 0,
    -- When the Stripe state this row holds was read: an older read never overwrites
    -- a newer one, whatever order webhooks arrive in.
    synced_at              INTEGER NOT NULL DEFAULT 0,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);
CREATE INDEX subscriptions_by_tenant ON subscriptions (owner_tenant_id);

-- Stripe events that took effect: a redelivery of one of these changes nothing.
CREATE TABLE stripe_events (
    id          TEXT PRIMARY KEY NOT NULL,
    type        TEXT NOT NULL,
    platform_id TEXT,
    created_s   INTEGER NOT NULL,
    received_at INTEGER NOT NULL
);
