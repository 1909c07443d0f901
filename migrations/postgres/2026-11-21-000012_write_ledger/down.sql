DROP TABLE ledger_authors;
DROP TABLE ledger_writes;
