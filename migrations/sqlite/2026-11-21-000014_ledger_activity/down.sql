DROP TABLE ledger_deliveries;
DROP TABLE ledger_activities;
