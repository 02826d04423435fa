-- Tenants (Better Auth organizations, members, invitations), NNO roles and grants,
-- API keys and two-factor state. Timestamps are Unix milliseconds.
CREATE TABLE organization (
    id        TEXT PRIMARY KEY NOT NULL,
    name      TEXT NOT NULL,
    slug      TEXT NOT NULL UNIQUE,
    logo      TEXT,
    metadata  TEXT,
    orgType   TEXT NOT NULL DEFAULT 'tenant' CHECK (orgType IN ('nno-operator', 'tenant')),
    createdAt INTEGER NOT NULL
);

CREATE TABLE member (
    id             TEXT PRIMARY KEY NOT NULL,
    organizationId TEXT NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
    userId         TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
    role           TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    createdAt      INTEGER NOT NULL,
    UNIQUE (organizationId, userId)
);
CREATE INDEX member_user ON member (userId);

CREATE TABLE invitation (
    id             TEXT PRIMARY KEY NOT NULL,
    organizationId TEXT NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
    email          TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    status         TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected', 'canceled')),
    expiresAt      INTEGER NOT NULL,
    inviterId      TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
    createdAt      INTEGER NOT NULL
);
CREATE INDEX invitation_org ON invitation (organizationId, status);
CREATE INDEX invitation_email ON invitation (email, status);

-- Feature permissions a tenant maps to each of its roles (on top of IAM's built-in ones).
CREATE TABLE role_permission (
    organizationId TEXT NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
    role           TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    permission     TEXT NOT NULL,
    createdAt      INTEGER NOT NULL,
    PRIMARY KEY (organizationId, role, permission)
);

-- Per-user grants (granted = 1) and denials (granted = 0) inside a tenant.
CREATE TABLE permission_grant (
    id             TEXT PRIMARY KEY NOT NULL,
    organizationId TEXT NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
    userId         TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
    permission     TEXT NOT NULL,
    granted        INTEGER NOT NULL CHECK (granted IN (0, 1)),
    grantedBy      TEXT NOT NULL,
    expiresAt      INTEGER,
    createdAt      INTEGER NOT NULL,
    UNIQUE (organizationId, userId, permission)
);
CREATE INDEX permission_grant_user ON permission_grant (userId, organizationId);

-- API keys: `key` is the SHA-256 of the key, `start` its first characters for listings.
-- Owned by a user (organizationId NULL) or by a tenant (organizationId set; userId is
-- who created it).
CREATE TABLE apikey (
    id                TEXT PRIMARY KEY NOT NULL,
    name              TEXT NOT NULL,
    start             TEXT NOT NULL,
    key               TEXT NOT NULL UNIQUE,
    userId            TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
    organizationId    TEXT REFERENCES organization(id) ON DELETE CASCADE,
    scopes            TEXT NOT NULL,
    rateLimitMax      INTEGER NOT NULL,
    rateLimitWindowMs INTEGER NOT NULL,
    expiresAt         INTEGER,
    lastUsedAt        INTEGER,
    revokedAt         INTEGER,
    createdAt         INTEGER NOT NULL
);
CREATE INDEX apikey_user ON apikey (userId);
CREATE INDEX apikey_org ON apikey (organizationId);

-- TOTP secret (sealed with the server secret) and hashed backup codes (JSON array).
-- `verified` turns 1 when the first code is checked; until then 2FA is not enforced.
CREATE TABLE twoFactor (
    id          TEXT PRIMARY KEY NOT NULL,
    userId      TEXT NOT NULL UNIQUE REFERENCES "user"(id) ON DELETE CASCADE,
    secret      TEXT NOT NULL,
    backupCodes TEXT NOT NULL,
    createdAt   INTEGER NOT NULL
);

-- One row per one-time platform step; the primary key makes `/api/nno/bootstrap`
-- succeed exactly once even when two calls race.
CREATE TABLE bootstrap (
    step      TEXT PRIMARY KEY NOT NULL,
    userId    TEXT NOT NULL,
    createdAt INTEGER NOT NULL
);
