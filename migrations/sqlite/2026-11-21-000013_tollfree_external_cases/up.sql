-- A change request's case may live outside the database (cases served by
-- ServiceNow): then case_id is NULL and case_ref holds the external case's
-- id. Exactly one of the two is set, and no two requests share a case.
--
-- SQLite cannot relax NOT NULL in place, so both toll-free request tables
-- are rebuilt (foreign keys stay on during migrations): the new lines table
-- references the new requests table, each old table is dropped child
-- first, and renaming the new requests table rewrites the lines' reference
-- to the final name.

CREATE TABLE tollfree_change_requests_new (
    id                INTEGER PRIMARY KEY,
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    status            TEXT NOT NULL CHECK (status IN ('PENDING', 'COMPLETED', 'REJECTED')),
    case_id           BIGINT REFERENCES cases (id),
    case_number       TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_by_subject TEXT NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    decided_at        TIMESTAMP,
    reason            TEXT,
    idempotency_key   TEXT,
    request_hash      TEXT,
    case_ref          TEXT,
    CHECK ((case_id IS NULL) <> (case_ref IS NULL))
);
INSERT INTO tollfree_change_requests_new
    (id, account_id, status, case_id, case_number, created_by, created_by_subject,
     created_at, decided_at, reason, idempotency_key, request_hash, case_ref)
SELECT id, account_id, status, case_id, case_number, created_by, created_by_subject,
       created_at, decided_at, reason, idempotency_key, request_hash, NULL
FROM tollfree_change_requests;

CREATE TABLE tollfree_change_lines_new (
    request_id   BIGINT NOT NULL REFERENCES tollfree_change_requests_new (id),
    position     INTEGER NOT NULL,
    number       TEXT NOT NULL,
    old_ring_to  TEXT NOT NULL,
    new_ring_to  TEXT NOT NULL,
    old_network  TEXT NOT NULL,
    new_network  TEXT NOT NULL,
    rate_micros  BIGINT NOT NULL,
    rate_changes BOOLEAN NOT NULL,
    PRIMARY KEY (request_id, position)
);
INSERT INTO tollfree_change_lines_new SELECT
    request_id, position, number, old_ring_to, new_ring_to, old_network, new_network,
    rate_micros, rate_changes
FROM tollfree_change_lines;

DROP TABLE tollfree_change_lines;
DROP TABLE tollfree_change_requests;
ALTER TABLE tollfree_change_requests_new RENAME TO tollfree_change_requests;
ALTER TABLE tollfree_change_lines_new RENAME TO tollfree_change_lines;

-- Newest first per account.
CREATE INDEX tollfree_requests_by_account ON tollfree_change_requests (account_id, id);
-- One request per submitter and idempotency key.
CREATE UNIQUE INDEX tollfree_requests_by_key
    ON tollfree_change_requests (created_by_subject, idempotency_key);
CREATE UNIQUE INDEX tollfree_requests_by_case_ref ON tollfree_change_requests (case_ref);
