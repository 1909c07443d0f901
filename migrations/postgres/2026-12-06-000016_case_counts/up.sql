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
);

INSERT INTO case_counts (account_id, state, n)
SELECT account_id, state, count(*) FROM cases GROUP BY account_id, state;

-- Inserts and deletes adjust the counters once per statement (a seed of
-- 100,000 cases is one upsert per account and state, not one per row);
-- counters are taken in key order so concurrent writers cannot deadlock.
CREATE FUNCTION case_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_counts (account_id, state, n)
    SELECT account_id, state, count(*) FROM added GROUP BY account_id, state
    ORDER BY account_id, state
    ON CONFLICT (account_id, state) DO UPDATE SET n = case_counts.n + EXCLUDED.n;
    RETURN NULL;
END $$;

CREATE FUNCTION case_counts_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE case_counts c SET n = c.n - r.n
    FROM (SELECT account_id, state, count(*) AS n FROM removed GROUP BY account_id, state) r
    WHERE c.account_id = r.account_id AND c.state = r.state;
    RETURN NULL;
END $$;

-- An update moves one case between counters only when its state or account
-- changes; comments and other edits that only touch updated_at do not fire.
CREATE FUNCTION case_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.account_id, OLD.state) < (NEW.account_id, NEW.state) THEN
        UPDATE case_counts SET n = n - 1 WHERE account_id = OLD.account_id AND state = OLD.state;
        INSERT INTO case_counts (account_id, state, n) VALUES (NEW.account_id, NEW.state, 1)
        ON CONFLICT (account_id, state) DO UPDATE SET n = case_counts.n + 1;
    ELSE
        INSERT INTO case_counts (account_id, state, n) VALUES (NEW.account_id, NEW.state, 1)
        ON CONFLICT (account_id, state) DO UPDATE SET n = case_counts.n + 1;
        UPDATE case_counts SET n = n - 1 WHERE account_id = OLD.account_id AND state = OLD.state;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER case_counts_on_insert AFTER INSERT ON cases
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION case_counts_add();

CREATE TRIGGER case_counts_on_delete AFTER DELETE ON cases
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION case_counts_remove();

CREATE TRIGGER case_counts_on_move AFTER UPDATE OF state, account_id ON cases
    FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.account_id IS DISTINCT FROM NEW.account_id)
    EXECUTE FUNCTION case_counts_move();
