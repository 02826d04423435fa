-- provisioning: jobs, their steps, the platforms they act for, and what they created.
-- Timestamps are Unix ms. Invariants live in the statements (store/): a step is
-- claimed by one consumer at a time through a conditional UPDATE on its lease.

-- One row per platform provisioning has been asked about: who owns it (the NNO tenant
-- whose members may read its jobs) and the environment its resources live in.
CREATE TABLE platforms (
    id              TEXT PRIMARY KEY NOT NULL,
    owner_tenant_id TEXT,
    environment     TEXT NOT NULL CHECK (environment IN ('prod', 'stg')),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE jobs (
    id              TEXT PRIMARY KEY NOT NULL,
    platform_id     TEXT NOT NULL REFERENCES platforms(id),
    type            TEXT NOT NULL CHECK (type IN ('BOOTSTRAP_PLATFORM', 'DEPROVISION_PLATFORM', 'RECONCILE_PLATFORM')),
    status          TEXT NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')),
    -- forward: running its steps; rollback: undoing them after a permanent failure.
    phase           TEXT NOT NULL DEFAULT 'forward' CHECK (phase IN ('forward', 'rollback')),
    -- Runs of the job: 1, plus one per retry.
    attempts        INTEGER NOT NULL DEFAULT 1,
    owner_tenant_id TEXT,
    request         TEXT NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE INDEX jobs_by_platform ON jobs (platform_id, created_at DESC, id DESC);

-- Idempotency: while a platform's bootstrap is queued, running or has succeeded, a
-- second request gets that job instead of a new one.
CREATE UNIQUE INDEX jobs_one_live_bootstrap ON jobs (platform_id)
    WHERE type = 'BOOTSTRAP_PLATFORM' AND status IN ('QUEUED', 'RUNNING', 'SUCCEEDED');

CREATE TABLE job_steps (
    job_id          TEXT NOT NULL REFERENCES jobs(id),
    position        INTEGER NOT NULL,
    name            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed', 'rolled_back')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    cloudflare_id   TEXT,
    -- Whether this job created what the step points at (1) or found it there (0):
    -- rollback deletes only the former.
    created_by_job  INTEGER NOT NULL DEFAULT 0,
    -- An attempt failed in a way that may have taken effect (a timeout, a 5xx): a
    -- later adoption then counts as this job's creation.
    uncertain       INTEGER NOT NULL DEFAULT 0,
    -- A consumer holds the step until then (claims are conditional on it).
    lease_until     INTEGER NOT NULL DEFAULT 0,
    detail          TEXT NOT NULL DEFAULT '{}',
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (job_id, position)
);

-- What provisioning's jobs created or adopted and have not removed: what drift
-- compares with Cloudflare. Registry is the source of truth, but provisioning cannot
-- call it; it keeps its own record of its own work.
CREATE TABLE resources (
    platform_id     TEXT NOT NULL REFERENCES platforms(id),
    kind            TEXT NOT NULL CHECK (kind IN ('d1', 'worker', 'worker_domain', 'custom_hostname')),
    name            TEXT NOT NULL,
    environment     TEXT NOT NULL,
    cloudflare_id   TEXT NOT NULL,
    job_id          TEXT NOT NULL,
    -- Custom hostnames: pending | active | failed, and when SSL was last polled.
    ssl_status      TEXT,
    polled_at       INTEGER,
    detail          TEXT NOT NULL DEFAULT '{}',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (platform_id, kind, name)
);

CREATE INDEX resources_pending_ssl ON resources (ssl_status, polled_at)
    WHERE kind = 'custom_hostname';
