-- The rebuild of up.sql in reverse. Refuses (NOT NULL fails) while
-- requests with an external case exist: their case lives elsewhere and
-- cannot be given a database case here.

CREATE TABLE tollfree_change_requests_old (
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
INSERT INTO tollfree_change_requests_old
    (id, account_id, status, case_id, case_number, created_by, created_by_subject,
     created_at, decided_at, reason, idempotency_key, request_hash)
SELECT id, account_id, status, case_id, case_number, created_by, created_by_subject,
       created_at, decided_at, reason, idempotency_key, request_hash
FROM tollfree_change_requests;

CREATE TABLE tollfree_change_lines_old (
    request_id   BIGINT NOT NULL REFERENCES tollfree_change_requests_old (id),
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
INSERT INTO tollfree_change_lines_old SELECT
    request_id, position, number, old_ring_to, new_ring_to, old_network, new_network,
    rate_micros, rate_changes
FROM tollfree_change_lines;

DROP TABLE tollfree_change_lines;
DROP TABLE tollfree_change_requests;
ALTER TABLE tollfree_change_requests_old RENAME TO tollfree_change_requests;
ALTER TABLE tollfree_change_lines_old RENAME TO tollfree_change_lines;

CREATE INDEX tollfree_requests_by_account ON tollfree_change_requests (account_id, id);
CREATE UNIQUE INDEX tollfree_requests_by_key
    ON tollfree_change_requests (created_by_subject, idempotency_key);
