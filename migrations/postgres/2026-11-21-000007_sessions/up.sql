-- Operators' GraphiQL sessions. The browser holds a random id; only its
-- SHA-256 is kept here, beside the access token it stands for.
CREATE TABLE operator_sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    access_token TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
);
CREATE INDEX operator_sessions_by_expiry ON operator_sessions (expires_at);
