-- Failed password checks per account (nno_auth::guard): `subject` is a hash of the
-- normalised address, so unknown addresses are counted like known ones and the table
-- holds no address in clear. `lockedUntil` spaces checks out once the free failures
-- are spent; a correct password deletes the row.
CREATE TABLE password_failure (
  subject TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  lastFailureAt INTEGER NOT NULL,
  lockedUntil INTEGER NOT NULL DEFAULT 0
);

-- E-mails sent per recipient address in the current window (mailer caps).
CREATE TABLE mail_quota (
  recipient TEXT PRIMARY KEY,
  sent INTEGER NOT NULL,
  windowStart INTEGER NOT NULL
);
