-- billing: metering. What each platform runs (told by registry as provisioning
-- creates it), one usage row per platform and UTC day (a rerun of a day changes
-- nothing), the month's totals rolled up from the days, the overage already reported
-- to Stripe, and the usage alerts already sent.
CREATE TABLE metered_resources (
    platform_id   TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('worker','d1','r2','kv')),
    name          TEXT NOT NULL,
    cloudflare_id TEXT,
    removed_at    INTEGER,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (platform_id, kind, name)
);

CREATE TABLE usage_daily (
    platform_id        TEXT NOT NULL,
    day                TEXT NOT NULL CHECK (length(day) = 10),
    worker_invocations INTEGER NOT NULL CHECK (worker_invocations >= 0),
    d1_rows_read       INTEGER NOT NULL CHECK (d1_rows_read >= 0),
    d1_rows_written    INTEGER NOT NULL CHECK (d1_rows_written >= 0),
    r2_operations      INTEGER NOT NULL CHECK (r2_operations >= 0),
    kv_operations      INTEGER NOT NULL CHECK (kv_operations >= 0),
    created_at         INTEGER NOT NULL,
    PRIMARY KEY (platform_id, day)
);

CREATE TABLE usage_monthly (
    platform_id        TEXT NOT NULL,
    period             TEXT NOT NULL CHECK (length(period) = 7),
    days               INTEGER NOT NULL,
    worker_invocations INTEGER NOT NULL,
    d1_rows_read       INTEGER NOT NULL,
    d1_rows_written    INTEGER NOT NULL,
    r2_operations      INTEGER NOT NULL,
    kv_operations      INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (platform_id, period)
);

-- The month's overage total (per metric) already sent to Stripe as meter events.
CREATE TABLE overage_reported (
    platform_id TEXT NOT NULL,
    period      TEXT NOT NULL,
    metric      TEXT NOT NULL,
    reported    INTEGER NOT NULL CHECK (reported >= 0),
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (platform_id, period, metric)
);

CREATE TABLE usage_alerts (
    platform_id TEXT NOT NULL,
    period      TEXT NOT NULL,
    metric      TEXT NOT NULL,
    threshold   INTEGER NOT NULL CHECK (threshold IN (80, 100)),
    sent_at     INTEGER NOT NULL,
    PRIMARY KEY (platform_id, period, metric, threshold)
);
