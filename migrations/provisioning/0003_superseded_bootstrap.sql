-- A platform that was deprovisioned can be bootstrapped again: its succeeded bootstrap
-- is marked superseded when a deprovision of the platform succeeds, and only a
-- bootstrap that is not superseded blocks (or answers) a new request.
ALTER TABLE jobs ADD COLUMN superseded_at INTEGER;

DROP INDEX jobs_one_live_bootstrap;
CREATE UNIQUE INDEX jobs_one_live_bootstrap ON jobs (platform_id)
    WHERE type = 'BOOTSTRAP_PLATFORM' AND status IN ('QUEUED', 'RUNNING', 'SUCCEEDED')
      AND superseded_at IS NULL;
