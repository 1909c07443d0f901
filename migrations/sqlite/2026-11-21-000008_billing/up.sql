-- Billing: each account's billing details, its invoices with their summary of
-- charges and charge lines, and usage records (calls). Money is BIGINT minor
-- units (cents); an invoice's total due must equal the sum of its parts.

CREATE TABLE billing_accounts (
    account_id         TEXT PRIMARY KEY REFERENCES accounts (id),
    address            TEXT NOT NULL,
    city               TEXT NOT NULL,
    state              TEXT NOT NULL,
    zip                TEXT NOT NULL,
    phone              TEXT NOT NULL,
    notification_email TEXT NOT NULL
);

CREATE TABLE invoices (
    id                INTEGER PRIMARY KEY,
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    number            TEXT NOT NULL UNIQUE,
    invoice_date      DATE NOT NULL,
    due_date          DATE NOT NULL,
    currency          TEXT NOT NULL,
    previous_minor    BIGINT NOT NULL,
    payments_minor    BIGINT NOT NULL,
    adjustments_minor BIGINT NOT NULL,
    late_fee_minor    BIGINT NOT NULL,
    current_minor     BIGINT NOT NULL,
    total_due_minor   BIGINT NOT NULL,
    CHECK (total_due_minor = previous_minor + payments_minor + adjustments_minor
                             + late_fee_minor + current_minor)
);
CREATE INDEX invoices_by_date ON invoices (account_id, invoice_date, id);
CREATE INDEX invoices_by_due_date ON invoices (account_id, due_date, id);
CREATE INDEX invoices_by_number ON invoices (account_id, number, id);
CREATE INDEX invoices_by_total ON invoices (account_id, total_due_minor, id);

CREATE TABLE invoice_charges (
    id           INTEGER PRIMARY KEY,
    invoice_id   BIGINT NOT NULL REFERENCES invoices (id),
    position     INTEGER NOT NULL,
    category     TEXT NOT NULL,
    description  TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    UNIQUE (invoice_id, position)
);

CREATE TABLE usage_records (
    id            INTEGER PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    invoice_id    BIGINT REFERENCES invoices (id),
    started_at    TIMESTAMP NOT NULL,
    from_number   TEXT NOT NULL,
    to_number     TEXT NOT NULL,
    duration_secs INTEGER NOT NULL CHECK (duration_secs >= 0),
    kind          TEXT NOT NULL,
    currency      TEXT NOT NULL,
    charge_minor  BIGINT NOT NULL
);
CREATE INDEX usage_by_start ON usage_records (account_id, started_at, id);
CREATE INDEX usage_by_invoice ON usage_records (invoice_id, started_at, id);
CREATE INDEX usage_by_duration ON usage_records (account_id, duration_secs, id);
CREATE INDEX usage_by_charge ON usage_records (account_id, charge_minor, id);
