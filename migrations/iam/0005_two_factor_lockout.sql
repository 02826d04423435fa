-- Wrong second-factor codes per user: 10 in a row lock two-factor verification for
-- 15 minutes, across sign-in challenges and client addresses.
ALTER TABLE twoFactor ADD COLUMN failedCount INTEGER NOT NULL DEFAULT 0;
ALTER TABLE twoFactor ADD COLUMN lockedUntil INTEGER NOT NULL DEFAULT 0;
