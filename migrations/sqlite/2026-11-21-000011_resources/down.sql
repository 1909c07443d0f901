DROP TABLE assets;
DROP TABLE services;
DROP TABLE portal_app_products;
DROP TABLE portal_apps;
DROP TABLE resource_products;
DROP TABLE resources;
DROP TABLE resource_categories;
