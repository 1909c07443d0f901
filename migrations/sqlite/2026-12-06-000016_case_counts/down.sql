DROP TRIGGER case_counts_on_move;
DROP TRIGGER case_counts_on_delete;
DROP TRIGGER case_counts_on_insert;
DROP TABLE case_counts;
