-- Refuses (NOT NULL fails) while requests with an external case exist:
-- their case lives elsewhere and cannot be given a database case here.
DROP INDEX tollfree_requests_by_case_ref;
ALTER TABLE tollfree_change_requests DROP CONSTRAINT tollfree_requests_one_case;
ALTER TABLE tollfree_change_requests ALTER COLUMN case_id SET NOT NULL;
ALTER TABLE tollfree_change_requests DROP COLUMN case_ref;
