DROP TRIGGER case_counts_on_move ON cases;
DROP TRIGGER case_counts_on_delete ON cases;
DROP TRIGGER case_counts_on_insert ON cases;
DROP FUNCTION case_counts_move();
DROP FUNCTION case_counts_remove();
DROP FUNCTION case_counts_add();
DROP TABLE case_counts;
