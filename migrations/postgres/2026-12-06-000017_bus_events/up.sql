-- Events relayed between replicas (adapters/sql/src/relay.rs): one row per
-- message a replica published, announced by NOTIFY in the statement that
-- stores it. Listeners that lost their connection read what they missed
-- from here; rows older than the relay's retention are deleted. A retried
-- write carries the same (origin, seq) and stores nothing twice.
CREATE TABLE bus_events (
    id BIGSERIAL PRIMARY KEY,
    origin TEXT NOT NULL,
    seq BIGINT NOT NULL,
    body TEXT NOT NULL,
    at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    UNIQUE (origin, seq)
);

CREATE INDEX bus_events_by_at ON bus_events (at);
