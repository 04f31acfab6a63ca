-- The progress catalog: what a migration records on the target, by slot. Every statement can
-- run again; an older catalog is brought up to this version by the same statements. Statements
-- end with a semicolon at the end of a line.
CREATE SCHEMA IF NOT EXISTS citus_migrate;
CREATE TABLE IF NOT EXISTS citus_migrate.catalog_version (version int NOT NULL);
CREATE TABLE IF NOT EXISTS citus_migrate.steps (slot text, step text, position int NOT NULL, started_at timestamptz NOT NULL,
    finished_at timestamptz, PRIMARY KEY (slot, step));
CREATE TABLE IF NOT EXISTS citus_migrate.copied_ranges (slot text, table_name text, range text, rows bigint NOT NULL,
    copied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (slot, table_name, range));
CREATE TABLE IF NOT EXISTS citus_migrate.bulk_loads (slot text PRIMARY KEY, consistent_point text,
    started_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz, plan text);
-- the shape of earlier versions of bulk_loads
ALTER TABLE citus_migrate.bulk_loads ADD COLUMN IF NOT EXISTS started_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN IF NOT EXISTS plan text, ALTER COLUMN finished_at DROP NOT NULL, ALTER COLUMN finished_at DROP DEFAULT;
CREATE TABLE IF NOT EXISTS citus_migrate.cutover (slot text PRIMARY KEY, request_id text NOT NULL,
    requested_at timestamptz NOT NULL, done_at timestamptz, row_changes bigint);
-- earlier versions of cutover had neither
ALTER TABLE citus_migrate.cutover ADD COLUMN IF NOT EXISTS request_id text, ADD COLUMN IF NOT EXISTS claimed_at timestamptz;
CREATE TABLE IF NOT EXISTS citus_migrate.live_status (slot text PRIMARY KEY, phase text NOT NULL, applied bigint NOT NULL,
    rate double precision NOT NULL, lag_bytes bigint NOT NULL, lag_seconds double precision NOT NULL,
    bytes_per_second double precision NOT NULL, tables text NOT NULL, updated_at timestamptz NOT NULL);
ALTER TABLE citus_migrate.live_status ADD COLUMN IF NOT EXISTS pace double precision NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS citus_migrate.autovacuum_paused (slot text NOT NULL, table_name text NOT NULL,
    paused_at timestamptz NOT NULL, PRIMARY KEY (slot, table_name));
CREATE TABLE IF NOT EXISTS citus_migrate.deployments (slot text PRIMARY KEY, connect_url text NOT NULL, name text NOT NULL,
    deployed_at timestamptz NOT NULL DEFAULT now());
