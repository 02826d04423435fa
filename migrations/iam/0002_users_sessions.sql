-- Users, credentials and sessions, in Better Auth's table and column names so that a
-- Better Auth database can be imported (passwords in account.password keep working:
-- IAM verifies Better Auth's scrypt format and rehashes on the next sign-in).
-- Timestamps are Unix milliseconds. session.token holds the SHA-256 of the token,
-- never the token itself.
CREATE TABLE "user" (
    id               TEXT PRIMARY KEY NOT NULL,
    name             TEXT NOT NULL,
    email            TEXT NOT NULL UNIQUE,
    emailVerified    INTEGER NOT NULL DEFAULT 0,
    image            TEXT,
    role             TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('platform-admin', 'user')),
    twoFactorEnabled INTEGER NOT NULL DEFAULT 0,
    createdAt        INTEGER NOT NULL,
    updatedAt        INTEGER NOT NULL
);

CREATE TABLE account (
    id                    TEXT PRIMARY KEY NOT NULL,
    accountId             TEXT NOT NULL,
    providerId            TEXT NOT NULL,
    userId                TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
    accessToken           TEXT,
    refreshToken          TEXT,
    idToken               TEXT,
    accessTokenExpiresAt  INTEGER,
    refreshTokenExpiresAt INTEGER,
    scope                 TEXT,
    password              TEXT,
    createdAt             INTEGER NOT NULL,
    updatedAt             INTEGER NOT NULL,
    UNIQUE (providerId, accountId)
);
CREATE INDEX account_user ON account (userId);

CREATE TABLE session (
    id                   TEXT PRIMARY KEY NOT NULL,
    token                TEXT NOT NULL UNIQUE,
    userId               TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
    expiresAt            INTEGER NOT NULL,
    ipAddress            TEXT,
    userAgent            TEXT,
    activeOrganizationId TEXT,
    createdAt            INTEGER NOT NULL,
    updatedAt            INTEGER NOT NULL
);
CREATE INDEX session_user ON session (userId);

CREATE TABLE verification (
    id         TEXT PRIMARY KEY NOT NULL,
    identifier TEXT NOT NULL,
    value      TEXT NOT NULL,
    expiresAt  INTEGER NOT NULL,
    createdAt  INTEGER NOT NULL,
    updatedAt  INTEGER NOT NULL
);
CREATE INDEX verification_identifier ON verification (identifier);
