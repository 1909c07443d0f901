DELETE FROM case_categories;
DELETE FROM support_case_types;
DELETE FROM case_types;
