-- Each audit entry carries a key made when it is recorded, so an entry
-- written again (a retry after a lost answer, or the retrying queue after
-- a timed-out first try) is stored once. Entries from before have none.
ALTER TABLE audit_log ADD COLUMN entry_key TEXT;
CREATE UNIQUE INDEX audit_log_by_key ON audit_log (entry_key);
