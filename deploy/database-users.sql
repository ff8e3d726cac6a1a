-- The two database users of a deployment, made once by an administrator of the database, before the first install:
--   psql "postgresql://admin@db.example.com/mallbots" -f deploy/database-users.sql
-- then give each a password (psql's \password sends only its hash):
--   \password mallbots_migrations
--   \password mallbots_app
-- mallbots_migrations owns the eight schemas and changes them (DDL): only `mallbots migrate` (the Helm chart's
-- migrate Job) connects as it. mallbots_app reads and writes rows (DML) and nothing else: every worker and the API.
-- Tables a later migration adds are granted to mallbots_app as they are made (ALTER DEFAULT PRIVILEGES below).
CREATE ROLE mallbots_migrations LOGIN;
CREATE ROLE mallbots_app LOGIN;

DO $$
BEGIN
    EXECUTE format('GRANT CONNECT, CREATE ON DATABASE %I TO mallbots_migrations', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO mallbots_app', current_database());
END $$;

CREATE SCHEMA IF NOT EXISTS stores AUTHORIZATION mallbots_migrations;
CREATE SCHEMA IF NOT EXISTS customers AUTHORIZATION mallbots_migrations;
CREATE SCHEMA IF NOT EXISTS baskets AUTHORIZATION mallbots_migrations;
CREATE SCHEMA IF NOT EXISTS ordering AUTHORIZATION mallbots_migrations;
CREATE SCHEMA IF NOT EXISTS depot AUTHORIZATION mallbots_migrations;
CREATE SCHEMA IF NOT EXISTS payments AUTHORIZATION mallbots_migrations;
CREATE SCHEMA IF NOT EXISTS notifications AUTHORIZATION mallbots_migrations;
CREATE SCHEMA IF NOT EXISTS search AUTHORIZATION mallbots_migrations;

GRANT USAGE ON SCHEMA stores, customers, baskets, ordering, depot, payments, notifications, search TO mallbots_app;

-- What exists already (a database migrated before this split) ...
GRANT SELECT, INSERT, UPDATE, DELETE
    ON ALL TABLES IN SCHEMA stores, customers, baskets, ordering, depot, payments, notifications, search
    TO mallbots_app;
GRANT USAGE, SELECT
    ON ALL SEQUENCES IN SCHEMA stores, customers, baskets, ordering, depot, payments, notifications, search
    TO mallbots_app;

-- ... and what the migrations make from now on.
ALTER DEFAULT PRIVILEGES FOR ROLE mallbots_migrations
    IN SCHEMA stores, customers, baskets, ordering, depot, payments, notifications, search
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO mallbots_app;
ALTER DEFAULT PRIVILEGES FOR ROLE mallbots_migrations
    IN SCHEMA stores, customers, baskets, ordering, depot, payments, notifications, search
    GRANT USAGE, SELECT ON SEQUENCES TO mallbots_app;
