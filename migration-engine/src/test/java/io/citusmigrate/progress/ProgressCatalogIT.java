package io.citusmigrate.progress;

import io.citusmigrate.UserError;
import io.citusmigrate.testing.EmbeddedPg;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The progress catalog on the target: made once, an older one brought up to date, a newer one refused. */
class ProgressCatalogIT {
    @Test
    void theSchemaGoesWithTheLastMigrationsRowsTheSinksTablesIncluded() throws Exception {
        try (EmbeddedPg pg = EmbeddedPg.start()) {
            String db = pg.createDatabase("forget");
            try (Connection c = pg.connect(db)) {
                ProgressCatalog.ensure(c);
                // every table the sink makes for itself, as a Connect deployment's sink makes them
                io.citusmigrate.sink.SinkPositions.begin(c, "citus-migrate-sink", 1);
                io.citusmigrate.sink.SinkPositions.forget(c, "citus-migrate-sink");
                // as `cleanup` calls it once the sink's rows are gone: no other table of the migration held rows
                assertTrue(ProgressCatalog.forget(c, List.of(), "some_slot"), "the schema held nothing else");
            }
            assertEquals(List.of("0"), pg.rows(db, "select count(*) from pg_namespace where nspname = 'citus_migrate'"));
        }
    }

    @Test
    void anOlderCatalogIsUpgradedAndANewerOneRefused() throws Exception {
        try (EmbeddedPg pg = EmbeddedPg.start()) {
            String db = pg.createDatabase("catalog");
            // the shape an earlier citus-migrate left: no version, a cutover table without its later columns
            pg.exec(db, """
                    create schema citus_migrate;
                    create table citus_migrate.cutover (slot text primary key, requested_at timestamptz not null, done_at timestamptz,
                      row_changes bigint);
                    insert into citus_migrate.cutover values ('old_slot', now(), null, null);
                    """);
            try (Connection c = pg.connect(db)) {
                ProgressCatalog.ensure(c);
                assertEquals(ProgressCatalog.VERSION, ProgressCatalog.version(c));
                ProgressCatalog.ensure(c); // again: nothing to do
            }
            assertEquals(List.of("old_slot"), pg.rows(db, "select slot from citus_migrate.cutover"), "the older catalog's rows stay");
            assertEquals(List.of("claimed_at", "request_id"), pg.rows(db, "select column_name from information_schema.columns"
                    + " where table_schema = 'citus_migrate' and table_name = 'cutover' and column_name in ('claimed_at', 'request_id') order by 1"));
            for (ProgressCatalog.CatalogTable t : ProgressCatalog.TABLES) {
                if (t.keyColumn().equals("sink")) continue; // the sink makes its own
                assertEquals(List.of("1"), pg.rows(db, "select count(*) from pg_tables where schemaname = 'citus_migrate' and tablename = '"
                        + t.name() + "'"), t.name());
            }
            pg.exec(db, "update citus_migrate.catalog_version set version = " + (ProgressCatalog.VERSION + 1));
            try (Connection c = pg.connect(db)) {
                UserError e = assertThrows(UserError.class, () -> ProgressCatalog.ensure(c));
                assertTrue(e.getMessage().contains("made by a later citus-migrate"), e.getMessage());
            }
        }
    }
}
