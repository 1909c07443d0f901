-- Toll-free ring-to: each account's toll-free numbers and where they ring,
-- and the change requests (with their lines) submitted for them. Rates are
-- BIGINT millionths of a dollar per minute.

CREATE TABLE tollfree_numbers (
    id                  INTEGER PRIMARY KEY,
    account_id          TEXT NOT NULL REFERENCES accounts (id),
    number              TEXT NOT NULL UNIQUE,
    ring_to             TEXT NOT NULL,
    network             TEXT NOT NULL CHECK (network IN ('ON_NET', 'OFF_NET')),
    changeable_online   BOOLEAN NOT NULL,
    state               TEXT NOT NULL,
    same_state_required BOOLEAN NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('ACTIVE', 'CHANGE_PENDING'))
);
-- The list is read by account in number order (keyset on number, id).
CREATE INDEX tollfree_numbers_by_account ON tollfree_numbers (account_id, number, id);

CREATE TABLE tollfree_change_requests (
    id                INTEGER PRIMARY KEY,
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    status            TEXT NOT NULL CHECK (status IN ('PENDING', 'COMPLETED', 'REJECTED')),
    case_id           BIGINT NOT NULL REFERENCES cases (id),
    case_number       TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_by_subject TEXT NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    decided_at        TIMESTAMP,
    reason            TEXT,
    idempotency_key   TEXT,
    request_hash      TEXT
);
-- Newest first per account.
CREATE INDEX tollfree_requests_by_account ON tollfree_change_requests (account_id, id);
-- One request per submitter and idempotency key.
CREATE UNIQUE INDEX tollfree_requests_by_key
    ON tollfree_change_requests (created_by_subject, idempotency_key);

CREATE TABLE tollfree_change_lines (
    request_id   BIGINT NOT NULL REFERENCES tollfree_change_requests (id),
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
