-- Every mutation: who made it, what it was, what it touched, how it ended.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TIMESTAMP NOT NULL,
    user_id   TEXT NOT NULL,
    issuer    TEXT NOT NULL,
    client    TEXT,
    operation TEXT NOT NULL,
    fields    TEXT NOT NULL,
    targets   TEXT NOT NULL,
    outcome   TEXT NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at, id);
CREATE INDEX audit_log_by_user ON audit_log (user_id, at);
