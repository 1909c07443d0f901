DROP TABLE usage_records;
DROP TABLE invoice_charges;
DROP TABLE invoices;
DROP TABLE billing_accounts;
