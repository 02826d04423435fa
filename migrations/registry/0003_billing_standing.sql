-- registry: the last billing standing applied per platform (billing's
-- BillingStanding events). `at` is when billing read Stripe: an older event changes
-- nothing, and a platform's lifecycle moves only when the standing changes.
CREATE TABLE billing_standing (
    platform_id TEXT PRIMARY KEY NOT NULL REFERENCES platforms (id),
    standing    TEXT NOT NULL CHECK (standing IN
                ('good','grace','overdue','cancelling','cancelled')),
    tier        TEXT NOT NULL CHECK (tier IN ('starter','growth','scale')),
    at          INTEGER NOT NULL
);
