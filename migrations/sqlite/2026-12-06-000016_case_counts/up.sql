-- How many cases each account has in each state, kept by triggers in the
-- transaction of every write that adds, removes or moves a case, so that the
-- Support list's and the overview's counts for the filters the portal uses
-- (accounts x states) read at most accounts x states rows instead of
-- counting index entries.
CREATE TABLE case_counts (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    state      SMALLINT NOT NULL,
    n          BIGINT NOT NULL CHECK (n >= 0),
    PRIMARY KEY (account_id, state)
) WITHOUT ROWID;

INSERT INTO case_counts (account_id, state, n)
SELECT account_id, state, count(*) FROM cases GROUP BY account_id, state;

CREATE TRIGGER case_counts_on_insert AFTER INSERT ON cases
BEGIN
    INSERT INTO case_counts (account_id, state, n) VALUES (NEW.account_id, NEW.state, 1)
    ON CONFLICT (account_id, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER case_counts_on_delete AFTER DELETE ON cases
BEGIN
    UPDATE case_counts SET n = n - 1 WHERE account_id = OLD.account_id AND state = OLD.state;
END;

-- Comments and other edits that only touch updated_at do not fire.
CREATE TRIGGER case_counts_on_move AFTER UPDATE OF state, account_id ON cases
WHEN OLD.state IS NOT NEW.state OR OLD.account_id IS NOT NEW.account_id
BEGIN
    UPDATE case_counts SET n = n - 1 WHERE account_id = OLD.account_id AND state = OLD.state;
    INSERT INTO case_counts (account_id, state, n) VALUES (NEW.account_id, NEW.state, 1)
    ON CONFLICT (account_id, state) DO UPDATE SET n = n + 1;
END;
