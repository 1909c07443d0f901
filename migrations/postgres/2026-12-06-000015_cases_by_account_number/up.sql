-- The Support list ordered by case number seeks (account_id, number, id)
-- with a row-value comparison, like the other orderings.
CREATE INDEX cases_by_account_number ON cases (account_id, number, id);
