-- Work done once per cluster (adapters/sql/src/lease.rs): the replica
-- holding a lease (a session advisory lock) saves here the state the next
-- holder starts from, such as a poller's watermark.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    holder TEXT NOT NULL,
    saved_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);
