DROP TABLE tollfree_change_lines;
DROP TABLE tollfree_change_requests;
DROP TABLE tollfree_numbers;
