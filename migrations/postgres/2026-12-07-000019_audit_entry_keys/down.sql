DROP INDEX audit_log_by_key;
ALTER TABLE audit_log DROP COLUMN entry_key;
