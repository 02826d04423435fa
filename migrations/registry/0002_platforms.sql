-- registry: the platform catalogue. Timestamps are Unix ms. Status values and the
-- transitions between them are nno_core::platform (the CHECKs repeat the values so a
-- bug elsewhere cannot store a state that does not exist).
CREATE TABLE platforms (
    id                  TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 10),
    name                TEXT NOT NULL,
    slug                TEXT NOT NULL UNIQUE,
    status              TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
                        ('pending','provisioning','active','suspended','pending_cancellation','cancelled','deleted')),
    tier                TEXT NOT NULL DEFAULT 'starter' CHECK (tier IN ('starter','growth','scale')),
    class               TEXT NOT NULL DEFAULT 'platform' CHECK (class IN ('platform','user_project')),
    -- The NNO tenant (IAM organization) the platform belongs to, and who onboarded it.
    owner_tenant_id     TEXT NOT NULL,
    owner_user_id       TEXT,
    cf_account_id       TEXT,
    repo_name           TEXT,
    stripe_customer_id  TEXT,
    suspended_at        INTEGER,
    suspension_reason   TEXT,
    -- 'operator' or 'owner': an operator's suspension is only lifted by an operator.
    suspended_by        TEXT CHECK (suspended_by IN ('operator','owner')),
    cancelled_at        INTEGER,
    cancellation_reason TEXT,
    trial_ends_at       INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    deleted_at          INTEGER
);
CREATE INDEX platforms_by_tenant ON platforms (owner_tenant_id, created_at DESC, id DESC);
CREATE INDEX platforms_by_time ON platforms (created_at DESC, id DESC);

-- Tenants and sub-tenants of a client platform (its own customers), not NNO's.
CREATE TABLE entities (
    id          TEXT PRIMARY KEY NOT NULL,
    platform_id TEXT NOT NULL REFERENCES platforms (id),
    parent_id   TEXT REFERENCES entities (id),
    kind        TEXT NOT NULL CHECK (kind IN ('tenant','sub_tenant')),
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (platform_id, slug)
);
CREATE INDEX entities_by_platform ON entities (platform_id, created_at DESC, id DESC);
CREATE INDEX entities_by_parent ON entities (parent_id);

CREATE TABLE stacks (
    platform_id TEXT NOT NULL REFERENCES platforms (id),
    -- 'default' for the stack every platform gets at onboarding, else a 10-char id.
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    tenant_id   TEXT REFERENCES entities (id),
    status      TEXT NOT NULL DEFAULT 'active',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (platform_id, id)
);

CREATE TABLE resources (
    id            TEXT PRIMARY KEY NOT NULL,
    platform_id   TEXT NOT NULL REFERENCES platforms (id),
    stack_id      TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('worker','pages','d1','r2','kv','queue','hostname')),
    name          TEXT NOT NULL,
    cloudflare_id TEXT,
    environment   TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active','removed')),
    created_at    INTEGER NOT NULL,
    -- The time of the newest provisioning event applied: older ones change nothing.
    updated_at    INTEGER NOT NULL,
    UNIQUE (platform_id, kind, name, environment)
);
CREATE INDEX resources_by_platform ON resources (platform_id, created_at DESC, id DESC);

CREATE TABLE dns_records (
    id                 TEXT PRIMARY KEY NOT NULL,
    platform_id        TEXT NOT NULL REFERENCES platforms (id),
    stack_id           TEXT NOT NULL,
    hostname           TEXT NOT NULL UNIQUE,
    environment        TEXT NOT NULL,
    target             TEXT NOT NULL,
    ssl_status         TEXT NOT NULL CHECK (ssl_status IN ('pending','active','failed')),
    custom_hostname_id TEXT,
    removed            INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX dns_by_platform ON dns_records (platform_id, created_at DESC, id DESC);

CREATE TABLE platform_lifecycle_events (
    id          TEXT PRIMARY KEY NOT NULL,
    platform_id TEXT NOT NULL REFERENCES platforms (id),
    from_status TEXT,
    to_status   TEXT NOT NULL,
    reason      TEXT,
    actor       TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX lifecycle_by_platform ON platform_lifecycle_events (platform_id, created_at DESC, id DESC);

-- Append-only: no statement in registry updates or deletes it, and these triggers
-- refuse it if one ever tried.
CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY NOT NULL,
    platform_id TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    before      TEXT,
    after       TEXT,
    request_id  TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX audit_by_platform ON audit_log (platform_id, created_at DESC, id DESC);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE onboarding_sessions (
    id              TEXT PRIMARY KEY NOT NULL,
    platform_id     TEXT NOT NULL UNIQUE REFERENCES platforms (id),
    user_id         TEXT NOT NULL,
    tenant_id       TEXT NOT NULL,
    slug            TEXT NOT NULL,
    idempotency_key TEXT,
    -- Where the platform's invoices go; provisioning and billing are told it.
    billing_email   TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('provisioning','active','failed')),
    job_id          TEXT,
    -- The bootstrap job as provisioning last reported it (JobView JSON).
    job             TEXT,
    job_at          INTEGER NOT NULL DEFAULT 0,
    error           TEXT,
    failed_step     TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (user_id, slug),
    UNIQUE (user_id, idempotency_key)
);

-- Gap G2: what the central builder needs to build a platform's console.
CREATE TABLE platform_configs (
    platform_id     TEXT PRIMARY KEY NOT NULL REFERENCES platforms (id),
    features_config TEXT NOT NULL DEFAULT '{}',
    env_config      TEXT NOT NULL DEFAULT '{}',
    auth_config     TEXT NOT NULL DEFAULT '{}',
    updated_by      TEXT NOT NULL,
    updated_at      INTEGER NOT NULL
);
