DROP TABLE access_requests;
DROP TABLE outbox;
DROP TABLE recovery_tokens;
DROP TABLE account_team;
DROP TABLE user_factors;
DROP TABLE user_credentials;
