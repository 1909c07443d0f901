-- Idempotency keys of comments and uploads, so a retried write returns the
-- first record instead of writing again (a case's key is kept on the case).
-- A key belongs to one actor and one kind of write; the primary key makes
-- concurrent retries under one key store exactly one record.

CREATE TABLE write_keys (
    actor_subject   TEXT NOT NULL,
    -- 'COMMENT' or 'ATTACHMENT'.
    kind            TEXT NOT NULL CHECK (kind IN ('COMMENT', 'ATTACHMENT')),
    idempotency_key TEXT NOT NULL,
    -- SHA-256 of the normalised input; another input under the key is a conflict.
    request_hash    TEXT NOT NULL,
    case_id         BIGINT NOT NULL REFERENCES cases (id),
    -- The case_activities id of a comment, the attachments id of an upload.
    -- No foreign key: a deleted attachment keeps its key used.
    record_id       BIGINT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (actor_subject, kind, idempotency_key)
);
