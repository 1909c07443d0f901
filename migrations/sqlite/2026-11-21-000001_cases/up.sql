-- Accounts, their locations, products and contacts; users and their entitlements;
-- the case catalog; cases with activity, watch lists and attachments.


CREATE TABLE accounts (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE locations (
    id                   INTEGER PRIMARY KEY,
    account_id           TEXT NOT NULL REFERENCES accounts (id),
    customer_location_id TEXT NOT NULL,
    name                 TEXT NOT NULL,
    address              TEXT NOT NULL
);
CREATE INDEX locations_by_account ON locations (account_id, customer_location_id);

CREATE TABLE products (
    id          INTEGER PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    location_id BIGINT REFERENCES locations (id),
    name        TEXT NOT NULL
);
CREATE INDEX products_by_account ON products (account_id, location_id);

CREATE TABLE contacts (
    id         INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name       TEXT NOT NULL,
    email      TEXT NOT NULL,
    phone      TEXT,
    UNIQUE (account_id, email)
);

CREATE TABLE users (
    id    INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name  TEXT NOT NULL
);

CREATE TABLE user_entitlements (
    user_id    BIGINT NOT NULL REFERENCES users (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    role       TEXT NOT NULL CHECK (role IN ('PRIMARY_AUTHORITY', 'ALTERNATE_AUTHORITY', 'BILLING', 'STANDARD')),
    PRIMARY KEY (user_id, account_id)
);

CREATE TABLE case_types (
    code               TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    description        TEXT NOT NULL,
    customer_creatable BOOLEAN NOT NULL,
    position           INTEGER NOT NULL
);

CREATE TABLE support_case_types (
    code      TEXT PRIMARY KEY,
    case_type TEXT NOT NULL REFERENCES case_types (code),
    name      TEXT NOT NULL,
    position  INTEGER NOT NULL
);

CREATE TABLE case_categories (
    support_case_type TEXT NOT NULL REFERENCES support_case_types (code),
    code              TEXT NOT NULL,
    name              TEXT NOT NULL,
    position          INTEGER NOT NULL,
    PRIMARY KEY (support_case_type, code)
);

CREATE TABLE cases (
    id                  INTEGER PRIMARY KEY,
    number              TEXT NOT NULL UNIQUE,
    account_id          TEXT NOT NULL REFERENCES accounts (id),
    state               SMALLINT NOT NULL,
    priority            SMALLINT NOT NULL,
    title               TEXT NOT NULL,
    description         TEXT NOT NULL,
    case_type           TEXT NOT NULL,
    support_case_type   TEXT NOT NULL,
    category            TEXT NOT NULL,
    location_id         BIGINT REFERENCES locations (id),
    location_not_listed BOOLEAN NOT NULL,
    product_id          BIGINT REFERENCES products (id),
    product_not_listed  BOOLEAN NOT NULL,
    contact_id          BIGINT REFERENCES contacts (id),
    opened_by           TEXT NOT NULL,
    opened_by_subject   TEXT NOT NULL,
    opened_at           TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    resolved_at         TIMESTAMP,
    idempotency_key     TEXT,
    request_hash        TEXT,
    UNIQUE (opened_by_subject, idempotency_key)
);
CREATE INDEX cases_by_updated ON cases (updated_at, id);
CREATE INDEX cases_by_opened ON cases (opened_at, id);
CREATE INDEX cases_by_state ON cases (state, id);
CREATE INDEX cases_by_priority ON cases (priority, id);
CREATE INDEX cases_by_account_updated ON cases (account_id, updated_at, id);
CREATE INDEX cases_by_account_state ON cases (account_id, state, id);
CREATE INDEX cases_by_account_opened ON cases (account_id, opened_at, id);
CREATE INDEX cases_by_account_priority ON cases (account_id, priority, id);

CREATE TABLE case_activities (
    id         INTEGER PRIMARY KEY,
    case_id    BIGINT NOT NULL REFERENCES cases (id),
    -- The case's account, kept here so the updates feed reads one index.
    account_id TEXT NOT NULL REFERENCES accounts (id),
    kind       TEXT NOT NULL,
    author     TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX case_activities_by_case ON case_activities (case_id, created_at, id);
CREATE INDEX case_activities_by_time ON case_activities (created_at, id);
CREATE INDEX case_activities_by_account ON case_activities (account_id, created_at, id);

CREATE TABLE case_watchers (
    case_id  BIGINT NOT NULL REFERENCES cases (id),
    email    TEXT NOT NULL,
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (case_id, email)
);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    case_id      BIGINT NOT NULL REFERENCES cases (id),
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX attachments_by_case ON attachments (case_id, id);

CREATE TABLE attachment_chunks (
    attachment_id BIGINT NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    data          BLOB NOT NULL,
    PRIMARY KEY (attachment_id, seq)
);
-- SQLite's LIKE is case-insensitive for ASCII; free-text search scans, which
-- is fine at the embedded default's size. PostgreSQL uses trigram indexes.
