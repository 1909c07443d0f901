DROP INDEX cases_by_account_number;
