-- The gateway's ledger of writes it makes on external backends (ServiceNow):
-- which idempotency key made which upstream record, and which portal user
-- each upstream record was made for (the backend records every write under
-- the gateway's integration user).

-- One row per keyed write. A claim inserts the row (the primary key lets one
-- of several concurrent claims win); the write's record id completes it.
-- An unfinished row older than the caller's limit is taken over by moving
-- `claimed_at` forward, conditional on its old value.
CREATE TABLE ledger_writes (
    -- The backend written to ('servicenow').
    backend       TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('CASE', 'COMMENT', 'ATTACHMENT')),
    -- The portal user making the write.
    actor_user_id TEXT NOT NULL,
    -- The client's idempotency key.
    idem_key      TEXT NOT NULL,
    -- Digest of the normalised input; another input under the key is a mismatch.
    fingerprint   TEXT NOT NULL,
    -- The upstream record's id; NULL while the write is in progress.
    record_id     TEXT,
    claimed_at    TIMESTAMP NOT NULL,
    completed_at  TIMESTAMP,
    PRIMARY KEY (backend, kind, actor_user_id, idem_key),
    CHECK ((record_id IS NULL) = (completed_at IS NULL))
);

-- Who each upstream record was made for; the first recording is kept.
CREATE TABLE ledger_authors (
    backend     TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    -- The portal user's display name.
    author      TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (backend, record_id)
);
