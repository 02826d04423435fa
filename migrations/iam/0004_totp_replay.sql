-- The last TOTP time step accepted per user: a code is good once, not for its whole
-- ±30 s window.
ALTER TABLE twoFactor ADD COLUMN lastUsedStep INTEGER NOT NULL DEFAULT 0;
