-- Users who operate the gateway itself (the OPERATOR role): administrative
-- operations, introspection and GraphiQL where configured so.
CREATE TABLE operators (
    user_id BIGINT PRIMARY KEY REFERENCES users (id)
);
