-- Profile features: sign-in credentials and factors of portal users, each
-- account's team at the provider, recovery links and the outbox that
-- carries them, and requests for portal access.

-- A user's password (an argon2id PHC string) and sign-in status. A user
-- without a row has no local password (they sign in elsewhere).
CREATE TABLE user_credentials (
    user_id             BIGINT PRIMARY KEY REFERENCES users (id),
    password_hash       TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'ACTIVE',
    password_changed_at TIMESTAMP NOT NULL
);

-- Enrolled sign-in factors; kind and provider use Okta's names.
CREATE TABLE user_factors (
    id          INTEGER PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    kind        TEXT NOT NULL,
    provider    TEXT NOT NULL,
    status      TEXT NOT NULL,
    detail      TEXT,
    enrolled_at TIMESTAMP NOT NULL
);
CREATE INDEX user_factors_by_user ON user_factors (user_id, enrolled_at, id);

-- The provider's people for an account, in display order.
CREATE TABLE account_team (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    position   INTEGER NOT NULL,
    role       TEXT NOT NULL,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL,
    phone      TEXT,
    PRIMARY KEY (account_id, position)
);

-- Single-use recovery links: only the SHA-256 of the token is kept.
CREATE TABLE recovery_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
CREATE INDEX recovery_tokens_by_user ON recovery_tokens (user_id, created_at);

-- Messages written for delivery; operators read them.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY,
    recipient  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

-- Requests for portal access from people who cannot sign in yet.
CREATE TABLE access_requests (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    phone           TEXT NOT NULL,
    email           TEXT NOT NULL,
    account_name    TEXT NOT NULL,
    account_number  TEXT NOT NULL,
    service_address TEXT NOT NULL,
    description     TEXT NOT NULL,
    case_number     TEXT,
    created_at      TIMESTAMP NOT NULL
);
