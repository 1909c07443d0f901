DROP TABLE write_keys;
