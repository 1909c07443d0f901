-- What the gateway keeps of a case's story on an external backend that
-- keeps no history of it itself (ServiceNow forgets a renamed or removed
-- attachment's old name), read back with the backend's own entries.
CREATE TABLE ledger_activities (
    id          INTEGER PRIMARY KEY,
    -- The backend ('servicenow').
    backend     TEXT NOT NULL,
    -- The upstream case's id.
    case_id     TEXT NOT NULL,
    kind        TEXT NOT NULL
        CHECK (kind IN ('COMMENT', 'SYSTEM', 'STATE_CHANGE', 'ATTACHMENT', 'WATCH_LIST')),
    -- The portal user's display name.
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    at          TIMESTAMP NOT NULL
);
-- A case's entries, read for one case or a page of cases.
CREATE INDEX ledger_activities_by_case ON ledger_activities (backend, case_id, at);

-- Signed deliveries from a backend (webhook posts) already accepted: a
-- replay is noticed by every instance sharing the database. Rows older
-- than the accepted timestamp window are deleted as new ones arrive.
CREATE TABLE ledger_deliveries (
    source      TEXT NOT NULL,
    -- The delivery's signature.
    digest      TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    PRIMARY KEY (source, digest)
);
CREATE INDEX ledger_deliveries_by_age ON ledger_deliveries (received_at);
