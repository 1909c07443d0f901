-- System status: the status page's components, incidents (and maintenance
-- notices) with their updates. Status is global, not per account. An
-- incident's affected components are a comma-separated list of component
-- ids in `component_ids` (read with the incident, never joined on).

CREATE TABLE status_components (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    group_name  TEXT,
    status      TEXT NOT NULL CHECK (status IN ('operational', 'degraded_performance',
                    'partial_outage', 'major_outage', 'under_maintenance')),
    description TEXT,
    position    INTEGER NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE status_incidents (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    status        TEXT NOT NULL,
    impact        TEXT NOT NULL CHECK (impact IN ('none', 'minor', 'major', 'critical', 'maintenance')),
    component_ids TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    resolved_at   TIMESTAMP
);

CREATE INDEX status_incidents_open ON status_incidents (created_at DESC) WHERE resolved_at IS NULL;
CREATE INDEX status_incidents_recent ON status_incidents (created_at DESC, id DESC);

CREATE TABLE status_incident_updates (
    id          INTEGER PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES status_incidents (id),
    status      TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

CREATE INDEX status_incident_updates_incident ON status_incident_updates (incident_id, created_at DESC);
