DROP TABLE status_incident_updates;
DROP TABLE status_incidents;
DROP TABLE status_components;
