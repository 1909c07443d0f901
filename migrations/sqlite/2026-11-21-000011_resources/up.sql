-- The resource library (categories and their guides and documents) and My
-- Apps (product portal tiles), each entry tied to the product names it
-- serves (none: every account); the services at each location and the
-- equipment (assets) installed there. `search_text` holds the lower-cased
-- name and identifiers a search matches.

CREATE TABLE resource_categories (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    position    INTEGER NOT NULL
);

CREATE TABLE resources (
    id          INTEGER PRIMARY KEY,
    category_id BIGINT NOT NULL REFERENCES resource_categories (id),
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    url         TEXT NOT NULL,
    download    BOOLEAN NOT NULL,
    position    INTEGER NOT NULL
);
CREATE INDEX resources_by_category ON resources (category_id, position);

CREATE TABLE resource_products (
    resource_id  BIGINT NOT NULL REFERENCES resources (id),
    product_name TEXT NOT NULL,
    PRIMARY KEY (resource_id, product_name)
);

CREATE TABLE portal_apps (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    url         TEXT NOT NULL,
    position    INTEGER NOT NULL
);

CREATE TABLE portal_app_products (
    app_id       BIGINT NOT NULL REFERENCES portal_apps (id),
    product_name TEXT NOT NULL,
    PRIMARY KEY (app_id, product_name)
);

CREATE TABLE services (
    id            INTEGER PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    location_id   BIGINT NOT NULL REFERENCES locations (id),
    product_id    BIGINT REFERENCES products (id),
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    status        TEXT NOT NULL,
    circuit_id    TEXT,
    phone_numbers TEXT NOT NULL,
    started_on    DATE,
    search_text   TEXT NOT NULL
);
CREATE INDEX services_by_name ON services (account_id, name, id);
CREATE INDEX services_by_location ON services (location_id, name, id);

CREATE TABLE assets (
    id           INTEGER PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    location_id  BIGINT NOT NULL REFERENCES locations (id),
    service_id   BIGINT REFERENCES services (id),
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    manufacturer TEXT NOT NULL,
    model        TEXT NOT NULL,
    serial       TEXT NOT NULL,
    status       TEXT NOT NULL,
    search_text  TEXT NOT NULL
);
CREATE INDEX assets_by_name ON assets (account_id, name, id);
CREATE INDEX assets_by_location ON assets (location_id, name, id);
