-- A change request's case may live outside the database (cases served by
-- ServiceNow): then case_id is NULL and case_ref holds the external case's
-- id. Exactly one of the two is set, and no two requests share a case.
ALTER TABLE tollfree_change_requests ALTER COLUMN case_id DROP NOT NULL;
ALTER TABLE tollfree_change_requests ADD COLUMN case_ref TEXT;
ALTER TABLE tollfree_change_requests ADD CONSTRAINT tollfree_requests_one_case
    CHECK ((case_id IS NULL) <> (case_ref IS NULL));
CREATE UNIQUE INDEX tollfree_requests_by_case_ref ON tollfree_change_requests (case_ref);
