package io.citusmigrate.cli;

import io.citusmigrate.stream.AutovacuumPause;
import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import io.citusmigrate.testing.EveryType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A live migration through the command line: the bulk load from a persistent slot's snapshot,
 * changes made during the load and while streaming, the cutover, then `verify`.
 */
@org.junit.jupiter.api.Timeout(value = 240) // a stream that never ends fails the test, not the build
@org.junit.jupiter.api.extension.ExtendWith(io.citusmigrate.testing.SourceAndCitus.class) // its source and the best Citus there is
class LiveMigrationIT {
    /** Three tenants with thirty items between them: the schema most tests start from. */
    private static final String TENANT_AND_ITEMS = """
            create table tenant (id int primary key);
            create table item (id serial primary key, tenant_id int not null references tenant, note text);
            insert into tenant select generate_series(1, 3);
            insert into item (tenant_id, note) select g % 3 + 1, 'n' || g from generate_series(1, 30) g;
            """;
    /** The same with a log table whose rows find their tenant through item: thirty lines, one per item. */
    private static final String TENANT_ITEMS_AND_LOG = TENANT_AND_ITEMS + """
            create table item_log (id serial primary key, item_id int not null references item, line text);
            insert into item_log (item_id, line) select g, 'l' || g from generate_series(1, 30) g;
            """;

    static EmbeddedPg pg;
    static CitusTarget citus;
    @TempDir
    Path dir;





    @Test
    void changesDuringTheLoadAndAfterItAllArriveAndTheCutoverEndsIt() throws Exception {
        String db = pg.createDatabase("live");
        pg.exec(db, """
                create table companies (id bigserial primary key, name text not null);
                create table campaigns (id bigserial primary key, company_id bigint not null references companies, name text);
                create table ads (id bigserial primary key, campaign_id bigint not null references campaigns, body text, bits varbit(8), day date);
                insert into companies (name) select 'c' || g from generate_series(1, 20) g;
                insert into campaigns (company_id, name) select g % 20 + 1, 'k' || g from generate_series(1, 200) g;
                insert into ads (campaign_id, body, bits, day) select g % 200 + 1, 'ad ' || g, B'0011', date '2024-01-01' + g
                  from generate_series(1, 20000) g;
                """);
        String schema = citus.newSchema("live");
        Path file = dir.resolve("live.load");
        LoadFile.write(file, pg, db, citus, schema, "include drop, slot name = 'cm_live_test'", "distribute companies using id");

        StringWriter migrateOut = new StringWriter();
        CompletableFuture<Run> migrate = CompletableFuture.supplyAsync(() -> Run.of(migrateOut, "migrate", file.toString()));
        // as soon as the slot exists, while the bulk load runs: these rows are not in its snapshot
        waitFor(() -> !pg.rows(db, "select 1 from pg_replication_slots where slot_name = 'cm_live_test'").isEmpty(), migrate);
        pg.exec(db, """
                insert into companies (name) values ('during');
                insert into campaigns (company_id, name) select id, 'during' from companies where name = 'during';
                insert into ads (campaign_id, body, bits, day) select id, 'during', B'0001', '0044-03-15 BC' from campaigns where name = 'during';
                update ads set body = 'changed during the load' where id = 7;
                delete from ads where id = 8;
                """);
        waitFor(() -> migrateOut.toString().contains("streaming changes from slot cm_live_test"), migrate);
        // while it streams: an index on ads' source key (updates and deletes name rows by it) and one
        // on (tenant key, campaign_id) (a campaign moving tenant takes its ads along)
        List<String> lookupIndexes = citus.rows("select indexname from pg_indexes where schemaname = '" + schema + "'"
                + " and indexname like 'citus\\_migrate\\_%' order by 1");
        assertTrue(lookupIndexes.contains("citus_migrate_hop_ads") && lookupIndexes.contains("citus_migrate_key_ads"), lookupIndexes.toString());
        pg.exec(db, """
                insert into ads (campaign_id, body) select campaign_id, 'streamed' from ads where id between 100 and 199;
                update ads set body = body || ' (edited)', bits = B'00000001' where id between 200 and 299;
                delete from ads where id between 300 and 349;
                update campaigns set name = 'renamed' where id = 5;
                """);
        // one transaction: children go before their parent (and some move to another parent)
        pg.exec(db, """
                update ads set campaign_id = 26 where campaign_id = 6 and id % 2 = 0;
                delete from ads where campaign_id = 6;
                delete from campaigns where id = 6;
                """);

        // another terminal sees how far it is, once migrate has reported the changes above
        waitFor(() -> Run.of("status", file.toString(), "--json").out().contains("\"public.ads\""), migrate);
        Run status = Run.of("status", file.toString());
        assertEquals(0, status.code(), status.err());
        assertTrue(status.out().contains("(slot cm_live_test): streaming"), status.out());
        assertTrue(status.out().matches("(?s).*row changes applied: \\d+ \\(\\d+/s.*"), status.out());
        assertTrue(status.out().contains("behind the source: "), status.out());
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Run.of("status", file.toString(), "--json").out());
        assertEquals("streaming", json.get("state").asText());
        assertTrue(json.get("row_changes_applied").asLong() > 0, json.toString());
        assertTrue(json.get("rows_written_per_table").get("public.ads").asLong() > 0, json.toString());
        assertTrue(json.get("source_seconds_applied_per_second").isNumber(), json.toString()); // the pace the catch-up is estimated with
        assertTrue(json.get("autovacuum_paused_on") == null, json.toString());
        // autovacuum left paused (as by a cutover killed after its pause): status names it until a cutover turns it back on
        try (Connection c = citus.connect()) {
            assertEquals(1, AutovacuumPause.pause(c, "cm_live_test", List.of(schema + ".companies")));
        }
        String leftPaused = Run.of("status", file.toString()).out();
        assertTrue(leftPaused.contains("autovacuum paused by a cutover on 1 target table (" + schema + ".companies): on again once a cutover"
                + " finishes (for a migration given up, `citus-migrate cleanup "), leftPaused);
        assertEquals("[\"" + schema + ".companies\"]", new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(Run.of("status", file.toString(), "--json").out()).get("autovacuum_paused_on").toString());

        // an application session still open: --stop-writes ends it, and new sessions cannot write
        Connection app = pg.connect(db);
        Run cutover = Run.of(new StringWriter(), "cutover", file.toString(), "--timeout", "120", "--stop-writes");
        assertEquals(0, cutover.code(), cutover.out() + cutover.err() + "\nmigrate said:\n" + migrateOut);
        assertTrue(cutover.out().contains("cutover done in "), cutover.out());
        assertTrue(cutover.out().matches("(?s).*cutover done in [0-9.]+ s \\(writes stopped for the last [0-9.]+ s of it\\): .*"), cutover.out());
        assertTrue(cutover.out().contains("behind the source; catching up should take about"), cutover.out());
        // the tables the foreign keys join (campaigns, companies, ads): adding them does not wait for an autovacuum
        assertTrue(cutover.out().contains("autovacuum paused on 3 target tables until the cutover is done"), cutover.out());
        assertTrue(cutover.out().contains("writes stopped: the source database is read-only for new sessions, 1 open session ended"),
                cutover.out());
        // the pause (a second's wait on a busy target) overlaps the stream's catch-up to the stop; it is over before the marker
        int stopped = cutover.out().indexOf("writes stopped: ");
        int paused = cutover.out().indexOf("autovacuum paused on ");
        int marker = cutover.out().indexOf("cutover marker written");
        assertTrue(stopped < paused && paused < marker, cutover.out());
        assertThrows(SQLException.class, () -> app.createStatement().execute("select 1"), "the open session was ended");
        try (Connection late = pg.connect(db)) {
            SQLException e = assertThrows(SQLException.class, () -> late.createStatement().execute("insert into companies (name) values ('late')"));
            assertTrue(e.getMessage().contains("read-only transaction"), e.getMessage());
        }
        Run m = migrate.get(120, TimeUnit.SECONDS);
        assertEquals(0, m.code(), m.out() + m.err());
        assertTrue(m.out().contains("cutover: "), m.out());
        assertEquals(List.of(), citus.rows("select indexname from pg_indexes where schemaname = '" + schema + "'"
                + " and indexname like 'citus\\_migrate\\_%'"), "the lookup indexes are dropped after the cutover");
        assertTrue(m.out().contains("autovacuum on again on 3 target tables"), m.out());
        assertEquals(List.of(), citus.rows("select relname from pg_class where relnamespace = '" + schema + "'::regnamespace"
                + " and array_to_string(reloptions, ',') like '%autovacuum%'"), "autovacuum is back on after the cutover");
        assertEquals(List.of("0"), citus.rows("select count(*) from citus_migrate.autovacuum_paused where slot = 'cm_live_test'"));
        assertFalse(Run.of("status", file.toString()).out().contains("autovacuum paused"), "on again: status no longer says it");

        // the target equals the source, back-filled tenant keys included
        assertVerifies(file);
        assertEquals(pg.rows(db, "select count(*), count(*) filter (where body like '%(edited)'), count(*) filter (where day < '0001-01-01')"
                + " from ads"), citus.rows("select count(*), count(*) filter (where body like '%(edited)'),"
                + " count(*) filter (where day < '0001-01-01') from " + schema + ".ads"));
        assertEquals(List.of("changed during the load|0"), citus.rows("select (select body from " + schema + ".ads where id = 7),"
                + " (select count(*) from " + schema + ".ads where id = 8)"));
        // sequences were set at the cutover: the next id on the target is past the source's rows
        assertEquals(pg.rows(db, "select last_value from ads_id_seq"), citus.rows("select last_value from " + schema + ".ads_id_seq"));
        assertEquals(List.of("2"), citus.rows("select count(*) from pg_constraint where contype = 'f' and convalidated"
                + " and connamespace = '" + schema + "'::regnamespace"), "the foreign keys are there, validated");
        assertEquals(List.of(), pg.rows(db, "select slot_name from pg_replication_slots"), "the slot is dropped");
        assertEquals(List.of(), pg.rows(db, "select pubname from pg_publication"), "the publication is dropped");
    }

    @Test
    void anInterruptedMigrationResumesFromItsSlotWithoutLossOrDoubles() throws Exception {
        String db = pg.createDatabase("resume");
        pg.exec(db, """
                create table tenant (id int primary key);
                create table item (id serial primary key, tenant_id int not null references tenant, n int not null);
                insert into tenant select generate_series(1, 5);
                insert into item (tenant_id, n) select g % 5 + 1, 0 from generate_series(1, 1000) g;
                """);
        String schema = citus.newSchema("resume");
        Path file = tenantLoadFile(db, schema, "cm_resume_test");
        Background first = Background.streaming(file);
        pg.exec(db, "update item set n = n + 1 where id <= 500; insert into item (tenant_id, n) select 1, 7 from generate_series(1, 100)");
        Thread.sleep(1500); // some of it applied and confirmed, maybe not all
        Run stopped = first.interrupt();
        assertEquals(1, stopped.code(), stopped.err());
        assertTrue(stopped.err().contains("--resume"), stopped.err());

        // written while nothing streams: the slot keeps it
        pg.exec(db, "update item set n = n + 10 where id > 900; delete from item where id between 10 and 19");
        Background second = Background.migrate(file.toString(), "--resume");
        second.waitUntilStreaming();
        pg.exec(db, "update item set n = n * 2 where tenant_id = 3");
        second.cutOverAndFinish(file);
        assertVerifies(file);
        assertEquals(pg.rows(db, "select count(*), sum(n) from item"), citus.rows("select count(*), sum(n) from " + schema + ".item"));
    }

    @Test
    void aResumeAfterAQuietSpellStartsWhereTheSlotIsWithNothingLost() throws Exception {
        String db = pg.createDatabase("quiet");
        pg.exec(db, "create table tenant (id int primary key, note text); insert into tenant select generate_series(1, 3)");
        String schema = citus.newSchema("quiet");
        Path file = tenantLoadFile(db, schema, "cm_quiet_test");
        Background first = Background.streaming(file);
        pg.exec(db, "insert into tenant values (4)");
        waitFor(() -> citus.rows("select count(*) from " + schema + ".tenant").equals(List.of("4")), first.thread());
        // Then only heartbeats: once they are confirmed and a running-transactions record is decoded, the slot's restart
        // position passes the last row change, the position kept on the target
        String lastRow = pg.rows(db, "select pg_current_wal_lsn()").get(0);
        waitFor(() -> {
            pg.exec(db, "select pg_log_standby_snapshot()");
            return pg.rows(db, "select restart_lsn > '" + lastRow + "' from pg_replication_slots where slot_name = 'cm_quiet_test'")
                    .equals(List.of("t"));
        }, first.thread());
        Run stopped = first.interrupt();
        assertEquals(1, stopped.code(), stopped.err());

        pg.exec(db, "insert into tenant values (5); update tenant set note = 'while stopped' where id = 1");
        Background second = Background.migrate(file.toString(), "--resume");
        second.waitUntilStreaming(); // it failed here: "no longer available on the server"
        second.cutOverAndFinish(file);
        assertEquals(List.of("5|while stopped"), citus.rows("select count(*), max(note) from " + schema + ".tenant"));
    }

    @Test
    void aColumnDebeziumCannotCarryExactlyStopsTheLiveMigrationBeforeAnythingIsWritten() throws Exception {
        String db = pg.createDatabase("uncarried");
        pg.exec(db, """
                create domain day as date;
                create domain payday as day;
                create table tenant (id int primary key);
                create table item (id int primary key, tenant_id int not null references tenant, due day, paid payday);
                insert into tenant values (1);
                insert into item values (1, 1, '0044-03-15 BC', '2024-01-01');
                """);
        String schema = citus.newSchema("uncarried");
        Path file = dir.resolve("uncarried.load");
        LoadFile.write(file, pg, db, citus, schema, "include drop, slot name = 'cm_uncarried_test', snapshot method = 'debezium'", "distribute tenant using id");
        Run r = Run.of(new StringWriter(), "migrate", file.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("public.item.paid (public.payday, a domain over public.day): a domain over a domain"), r.err());
        assertTrue(r.err().contains("public.item.due (public.day, a domain over date): Debezium's snapshot turns a BC date"), r.err());
        assertEquals(List.of(), citus.rows("select 1 from pg_namespace where nspname = '" + schema + "'"), "the target was not touched");
        assertEquals(List.of(), pg.rows(db, "select slot_name from pg_replication_slots"), "no slot was made");
    }

    @Test
    void everyTypeArrivesExactlyThroughALiveMigrationWithWritesWhileItStreams() throws Exception {
        String db = pg.createDatabase("everytype");
        pg.exec(db, EveryType.SCHEMA);
        String schema = citus.newSchema("everytype");
        Path file = dir.resolve("everytype.load");
        LoadFile.write(file, pg, db, citus, schema, "include drop, slot name = 'cm_everytype_test'", "distribute tenant using id");
        StringWriter out = new StringWriter();
        CompletableFuture<Run> migrate = CompletableFuture.supplyAsync(() -> Run.of(out, "migrate", file.toString()));
        waitFor(() -> out.toString().contains("streaming changes from slot"), migrate);
        EveryType.CHANGES.forEach(q -> pg.exec(db, q));
        Run cutover = Run.of(new StringWriter(), "cutover", file.toString(), "--timeout", "120");
        assertEquals(0, cutover.code(), cutover.out() + cutover.err() + "\nmigrate said:\n" + out);
        Run done = migrate.get(60, TimeUnit.SECONDS);
        assertEquals(0, done.code(), done.out() + done.err());
        List<String> source = EveryType.rows(pg.connect(db), "public");
        assertEquals(6 * EveryType.COLUMNS.split(",").length, source.size());
        assertEquals(List.of(), EveryType.differences(source, EveryType.rows(citus.connect(), schema)));
    }

    @Test
    void autovacuumIsPausedOnTheTablesAndTheirShardsThenBackOnLeavingAUsersOwnSettingAlone() throws SQLException {
        // autovacuum off around a cutover on the tables its foreign keys join, back on after, a user's own setting untouched
        String schema = citus.track("Auto Vac " + System.nanoTime());
        String q = "\"" + schema + "\"";
        try (Connection c = citus.connect(); java.sql.Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + q);
            s.execute("CREATE TABLE " + q + ".\"Tenants\" (id bigint PRIMARY KEY)");
            s.execute("CREATE TABLE " + q + ".\"order\" (tenant bigint, id bigint, PRIMARY KEY (tenant, id)) WITH (autovacuum_enabled = true)");
            if (!citus.isStandIn()) {
                s.execute("SELECT create_distributed_table('" + q + ".\"Tenants\"', 'id')");
                s.execute("SELECT create_distributed_table('" + q + ".\"order\"', 'tenant', colocate_with => '" + q + ".\"Tenants\"')");
            }
            List<String> tables = List.of(q + ".\"Tenants\"", q + ".\"order\"");

            assertEquals(1, AutovacuumPause.pause(c, "cm_autovac", tables), "the table with a setting of its own is left as it is");
            assertEquals(List.of("Tenants|{autovacuum_enabled=false}", "order|{autovacuum_enabled=true}"), reloptions(schema));
            if (!citus.isStandIn()) {
                // Citus passes it on to every shard: the workers' autovacuum launchers read it there
                assertEquals(List.of("autovacuum_enabled=false"), citus.rows("SELECT DISTINCT result FROM run_command_on_shards('" + q
                        + ".\"Tenants\"', $$SELECT array_to_string(reloptions, ',') FROM pg_class WHERE oid = '%s'::regclass$$)"));
            }
            assertEquals(1, AutovacuumPause.pause(c, "cm_autovac", tables), "a second cutover finds it paused by the first, not the user's");

            assertEquals(1, AutovacuumPause.resume(c, "cm_autovac"));
            assertEquals(List.of("Tenants|null", "order|{autovacuum_enabled=true}"), reloptions(schema));
            assertEquals(0, AutovacuumPause.resume(c, "cm_autovac"), "nothing left to turn back on");
        }
    }

    @Test
    void aShardLockHeldOnAWorkerLeavesThatTableToTheForeignKeysAfterTheWaitInsteadOfHoldingTheCutover() throws Exception {
        // the pause runs while writes are stopped: a lock on one shard, held on its worker, bounds it to LOCK_WAIT
        // (a plain SET lock_timeout stays on the coordinator: the ALTER waited as long as the lock was held)
        org.junit.jupiter.api.Assumptions.assumeFalse(citus.isStandIn(), "the stand-in has no workers");
        String schema = citus.newSchema("held");
        String t = schema + ".held";
        try (Connection c = citus.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
            s.execute("CREATE TABLE " + t + " (tenant bigint, id bigint, PRIMARY KEY (tenant, id))");
            s.execute("SELECT create_distributed_table('" + t + "', 'tenant')");
        }
        List<String> shard = citus.rows("SELECT n.nodename || '|' || n.nodeport || '|' || shard_name('" + t + "'::regclass, s.shardid)"
                + " FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid) JOIN pg_dist_node n USING (groupid)"
                + " WHERE s.logicalrelid = '" + t + "'::regclass AND n.groupid > 0 ORDER BY s.shardid LIMIT 1");
        String[] at = shard.get(0).split("\\|");
        String worker = "jdbc:postgresql://" + at[0] + ":" + at[1] + "/" + citus.rows("SELECT current_database()").get(0);
        try (Connection w = java.sql.DriverManager.getConnection(worker, citus.user(), citus.password()); Statement ws = w.createStatement();
             Connection c = citus.connect()) {
            ws.execute("SET citus.enable_manual_changes_to_shards = on");
            w.setAutoCommit(false);
            ws.execute("LOCK TABLE " + at[2] + " IN SHARE UPDATE EXCLUSIVE MODE"); // as an autovacuum of that shard holds it
            List<String> said = new java.util.ArrayList<>();
            long t0 = System.nanoTime();
            CompletableFuture<Integer> pause = CompletableFuture.supplyAsync(() -> {
                try {
                    return AutovacuumPause.pause(c, "cm_held", List.of(t), said::add);
                } catch (SQLException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            int paused;
            try {
                paused = pause.get(30, TimeUnit.SECONDS);
            } finally {
                w.rollback(); // the lock given back whatever happened
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertEquals(0, paused, "the table whose shard is locked is left as it is");
            assertTrue(seconds < 10, "the wait is bounded on the worker too: " + seconds + " s");
            assertEquals(List.of("autovacuum left on on " + t + ": its lock is held by another session (not had in 2s)"), said);
            assertEquals(List.of("0"), citus.rows("SELECT count(*) FROM citus_migrate.autovacuum_paused WHERE slot = 'cm_held'"), "nothing noted");
            assertEquals(List.of("held|null"), reloptions(schema));
            assertEquals(1, AutovacuumPause.pause(c, "cm_held", List.of(t)), "once the lock is given back it pauses");
            assertEquals(1, AutovacuumPause.resume(c, "cm_held"));
        }
    }

    private static List<String> reloptions(String schema) throws SQLException {
        return citus.rows("SELECT relname, reloptions FROM pg_class WHERE relnamespace = '\"" + schema + "\"'::regnamespace"
                + " AND relkind = 'r' ORDER BY relname COLLATE \"C\"");
    }

    @Test
    void aCutoverThatWouldWaitLongerThanMaxLagIsRefusedBeforeAnythingStops() throws Exception {
        String db = pg.createDatabase("maxlag");
        pg.exec(db, "create table tenant (id int primary key); insert into tenant values (1)");
        Path file = dir.resolve("maxlag.load");
        LoadFile.write(file, pg, db, citus, citus.newSchema("maxlag"), "slot name = 'cm_maxlag_test'", "distribute tenant using id");
        pg.exec(db, "select pg_create_logical_replication_slot('cm_maxlag_test', 'pgoutput')");
        try (Connection target = citus.connect()) {
            // what a migrate 40 s and 80 MB behind reports, applying 8 MB of WAL but only 1 s of the source's writes per second
            // (the estimate goes by the seconds: by the bytes it would be 10 s)
            io.citusmigrate.stream.LiveProgress.save(target, new io.citusmigrate.stream.LiveProgress.Status("cm_maxlag_test", "streaming",
                    1000, 500, 80_000_000, 40, 8_000_000, 1.0, java.util.Map.of(), 0));
        }
        Run r = Run.of(new StringWriter(), "cutover", file.toString(), "--stop-writes");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("the stream is 40.0 s (80.0 MB) behind the source; catching up should take about 40.0 s"), r.out());
        assertTrue(r.err().contains("cutover refused: catching up should take about 40.0 s, over --max-lag 10 s; nothing was stopped"), r.err());
        pg.exec(db, "insert into tenant values (2)"); // writes were not stopped
        if (!citus.rows("select to_regclass('citus_migrate.cutover')").equals(java.util.Collections.singletonList(null))) {
            assertEquals(List.of(), citus.rows("select slot from citus_migrate.cutover where slot = 'cm_maxlag_test'"), "no cutover asked");
        }
        Run r2 = Run.of(new StringWriter(), "status", file.toString());
        assertTrue(r2.out().contains("behind the source: 40.0 s, 80.0 MB; catch-up at the recent pace: about 40.0 s"), r2.out());
        pg.exec(db, "select pg_drop_replication_slot('cm_maxlag_test')");
    }

    @Test
    void aCutoverWhileTheSourceIsStillWrittenIsRefusedAndAResumeThenLosesNothing() throws Exception {
        OneTable t = oneTable("stillwritten", 20, "cm_still");
        String db = t.db();
        String schema = t.schema();
        Path file = t.file();
        CompletableFuture<Run> migrate = streaming("migrate", file.toString());
        // the application goes on writing: the cutover is run without --stop-writes and nobody stopped them by hand
        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        CompletableFuture<Void> app = CompletableFuture.runAsync(() -> {
            try (Connection c = pg.connect(db); java.sql.Statement st = c.createStatement()) {
                for (int i = 0; writing.get(); i++) {
                    st.execute("update tenant set n = n + 1 where id = " + (i % 20 + 1));
                    Thread.sleep(5);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Run cutover = Run.of(new StringWriter(), "cutover", file.toString());
        assertEquals(1, cutover.code(), cutover.out() + cutover.err());
        assertTrue(cutover.err().contains("cutover given up: the migration refused it"), cutover.err());
        assertTrue(!cutover.out().contains("Point the application at the target"), cutover.out());
        Run first = migrate.get(120, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(1, first.code(), first.out() + first.err());
        assertTrue(first.err().contains("the source was still being written after the cutover's marker") && first.err().contains("none applied")
                && first.err().contains("--resume"), first.err());
        writing.set(false);
        app.get(30, java.util.concurrent.TimeUnit.SECONDS);
        // resumed, then cut over with the writes stopped: every change is there, those after the refused marker too
        CompletableFuture<Run> resumed = streaming("migrate", file.toString(), "--resume");
        Run second = Run.of(new StringWriter(), "cutover", file.toString(), "--stop-writes");
        assertEquals(0, second.code(), second.out() + second.err());
        Run done = resumed.get(120, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(0, done.code(), done.out() + done.err());
        assertEquals(pg.rows(db, "select sum(n)::text from tenant"), citus.rows("select sum(n)::text from " + schema + ".tenant"));
    }

    @Test
    void aSchemaChangeWhoseConnectionIsLostWhileItIsCarriedIsCarriedAgain() throws Exception {
        OneTable t = oneTable("carryagain", 5, "cm_carry_again");
        String db = t.db();
        String schema = t.schema();
        Path file = t.file();
        Background m = Background.streaming(file);
        try (Connection c = citus.connect(); Statement st = c.createStatement()) {
            // the carry waits for this lock (reading the table's columns); its backend is then ended, as a restarted node would end it
            c.setAutoCommit(false);
            st.execute("lock table " + schema + ".tenant in access exclusive mode");
            pg.exec(db, "alter table tenant add column note text default 'added'");
            String holder;
            try (java.sql.ResultSet rs = st.executeQuery("select pg_backend_pid()")) {
                rs.next();
                holder = rs.getString(1);
            }
            String blocked = "select pid, query from pg_stat_activity where " + holder + " = any (pg_blocking_pids(pid))";
            m.await(() -> !citus.rows(blocked).isEmpty());
            assertEquals(List.of("t"), citus.rows("select pg_terminate_backend(pid) from (" + blocked + ") b"));
            c.rollback();
        }
        m.await(() -> m.out().toString().contains("carrying a schema change to the target was rolled back (")
                && m.out().toString().contains("): trying again in 1 s"));
        pg.exec(db, "update tenant set note = 'after' where id = 1");
        String notes = "select string_agg(id || ':' || note, ',' order by id) from " + schema + ".tenant";
        m.await(() -> citus.rows("select count(*) from information_schema.columns where table_schema = '" + schema + "' and column_name = 'note'")
                .equals(List.of("1")) && citus.rows(notes).equals(List.of("1:after,2:added,3:added,4:added,5:added")));
        m.cutOverAndFinish(file);
        assertFalse(m.out().toString().contains("carrying a schema change to the target failed"), m.out().toString());
    }

    @Test
    void aLiveMigrationThatStopsBeforeStreamingLeavesNoSlotBehind() throws Exception {
        String db = pg.createDatabase("orphans");
        pg.exec(db, """
                create table tenant (id int primary key);
                create table item (id int primary key, tenant_id int references tenant);
                insert into tenant values (1);
                insert into item values (1, 1), (2, null);
                """);
        Path file = dir.resolve("orphans.load");
        LoadFile.write(file, pg, db, citus, citus.newSchema("orphans"), "include drop, slot name = 'cm_orphan_test'", "distribute tenant using id");
        Run r = Run.of(new StringWriter(), "migrate", file.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("orphan rows"), r.err());
        assertEquals(List.of(), pg.rows(db, "select slot_name from pg_replication_slots"), "the slot is dropped");
        assertEquals(List.of(), pg.rows(db, "select pubname from pg_publication"), "the publication is dropped");
    }

    @Test
    void aStreamedRowWithNoPathToItsTenantStopsTheMigrationNamingIt() throws Exception {
        String db = pg.createDatabase("unplaced");
        pg.exec(db, """
                create table tenant (id int primary key);
                create table parent (id int primary key, tenant_id int not null references tenant);
                create table child (id int primary key, parent_id int references parent);
                insert into tenant values (1);
                insert into parent values (1, 1);
                insert into child values (1, 1);
                """);
        Path file = dir.resolve("unplaced.load");
        LoadFile.write(file, pg, db, citus, citus.newSchema("unplaced"), "include drop, slot name = 'cm_unplaced'", "distribute tenant using id");
        StringWriter out = new StringWriter();
        Run[] result = new Run[1];
        Thread t = new Thread(() -> result[0] = Run.of(out, "migrate", file.toString()));
        t.start();
        try {
            waitFor(() -> out.toString().contains("streaming changes from slot"), t);
        } catch (AssertionError e) {
            throw new AssertionError(out + "\n" + result[0], e);
        }
        pg.exec(db, "insert into child values (2, null)"); // an orphan written while streaming: no path to a tenant
        t.join(120_000);
        assertEquals(1, result[0].code(), result[0].out() + result[0].err());
        assertTrue(result[0].err().contains("streaming changes failed") && result[0].err().contains("cannot be placed"), result[0].err());
        assertTrue(result[0].err().contains("parent_id is NULL: no path to a tenant"), result[0].err());
        pg.exec(db, "select pg_drop_replication_slot('cm_unplaced')");
    }

    @Test
    void debeziumsOwnSnapshotThenStreamingThenCutover() throws Exception {
        String db = pg.createDatabase("dbzsnap");
        pg.exec(db, """
                create table tenant (id int primary key);
                create table item (id serial primary key, tenant_id int not null references tenant, note text, at timetz, day date);
                insert into tenant select generate_series(1, 4);
                insert into item (tenant_id, note, at, day) select g % 4 + 1, 'n' || g, '10:00+05:30', '0100-01-01 BC' from generate_series(1, 500) g;
                """);
        String schema = citus.newSchema("dbzsnap");
        Path file = dir.resolve("dbzsnap.load");
        LoadFile.write(file, pg, db, citus, schema, "include drop, snapshot method = 'debezium', slot name = 'cm_dbz_test'", "distribute tenant using id");
        StringWriter out = new StringWriter();
        Run[] result = new Run[1];
        Thread t = new Thread(() -> result[0] = Run.of(out, "migrate", file.toString()));
        t.start();
        waitFor(() -> out.toString().contains("streaming changes from slot"), t);
        pg.exec(db, "update item set note = 'later' where id <= 50; delete from item where id > 490");
        Run cutover = Run.of(new StringWriter(), "cutover", file.toString(), "--timeout", "120");
        assertEquals(0, cutover.code(), cutover.out() + cutover.err() + "\nmigrate said:\n" + out);
        t.join(60_000);
        assertEquals(0, result[0].code(), result[0].out() + result[0].err());
        assertVerifies(file);
        assertEquals(List.of("490|50"), citus.rows("select count(*), count(*) filter (where note = 'later') from " + schema + ".item"));
    }

    @Test
    void aSnapshotOnlyLoadThroughDebezium() throws Exception {
        String db = pg.createDatabase("dbzonly");
        pg.exec(db, """
                create table tenant (id int primary key);
                create table item (id serial primary key, tenant_id int not null references tenant, note text);
                insert into tenant select generate_series(1, 3);
                insert into item (tenant_id, note) select g % 3 + 1, 'n' || g from generate_series(1, 300) g;
                """);
        String schema = citus.newSchema("dbzonly");
        Path file = dir.resolve("dbzonly.load");
        LoadFile.write(file, pg, db, citus, schema, "include drop, snapshot only, snapshot method = 'debezium', slot name = 'cm_dbzonly'", "distribute tenant using id");
        Run r = Run.of(new StringWriter(), "migrate", file.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("Bulk load through Debezium's snapshot done on ") && r.out().contains(": 303 rows in "), r.out());
        assertEquals(List.of("300"), citus.rows("select count(*) from " + schema + ".item"));
        assertEquals(List.of("1"), citus.rows("select count(*) from pg_constraint where contype = 'f' and convalidated"
                + " and connamespace = '" + schema + "'::regnamespace"), "the foreign key, after the data");
        assertEquals(List.of(), pg.rows(db, "select slot_name from pg_replication_slots"), "no slot left behind");
    }

    @Test
    void aTruncateOnTheSourceWhileStreamingEmptiesTheTargetTableAndTheRowsAfterItStay() throws Exception {
        String db = pg.createDatabase("trunc");
        pg.exec(db, """
                create table tenant (id int primary key);
                create table item (id serial primary key, tenant_id int not null references tenant, note text);
                create table kind (id serial primary key, name text);
                insert into tenant select generate_series(1, 4);
                insert into item (tenant_id, note) select g % 4 + 1, 'n' || g from generate_series(1, 200) g;
                insert into kind (name) select 'k' || g from generate_series(1, 5) g;
                """);
        String schema = citus.newSchema("trunc");
        Path file = dir.resolve("trunc.load");
        LoadFile.write(file, pg, db, citus, schema, "include drop, slot name = 'cm_trunc'", "distribute tenant using id distribute kind as reference table");
        Background m = Background.streaming(file);
        // in one transaction: rows before the TRUNCATE go with it, rows after it stay
        pg.exec(db, """
                insert into item (tenant_id, note) select 1, 'before' from generate_series(1, 10);
                truncate item;
                insert into item (tenant_id, note) select g % 4 + 1, 'after' || g from generate_series(1, 30) g;
                """);
        pg.exec(db, "truncate kind restart identity; insert into kind (name) values ('only')");
        waitFor(() -> citus.rows("select count(*) from " + schema + ".item").equals(List.of("30"))
                && citus.rows("select name from " + schema + ".kind").equals(List.of("only")), m.thread(), () -> m.out().toString());
        assertEquals(List.of("0"), citus.rows("select count(*) from " + schema + ".item where note !~ '^after'"));
        m.await(() -> m.out().toString().contains("TRUNCATE of public.item on the source: the target table is emptied too"));
        // CASCADE on the source: the referencing table is truncated too, then both are written again
        pg.exec(db, "truncate tenant cascade; insert into tenant values (7); insert into item (tenant_id, note) values (7, 'last')");
        m.cutOverAndFinish(file);
        assertEquals(List.of("7"), citus.rows("select id from " + schema + ".tenant"));
        assertEquals(List.of("7|last"), citus.rows("select tenant_id, note from " + schema + ".item"));
        assertTrue(m.out().toString().contains(" 4 TRUNCATEs carried, "), "the TRUNCATEs are counted: " + m.out());
        assertTrue(m.out().toString().contains("2 distributed, 1 reference"), m.out().toString());
        assertVerifies(file);
    }

    @Test
    void aTruncateOfOnePartitionWhileStreamingEmptiesThatPartitionOnlyAtItsPlace() throws Exception {
        String db = pg.createDatabase("parttrunc");
        pg.exec(db, """
                create table tenant (id int primary key);
                create table event (tenant_id int not null references tenant, id int, day date, note text, primary key (tenant_id, id, day))
                  partition by range (day);
                create table event_2024 partition of event for values from ('2024-01-01') to ('2025-01-01');
                create table event_2025 partition of event for values from ('2025-01-01') to ('2026-01-01');
                insert into tenant select generate_series(1, 3);
                insert into event select g % 3 + 1, g, date '2024-06-01' + (g % 400), 'loaded' from generate_series(1, 300) g;
                """);
        String schema = citus.newSchema("parttrunc");
        Path file = tenantLoadFile(db, schema, "cm_parttrunc");
        Background m = Background.streaming(file);
        assertEquals(List.of("event_2024", "event_2025"), pg.rows(db, "select tgrelid::regclass::text from pg_trigger"
                + " where tgname = 'citus_migrate_truncate_cm_parttrunc' order by 1"));
        // one transaction: a row of each partition, the TRUNCATE of one, then rows of it again
        pg.exec(db, """
                begin;
                insert into event values (1, 1001, '2025-03-01', 'before'), (2, 1002, '2024-03-01', 'other partition, kept');
                truncate event_2025;
                insert into event values (3, 1003, '2025-04-01', 'after');
                commit;
                """);
        m.await(() -> citus.rows("select note from " + schema + ".event where day >= '2025-01-01'").equals(List.of("after")));
        m.await(() -> m.out().toString().contains("TRUNCATE of public.event_2025 on the source: the target table is emptied too"));
        m.cutOverAndFinish(file);
        assertEquals(pg.rows(db, "select count(*) from event_2024"), citus.rows("select count(*) from " + schema + ".event_2024"));
        assertEquals(List.of("1"), citus.rows("select count(*) from " + schema + ".event_2024 where note = 'other partition, kept'"));
        assertEquals(List.of(), pg.rows(db, "select tgname from pg_trigger where tgname like 'citus_migrate%'"
                + " union all select proname from pg_proc where proname like 'citus_migrate%'"), "the triggers and their function are gone");
        assertVerifies(file);
    }

    @Test
    void aCutoverThatCannotFinishGivesTheWritesBackAndOneAfterAKilledCutoverWorks() throws Exception {
        String db = pg.createDatabase("undo");
        pg.exec(db, """
                create table tenant (id int primary key);
                create table item (id serial primary key, tenant_id int not null references tenant, note text);
                insert into tenant select generate_series(1, 3);
                insert into item (tenant_id, note) select g % 3 + 1, 'n' || g from generate_series(1, 100) g;
                """);
        String schema = citus.newSchema("undo");
        Path file = tenantLoadFile(db, schema, "cm_undo");
        Background first = Background.streaming(file);
        first.interrupt(); // the slot stays; nobody reads it
        String insert = "insert into item (tenant_id, note) values (1, 'written after an undone cutover')";

        // no migrate reads the slot: the cutover gives up and gives the writes back
        Run gaveUp = Run.of(new StringWriter(), "cutover", file.toString(), "--stop-writes", "--timeout", "60");
        assertEquals(1, gaveUp.code(), gaveUp.out() + gaveUp.err());
        assertTrue(gaveUp.err().contains("cutover given up and undone: the migration will not act on its marker; writes given back,"
                + " the source is writable again"), gaveUp.err());
        pg.exec(db, insert);

        // SIGTERM while it waits: undone the same way, by its shutdown hook
        Child term = Child.start(dir, null, "cutover", file.toString(), "--stop-writes", "--timeout", "60");
        long until = System.currentTimeMillis() + 60_000;
        while (!term.output().contains("cutover marker written") && term.alive() && System.currentTimeMillis() < until) Thread.sleep(50);
        assertTrue(term.output().contains("cutover marker written"), term.output());
        term.terminate();
        term.exitCode(30);
        assertTrue(term.output().contains("cutover interrupted and undone: the migration will not act on its marker; writes given back"),
                term.output());
        assertTrue(!term.output().contains("the migration refused it"), "its own undo is not the migration's refusal: " + term.output());
        // autovacuum, paused for the foreign keys, is back on too: the hook's JVM runs no finally after it
        assertTrue(term.output().contains("autovacuum paused on 2 target tables"), term.output());
        assertTrue(term.output().contains("autovacuum on again on 2 target tables"), term.output());
        assertEquals(List.of("0"), citus.rows("select count(*) from citus_migrate.autovacuum_paused where slot = 'cm_undo'"));
        assertEquals(List.of(), citus.rows("select relname from pg_class where relnamespace = '" + schema + "'::regnamespace"
                + " and array_to_string(reloptions, ',') like '%autovacuum%'"));
        pg.exec(db, insert);
        assertEquals(List.of("0"), citus.rows("select count(*) from citus_migrate.cutover where slot = 'cm_undo' and done_at is null"),
                "both requests withdrawn");

        // a cutover killed (as kill -9) once the source is read-only: the source stays so, and the next cutover works
        Background resumed = Background.migrate(file.toString(), "--resume");
        resumed.waitUntilStreaming();
        Child killed = Child.start(dir, "cutover.after-stop-writes", "cutover", file.toString(), "--stop-writes", "--timeout", "60");
        assertTrue(killed.exitCode(60) != 0, killed.output());
        assertThrows(IllegalStateException.class, () -> pg.exec(db, insert), "read-only for new sessions");
        Run cutover = Run.of(new StringWriter(), "cutover", file.toString(), "--stop-writes", "--timeout", "120");
        assertEquals(0, cutover.code(), cutover.out() + cutover.err() + "\nmigrate said:\n" + resumed.out());
        resumed.thread().join(60_000);
        assertEquals(0, resumed.result()[0].code(), resumed.result()[0].out() + resumed.result()[0].err());
        assertEquals(List.of("2"), citus.rows("select count(*) from " + schema + ".item where note = 'written after an undone cutover'"));
        assertVerifies(file);
        try (Connection c = pg.connect(db); java.sql.Statement st = c.createStatement()) { // writable for the tests after this one
            st.execute("set default_transaction_read_only = off");
            st.execute("alter database " + db + " reset default_transaction_read_only");
        }
    }

    @Test
    void tablesWithoutAPrimaryKeyStreamUnderReplicaIdentityFullAndGetTheirOwnSettingBack() throws Exception {
        String db = pg.createDatabase("keyless");
        // event_log carries its tenant key, item_log finds it through item, alias is a reference table
        pg.exec(db, """
                create table tenant (id int primary key);
                create table item (id int primary key, tenant_id int not null references tenant);
                create table event_log (tenant_id int not null references tenant, what text, payload text);
                create table item_log (item_id int references item, what text);
                create table alias (code text, alias text);
                alter table item_log replica identity nothing;
                insert into tenant select generate_series(1, 3);
                insert into item values (1, 1), (2, 1), (3, 2);
                insert into event_log (tenant_id, what) values (1, 'dup'), (1, 'dup'), (2, 'x'), (3, null);
                insert into item_log values (1, 'a'), (1, 'a'), (2, 'b'), (3, 'c');
                insert into alias values ('de', 'germany'), ('de', 'germany'), ('fr', 'france');
                """);
        Path file = tenantLoadFile(db, citus.newSchema("keyless"), "cm_keyless");
        Run plan = Run.of(new StringWriter(), "plan", file.toString());
        assertTrue(plan.out().contains("REPLICA IDENTITY FULL"), plan.out());
        Background migrate = Background.streaming(file);
        assertEquals(List.of("alias f", "event_log f", "item d", "item_log f", "tenant d"),
                pg.rows(db, "select relname || ' ' || relreplident::text from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace order by 1"),
                migrate.out()::toString);
        String big = "repeat(md5(random()::text), 200)"; // stored out of line: an update that keeps it leaves it out of the event
        pg.exec(db, """
                delete from event_log where ctid = (select ctid from event_log where what = 'dup' limit 1);
                update event_log set what = 'y' where what = 'x';
                update event_log set what = 'was null' where what is null;
                insert into event_log (tenant_id, what, payload) values (2, 'big', %s);
                """.formatted(big));
        pg.exec(db, """
                update event_log set what = 'big, kept' where what = 'big';
                begin; insert into event_log values (3, 'gone at once'); delete from event_log where what = 'gone at once'; commit;
                update item set tenant_id = 3 where id = 1;
                update item_log set what = 'after its item moved' where item_id = 1 and ctid = (select min(ctid) from item_log where item_id = 1);
                begin; delete from item_log where item_id = 2; delete from item where id = 2; commit;
                update alias set alias = 'deutschland' where ctid = (select ctid from alias where code = 'de' limit 1);
                delete from alias where code = 'fr';
                """);
        migrate.cutOverAndFinish(file);
        assertEquals(List.of("alias d", "event_log d", "item d", "item_log n", "tenant d"),
                pg.rows(db, "select relname || ' ' || relreplident::text from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace order by 1"),
                "each table's own replica identity is back after the cutover");
        assertVerifies(file);
        String schema = citus.rows("select nspname from pg_namespace where nspname like '%keyless%'").get(0);
        assertEquals(List.of("1 dup", "2 y", "2 big, kept", "3 was null"),
                citus.rows("select tenant_id || ' ' || what from " + schema + ".event_log order by tenant_id, length(what)"));
        assertEquals(pg.rows(db, "select md5(payload) from event_log where what = 'big, kept'"),
                citus.rows("select md5(payload) from " + schema + ".event_log where what = 'big, kept'"));
        assertEquals(List.of("3 1 a", "3 1 after its item moved", "2 3 c"),
                citus.rows("select tenant_id || ' ' || item_id || ' ' || what from " + schema + ".item_log order by item_id, what"));
        assertEquals(List.of("de deutschland", "de germany"), citus.rows("select code || ' ' || alias from " + schema + ".alias order by 1"));
        assertEquals(List.of(), pg.rows(db, "select pubname from pg_publication union all select slot_name from pg_replication_slots where database = current_database()"));
        pg.exec(db, "update event_log set what = 'still writable' where tenant_id = 1; delete from alias");
    }

    @Test
    void aTableWithoutAPrimaryKeyThatOthersTakeTheirTenantFromStopsTheLiveMigrationBeforeTheSourceIsTouched() throws Exception {
        String db = pg.createDatabase("keylessparent");
        pg.exec(db, """
                create table tenant (id int primary key);
                create table grp (code int unique, tenant_id int references tenant);
                create table member (id int primary key, grp_code int references grp (code));
                insert into tenant values (1); insert into grp values (10, 1); insert into member values (1, 10);
                """);
        Path file = tenantLoadFile(db, citus.newSchema("keylessparent"), "cm_keylessparent");
        Run r = Run.of(new StringWriter(), "migrate", file.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("cannot stream these tables without a primary key") && r.err().contains("public.grp: other tables take"
                + " their tenant key from it"), r.err());
        assertEquals(List.of(), pg.rows(db, "select pubname from pg_publication union all select slot_name from pg_replication_slots where database = current_database()"),
                "no publication, no slot");
        assertEquals(List.of("d"), pg.rows(db, "select relreplident::text from pg_class where relname = 'grp'"));
    }

    @Test
    void theStreamGoesOnThroughADroppedConnectionAndRestartedNodesWithoutExiting() throws Exception {
        String db = pg.createDatabase("faults");
        pg.exec(db, """
                create table tenant (id int primary key);
                create table item (id serial primary key, tenant_id int not null references tenant, note text);
                insert into tenant select generate_series(1, 4);
                insert into item (tenant_id, note) select g % 4 + 1, 'before' from generate_series(1, 100) g;
                """);
        String schema = citus.newSchema("faults");
        Path file = tenantLoadFile(db, schema, "cm_faults");
        Background migrate = Background.streaming(file);
        int expected = 100;
        // the sink's sessions ended under it, as a failover or a network cut would
        pg.exec(db, "insert into item (tenant_id, note) select g % 4 + 1, 'streamed' from generate_series(1, 10) g");
        expected = waitForRows(schema, expected + 10, migrate);
        try (Connection c = citus.connect(); java.sql.Statement st = c.createStatement()) {
            st.execute("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'citus-sink'");
        }
        pg.exec(db, "insert into item (tenant_id, note) select g % 4 + 1, 'after a dropped connection' from generate_series(1, 10) g");
        expected = waitForRows(schema, expected + 10, migrate);
        assertTrue(migrate.out().toString().contains("a connection was lost ("), migrate.out().toString());
        String[] nodes = {"the coordinator", "a worker"};
        for (int node : new int[] {1, 0}) {
            if (!citus.restartNode(node)) {
                System.out.println("[skipped] restarting " + nodes[Math.min(node, 1)] + ": the target is not a Citus cluster this suite started ("
                        + citus.description() + ")");
                continue;
            }
            pg.exec(db, "insert into item (tenant_id, note) select g % 4 + 1, 'after a restart of node " + node + "' from generate_series(1, 10) g;"
                    + " update item set note = 'updated after a restart' where id % 10 = " + node);
            expected = waitForRows(schema, expected + 10, migrate);
        }
        migrate.cutOverAndFinish(file);
        assertTrue(migrate.out().toString().contains("the target answers again"), migrate.out().toString());
        assertVerifies(file);
        assertTrue(!migrate.result()[0].err().contains("Exception") && !migrate.result()[0].err().contains("\tat "), migrate.result()[0].err());
    }

    @Test
    void aSlotTheSourceInvalidatedIsNamedByStatusAndStopsTheResumeSayingHowToStartOver() throws Exception {
        String db = pg.createDatabase("lostslot");
        pg.exec(db, "create table tenant (id int primary key); insert into tenant select generate_series(1, 3)");
        Path file = tenantLoadFile(db, citus.newSchema("lostslot"), "cm_lostslot");
        Background migrate = Background.streaming(file);
        migrate.interrupt();
        Run healthy = Run.of(new StringWriter(), "status", file.toString());
        assertTrue(healthy.out().contains("of WAL on the source (max_slot_wal_keep_size: no limit"), healthy.out());
        try {
            pg.exec(db, "alter system set max_slot_wal_keep_size = '1MB'");
            pg.exec(db, "select pg_reload_conf()");
            String filler = pg.createDatabase("walfiller"); // the WAL is the server's: another database fills it
            pg.exec(filler, "create table junk (v text)");
            // WAL past the limit while nothing reads the slot: the next checkpoint invalidates it
            for (int i = 0; i < 10 && !pg.rows(db, "select wal_status from pg_replication_slots where slot_name = 'cm_lostslot'").equals(List.of("lost")); i++) {
                pg.exec(filler, "insert into junk select repeat('x', 200) from generate_series(1, 100000); truncate junk");
                pg.exec(filler, "select pg_switch_wal()");
                pg.exec(filler, "checkpoint");
            }
            assertEquals(List.of("lost"), pg.rows(db, "select wal_status from pg_replication_slots where slot_name = 'cm_lostslot'"));
            Run status = Run.of(new StringWriter(), "status", file.toString());
            assertTrue(status.out().contains("the source invalidated the replication slot"), status.out());
            Run resume = Run.of(new StringWriter(), "migrate", file.toString(), "--resume");
            assertEquals(1, resume.code(), resume.out() + resume.err());
            assertTrue(resume.err().contains("the source invalidated the replication slot") && resume.err().contains("`citus-migrate cleanup "),
                    resume.err());
            assertTrue(!resume.err().contains("--resume`"), "a lost slot is not resumed: " + resume.err());
        } finally {
            pg.exec(db, "alter system reset max_slot_wal_keep_size");
            pg.exec(db, "select pg_reload_conf()");
            Run.of(new StringWriter(), "cleanup", file.toString());
        }
    }

    /** Waits until the target's item table has {@code n} rows (the stream applied them); returns n. */
    private static int waitForRows(String schema, int n, Background migrate) throws Exception {
        migrate.await(() -> citus.rows("select count(*) from " + schema + ".item").equals(List.of(String.valueOf(n))));
        return n;
    }

    @Test
    void columnChangesOnTheSourceWhileStreamingReachTheTargetInTheirPlace() throws Exception {
        String db = pg.createDatabase("ddl");
        pg.exec(db, """
                create table tenant (id int primary key);
                create table item (id serial primary key, tenant_id int not null references tenant, note text, image_url text);
                insert into tenant select generate_series(1, 3);
                insert into item (tenant_id, note, image_url) select g % 3 + 1, 'n' || g, 'u' || g from generate_series(1, 60) g;
                """);
        String schema = citus.newSchema("ddl");
        Path file = tenantLoadFile(db, schema, "cm_ddl");
        Background m = Background.streaming(file);
        // in one transaction: rows before the new column, the column with a default, rows using it
        pg.exec(db, """
                begin;
                update item set note = 'before the column' where id = 1;
                alter table item add column label text default 'n0' not null;
                update item set label = 'set after' where id <= 10;
                insert into item (tenant_id, note) values (2, 'new row');
                commit;
                """);
        pg.exec(db, "alter table item drop column image_url; update item set note = 'after the drop' where id = 20");
        pg.exec(db, "alter table item alter column note set default 'noted'; insert into item (tenant_id) values (3)");
        m.await(() -> citus.rows("select note from " + schema + ".item where tenant_id = 3 and id > 60").equals(List.of("noted")));
        assertTrue(m.out().toString().contains("schema change carried to " + schema + ".item: ADD COLUMN label text DEFAULT 'n0'::text NOT NULL"),
                m.out().toString());
        m.cutOverAndFinish(file);
        assertEquals(List.of("id", "label", "note", "tenant_id"), citus.rows("select column_name from information_schema.columns"
                + " where table_schema = '" + schema + "' and table_name = 'item' order by 1"));
        String rows = "select id || ':' || note || ':' || label from %sitem order by id";
        assertEquals(pg.rows(db, rows.formatted("")), citus.rows(rows.formatted(schema + ".")), "every row with the new column's values");
        assertVerifies(file);
        assertEquals(List.of(), pg.rows(db, "select evtname from pg_event_trigger"), "the event triggers go with the publication");
    }

    @Test
    void columnsAddedWithAnEvaluatedDefaultGeneratedIdentitySerialOrPerRowDefaultHoldTheSourcesValues() throws Exception {
        String db = pg.createDatabase("ddlval");
        pg.exec(db, TENANT_AND_ITEMS + """
                create table note (line text);
                insert into note values ('a'), ('b');
                """);
        String schema = citus.newSchema("ddlval");
        Path file = tenantLoadFile(db, schema, "cm_ddlval");
        Background m = Background.streaming(file);
        pg.exec(db, """
                alter table item add column created timestamptz not null default now();
                alter table item add column doubled int generated always as (id * 2) stored;
                select pg_sleep(1.1);
                update item set note = 'after' where id <= 3;
                insert into item (tenant_id, note) values (1, 'new');
                """);
        m.await(() -> citus.rows("select count(*) from " + schema + ".item").equals(List.of("31")));
        String said = m.out().toString();
        assertTrue(said.contains("ADD COLUMN created timestamp with time zone DEFAULT '") && said.contains("ALTER COLUMN created SET DEFAULT now()"), said);
        assertTrue(said.contains("ADD COLUMN doubled integer GENERATED ALWAYS AS ((id * 2)) STORED"), said);
        String rows = "select md5(string_agg(x::text, ',' order by x::text)) from (select id, note, created, doubled%s from %sitem) x";
        assertEquals(pg.rows(db, rows.formatted("", "")), citus.rows(rows.formatted("", schema + ".")),
                "the rows that were there hold the time the source gave them, not the target's own now()");
        // each existing row gets its own value, which no row change carries: read from the source by the primary key
        pg.exec(db, """
                alter table item add column token float8 default random();
                alter table item add column seq_no bigint generated always as identity;
                alter table item add column ser serial;
                update item set note = 'later' where id in (4, 5);
                delete from item where id = 6;
                insert into item (tenant_id, note) values (2, 'after identity');
                """);
        m.await(() -> citus.rows("select count(*) from " + schema + ".item where note = 'after identity'").equals(List.of("1")));
        said = m.out().toString();
        assertTrue(said.contains("ADD COLUMN token double precision; token filled from the source (31 values)"), said);
        assertTrue(said.contains("ADD COLUMN seq_no bigint; seq_no filled from the source (31 values); an identity column there"), said);
        assertTrue(said.contains("ADD COLUMN ser integer; ser filled from the source (31 values)"), said);
        String withNew = ", token, seq_no, ser";
        assertEquals(pg.rows(db, rows.formatted(withNew, "")), citus.rows(rows.formatted(withNew, schema + ".")),
                "every row holds the values the source evaluated for it");
        // without a primary key the rows cannot be told apart on the source: refused, naming it
        pg.exec(db, "alter table note add column token float8 default random()");
        m.thread().join(60_000);
        Run r = m.result()[0];
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("column token has a default (random()) the source evaluated for each row: the values it gave the existing"
                + " rows do not pass through the WAL, and without a primary key"), r.err());
        pg.exec(db, "alter table note drop column token; insert into item (tenant_id, note) values (2, 'settled')");
        Background resumed = Background.migrate(file.toString(), "--resume");
        resumed.await(() -> citus.rows("select count(*) from " + schema + ".item where note = 'settled'").equals(List.of("1")));
        resumed.cutOverAndFinish(file);
        assertEquals(pg.rows(db, rows.formatted(withNew, "")), citus.rows(rows.formatted(withNew, schema + ".")));
        assertVerifies(file);
        // the cutover set the sequences: the application's next rows do not collide with the source's
        assertEquals(pg.rows(db, "select max(seq_no) + 1, max(ser) + 1 from item"),
                citus.rows("insert into " + schema + ".item (tenant_id, note) values (1, 'on target') returning seq_no, ser"));
    }

    @Test
    void indexesAndColumnRenamesOnTheSourceWhileStreamingReachTheTarget() throws Exception {
        String db = pg.createDatabase("ddlidx");
        pg.exec(db, """
                create table tenant (id int primary key);
                create table item (id serial primary key, tenant_id int not null references tenant, note text, code text);
                insert into tenant select generate_series(1, 3);
                insert into item (tenant_id, note, code) select g % 3 + 1, 'n' || g, 'c' || g from generate_series(1, 30) g;
                """);
        String schema = citus.newSchema("ddlidx");
        Path file = tenantLoadFile(db, schema, "cm_ddlidx");
        Background m = Background.streaming(file);
        pg.exec(db, """
                create unique index item_code on item (code);
                create index item_note_lower on item (lower(note)) where note is not null;
                create index item_gone on item (note);
                drop index item_gone;
                alter table item rename column note to body;
                update item set body = 'renamed ' || id where id <= 5;
                alter table item add column extra int default 7;
                alter table item drop column extra;
                alter table item add constraint code_short check (length(code) < 50);
                alter table item alter column code type varchar(60);
                alter table item enable row level security;
                insert into item (tenant_id, body, code) values (2, 'after', 'c-after');
                """);
        // the column is called body on the target only once the rename is carried
        m.await(() -> citus.rows("select count(*) from information_schema.columns where table_schema = '" + schema + "'"
                        + " and table_name = 'item' and column_name = 'body'").equals(List.of("1"))
                        && citus.rows("select body from " + schema + ".item where code = 'c-after'").equals(List.of("after")));
        String said = m.out().toString();
        assertTrue(said.contains("schema change carried to " + schema + ".item: index item_code created (unique per tenant: tenant_id is its first key)"), said);
        assertTrue(said.contains("schema change carried: index " + schema + ".item_gone dropped"), said);
        assertTrue(said.contains("schema change carried to " + schema + ".item: RENAME COLUMN note TO body"), said);
        m.cutOverAndFinish(file);
        String indexes = "select indexname || ': ' || regexp_replace(indexdef, '.* USING ', '') from pg_indexes where schemaname = '%s'"
                + " and tablename = 'item' and indexname not like '%%pkey' order by 1";
        assertEquals(List.of("item_code: btree (tenant_id, code)", "item_note_lower: btree (lower(body)) WHERE (body IS NOT NULL)"),
                citus.rows(indexes.formatted(schema)));
        assertEquals(List.of("body text", "code character varying(60)", "id integer", "tenant_id integer"), citus.rows("select column_name || ' '"
                + " || format_type(atttypid, atttypmod) from information_schema.columns c join pg_attribute a on a.attrelid = '" + schema
                + ".item'::regclass and a.attname = c.column_name where table_schema = '" + schema + "' and table_name = 'item' order by 1"));
        assertTrue(m.out().toString().contains("ALTER COLUMN code TYPE character varying(60) USING code::character varying(60)"), m.out().toString());
        String checks = "select conname || ': ' || pg_get_constraintdef(oid) from pg_constraint where conrelid = '%sitem'::regclass and contype = 'c'";
        assertEquals(List.of("code_short: CHECK ((length((code)::text) < 50))"), pg.rows(db, checks.formatted("")));
        assertEquals(pg.rows(db, checks.formatted("")), citus.rows(checks.formatted(schema + ".")));
        assertEquals(List.of("t"), citus.rows("select relrowsecurity from pg_class where oid = '" + schema + ".item'::regclass"),
                "row-level security switched on as on the source");
        String rows = "select id || ':' || body || ':' || code from %sitem order by id";
        assertEquals(pg.rows(db, rows.formatted("")), citus.rows(rows.formatted(schema + ".")), "every row under the renamed column");
        assertVerifies(file);
    }

    @Test
    void aTableCreatedOnTheSourceWhileStreamingIsPlannedCreatedAndStreamedAndAResumeGoesOnWithIt() throws Exception {
        String db = pg.createDatabase("ddlnew");
        pg.exec(db, TENANT_AND_ITEMS);
        String schema = citus.newSchema("ddlnew");
        Path file = tenantLoadFile(db, schema, "cm_ddlnew");
        Background m = Background.streaming(file);
        // the new table and its first rows in one transaction: none of them may be missed
        pg.exec(db, """
                begin;
                create table item_note (id serial primary key, item_id int not null references item, body text);
                insert into item_note (item_id, body) select g, 'first ' || g from generate_series(1, 20) g;
                commit;
                update item_note set body = 'changed' where id <= 5;
                delete from item_note where id = 6;
                """);
        m.await(() -> m.out().toString().contains("new table carried to the target: " + schema + ".item_note, distributed by tenant_id (added,"
                + " back-filled)"));
        m.await(() -> citus.rows("select count(*) from " + schema + ".item_note").equals(List.of("19")));
        // interrupted: the rerun goes on with the plan the stream carried, the command file being the same
        Run stopped = m.interrupt();
        assertEquals(1, stopped.code(), stopped.out() + stopped.err());
        pg.exec(db, "insert into item_note (item_id, body) values (2, 'while nothing streamed')");
        Background resumed = Background.migrate(file.toString(), "--resume");
        resumed.waitUntilStreaming();
        resumed.cutOverAndFinish(file);
        String rows = "select n.id || ':' || n.item_id || ':' || n.body from %1$sitem_note n order by n.id";
        assertEquals(pg.rows(db, rows.formatted("")), citus.rows(rows.formatted(schema + ".")), "every row of the new table");
        assertEquals(List.of("20"), citus.rows("select count(*) from " + schema + ".item_note n join " + schema + ".item i on i.id = n.item_id"
                + " and i.tenant_id = n.tenant_id"), "each row's tenant key is its item's");
        assertEquals(List.of("1"), citus.rows("select count(*) from pg_constraint where conrelid = '" + schema + ".item_note'::regclass and contype = 'f'"),
                "its foreign key, extended with the tenant key, added at the cutover");
        assertEquals(pg.rows(db, "select last_value from item_note_id_seq"), citus.rows("select last_value from " + schema + ".item_note_id_seq"),
                "its sequence set at the cutover");
        assertVerifies(file);
        assertEquals(List.of(), pg.rows(db, "select slot_name from pg_replication_slots where database = current_database()"));
    }

    @Test
    void tablesTheApplicationsOwnRoleCreatesWhileStreamingWithAndWithoutAPrimaryKeyAreCarriedAndItsWritesNeverFail() throws Exception {
        String db = pg.createDatabase("ddlapp");
        pg.exec(db, TENANT_AND_ITEMS + """
                do $$ begin if not exists (select from pg_roles where rolname = 'cm_application') then create role cm_application login; end if; end $$;
                grant create, usage on schema public to cm_application;
                grant all on all tables in schema public to cm_application;
                """);
        String schema = citus.newSchema("ddlapp");
        try (Connection c = citus.connect(); Statement st = c.createStatement()) { // the application's role on the target too, as a user makes it
            st.execute("do $$ begin if not exists (select from pg_roles where rolname = 'cm_application') then create role cm_application login; end if; end $$");
        }
        Path file = tenantLoadFile(db, schema, "cm_ddlapp");
        if (Integer.parseInt(pg.rows(db, "show server_version_num").get(0)) >= 170000) {
            // GRANT ALL on PostgreSQL 17 includes MAINTAIN, which a PostgreSQL 15 target refuses: named before anything is written
            Run plan = Run.of(new StringWriter(), "plan", file.toString());
            assertTrue((plan.out() + plan.err()).contains("MAINTAIN on table " + schema + ".item to cm_application"), plan.out() + plan.err());
            pg.exec(db, "revoke maintain on all tables in schema public from cm_application");
        }
        Background m = Background.streaming(file);
        // the application's role owns neither the publication nor the capture: its statements must not fail for them
        try (Connection app = java.sql.DriverManager.getConnection("jdbc:postgresql://localhost:" + pg.port() + "/" + db, "cm_application", "");
             Statement st = app.createStatement()) {
            st.execute("create table item_tag (id serial primary key, item_id int not null references item, tag text)");
            st.execute("insert into item_tag (item_id, tag) select g, 't' || g from generate_series(1, 12) g");
            st.execute("create table item_log (item_id int not null references item, line text)");
            st.execute("insert into item_log select g % 30 + 1, 'first' from generate_series(1, 40) g");
            st.execute("insert into item_log values (5, 'twice'), (5, 'twice')");
            st.execute("update item_log set line = 'updated' where item_id % 4 = 0");
            st.execute("delete from item_log where ctid = (select min(ctid) from item_log where line = 'twice')");
            st.execute("delete from item_log where item_id % 7 = 0");
        }
        m.await(() -> m.out().toString().contains("new table carried to the target: " + schema + ".item_log, distributed by tenant_id (added,"));
        m.await(() -> citus.rows("select count(*) from " + schema + ".item_log").equals(pg.rows(db, "select count(*) from item_log")));
        assertEquals(List.of("f"), pg.rows(db, "select relreplident::text from pg_class where oid = 'item_log'::regclass"),
                "while streaming, under REPLICA IDENTITY FULL");
        m.cutOverAndFinish(file);
        for (String table : List.of("item_tag", "item_log")) {
            String rows = "select string_agg(x::text, ',' order by x::text) from (select * from %s) x";
            String cols = String.join(", ", pg.rows(db, "select quote_ident(attname) from pg_attribute where attrelid = '" + table
                    + "'::regclass and attnum > 0 and not attisdropped order by attnum"));
            rows = rows.replace("select *", "select " + cols);
            assertEquals(pg.rows(db, rows.formatted(table)), citus.rows(rows.formatted(schema + "." + table)), "every row of " + table);
        }
        assertEquals(List.of("d"), pg.rows(db, "select relreplident::text from pg_class where oid = 'item_log'::regclass"),
                "the table's own replica identity back after the cutover");
        assertVerifies(file);
    }

    @Test
    void aGrantWhileStreamingOfAPrivilegeTheTargetLacksStopsTheStreamNamingItAndAResumeGoesOnOnceRevoked() throws Exception {
        String db = pg.createDatabase("ddlmaint");
        org.junit.jupiter.api.Assumptions.assumeTrue(Integer.parseInt(pg.rows(db, "show server_version_num").get(0)) >= 170000
                && Integer.parseInt(citus.rows("show server_version_num").get(0)) < 170000, "[skipped] needs a source on PostgreSQL 17 or"
                + " later and a target before 17 (MAINTAIN)");
        pg.exec(db, """
                create table tenant (id int primary key);
                create table item (id serial primary key, tenant_id int not null references tenant, note text);
                insert into tenant select generate_series(1, 3);
                do $$ begin if not exists (select from pg_roles where rolname = 'cm_granted') then create role cm_granted; end if; end $$;
                """);
        try (Connection c = citus.connect(); Statement st = c.createStatement()) {
            st.execute("do $$ begin if not exists (select from pg_roles where rolname = 'cm_granted') then create role cm_granted; end if; end $$");
        }
        String schema = citus.newSchema("ddlmaint");
        Path file = tenantLoadFile(db, schema, "cm_ddlmaint");
        Background m = Background.streaming(file);
        pg.exec(db, "grant all on item to cm_granted; insert into item (tenant_id, note) values (1, 'after the grant')");
        m.thread().join(60_000);
        Run r = m.result()[0];
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("MAINTAIN on table " + schema + ".item to cm_granted: the target's PostgreSQL (15) has no such privilege")
                && r.err().contains("--resume"), r.err());
        assertEquals(List.of("0"), citus.rows("select count(*) from " + schema + ".item"), "nothing after the grant was applied");
        pg.exec(db, "revoke maintain on item from cm_granted");
        Background resumed = Background.migrate(file.toString(), "--resume");
        resumed.await(() -> citus.rows("select note from " + schema + ".item").equals(List.of("after the grant")));
        resumed.cutOverAndFinish(file);
        assertEquals(List.of("true"), citus.rows("select has_table_privilege('cm_granted', '" + schema + ".item', 'UPDATE')::text"),
                "the rest of the grant is the target's");
        assertVerifies(file);
    }

    @Test
    void aTableDroppedOnTheSourceWhileStreamingIsDroppedOnTheTargetAndTheCutoverGoesOnWithoutIt() throws Exception {
        String db = pg.createDatabase("ddldrop");
        pg.exec(db, TENANT_ITEMS_AND_LOG);
        String schema = citus.newSchema("ddldrop");
        Path file = tenantLoadFile(db, schema, "cm_ddldrop");
        Background m = Background.streaming(file);
        pg.exec(db, """
                insert into item_log (item_id, line) values (1, 'before the drop');
                drop table item_log;
                insert into item (tenant_id, note) values (2, 'after the drop');
                """);
        m.await(() -> citus.rows("select note from " + schema + ".item where note = 'after the drop'").equals(List.of("after the drop")));
        assertTrue(m.out().toString().contains("table dropped on the target as on the source: " + schema + ".item_log"), m.out().toString());
        assertEquals(List.of("t"), citus.rows("select to_regclass('" + schema + ".item_log') is null"), "the table is gone from the target");
        m.cutOverAndFinish(file);
        Run verify = assertVerifies(file);
        assertFalse(verify.out().contains("item_log"), verify.out());
    }

    @Test
    void keysANewPartitionAndATableRenamedOnTheSourceWhileStreamingReachTheTargetByThePlan() throws Exception {
        String db = pg.createDatabase("ddlkeys");
        pg.exec(db, """
                create table tenant (id int primary key);
                create table item (id serial primary key, tenant_id int not null references tenant, note text, code text,
                  constraint item_code_key unique (code));
                create table item_link (id serial primary key, tenant_id int not null references tenant, other_id int);
                create table item_log (id serial primary key, item_id int not null references item, line text);
                create table event (tenant_id int not null references tenant, id int, at date not null, primary key (tenant_id, id, at))
                  partition by range (at);
                create table event_2025 partition of event for values from ('2025-01-01') to ('2026-01-01');
                insert into tenant select generate_series(1, 3);
                insert into item (tenant_id, note, code) select g % 3 + 1, 'n' || g, 'c' || g from generate_series(1, 30) g;
                insert into item_link (tenant_id, other_id) select g % 3 + 1, g from generate_series(1, 10) g;
                insert into item_log (item_id, line) select g, 'l' || g from generate_series(1, 10) g;
                insert into event select g % 3 + 1, g, date '2025-06-01' from generate_series(1, 10) g;
                """);
        String schema = citus.newSchema("ddlkeys");
        Path file = tenantLoadFile(db, schema, "cm_ddlkeys");
        Background m = Background.streaming(file);
        pg.exec(db, """
                alter table item add constraint item_note_key unique (note);
                alter table item drop constraint item_code_key;
                alter table item_link add constraint item_link_other_fkey foreign key (other_id) references item;
                insert into item_link (tenant_id, other_id) values (3, 11);
                create table event_2026 partition of event for values from ('2026-01-01') to ('2027-01-01');
                insert into event select g % 3 + 1, g, date '2026-03-01' from generate_series(1, 10) g;
                alter table item_log rename to item_history;
                insert into item_history (item_id, line) values (1, 'after the rename');
                update item_history set line = 'changed' where id <= 3;
                insert into item (tenant_id, note, code) values (2, 'after', 'c-after');
                """);
        waitFor(() -> citus.rows("select note from " + schema + ".item where code = 'c-after'").equals(List.of("after")), m.thread(),
                () -> m.out() + (m.result()[0] == null ? "" : m.result()[0].err()));
        String said = m.out().toString();
        assertTrue(said.contains("schema change carried to " + schema + ".item_history: RENAME TO item_history"), said);
        assertTrue(said.contains("new partition carried to the target: " + schema + ".event_2026, a partition of " + schema + ".event"), said);
        String keys = "select conname || ': ' || pg_get_constraintdef(oid) from pg_constraint where conrelid = '%sitem'::regclass"
                + " and contype = 'u' order by 1";
        assertEquals(List.of("item_note_key: UNIQUE (note)"), pg.rows(db, keys.formatted("")));
        List<String> onTarget = citus.rows(keys.formatted(schema + "."));
        assertEquals(1, onTarget.size(), onTarget.toString());
        assertTrue(onTarget.get(0).startsWith("item_note_key: UNIQUE (") && onTarget.get(0).contains("tenant_id") && onTarget.get(0).contains("note"),
                "unique per tenant, by the plan's rules: " + onTarget);
        m.cutOverAndFinish(file);
        assertEquals(List.of("FOREIGN KEY (tenant_id, other_id) REFERENCES " + schema + ".item(tenant_id, id)"), citus.rows("select"
                + " pg_get_constraintdef(oid) from pg_constraint where conname = 'item_link_other_fkey' and conrelid = '" + schema
                + ".item_link'::regclass"), "the foreign key added while streaming, extended with the tenant key at the cutover");
        assertEquals(List.of("t"), citus.rows("select to_regclass('" + schema + ".item_log') is null"));
        assertEquals(List.of(schema + ".event_2026"), citus.rows("select c.oid::regclass::text from pg_inherits i join pg_class c on c.oid = i.inhrelid"
                + " where i.inhparent = '" + schema + ".event'::regclass and c.relname = 'event_2026'"));
        for (String table : List.of("item_history", "event", "item_link", "item")) {
            String rows = "select md5(string_agg(t::text, ',' order by t::text)) from (select %1$s from %2$s" + table + " x) t";
            String cols = String.join(", ", pg.rows(db, "select 'x.' || quote_ident(column_name) from information_schema.columns"
                    + " where table_schema = 'public' and table_name = '" + table + "' order by ordinal_position"));
            assertEquals(pg.rows(db, rows.formatted(cols, "")), citus.rows(rows.formatted(cols, schema + ".")), "every row of " + table);
        }
        assertVerifies(file);
        assertEquals(List.of(), pg.rows(db, "select slot_name from pg_replication_slots where database = current_database()"));
    }

    @Test
    void aForeignKeyThatWouldChangeHowTheTableIsPlannedStopsTheStreamNamingWhyAndAResumeGoesOnOnceItIsUndone() throws Exception {
        String db = pg.createDatabase("ddlfk");
        pg.exec(db, """
                create table tenant (id int primary key);
                create table item (id serial primary key, tenant_id int not null references tenant, note text);
                create table kind (id int primary key, label text, item_id int);
                insert into tenant select generate_series(1, 3);
                insert into kind values (1, 'a', null);
                """);
        String schema = citus.newSchema("ddlfk");
        Path file = tenantLoadFile(db, schema, "cm_ddlfk");
        Background m = Background.streaming(file);
        // kind is a reference table: a foreign key from it to a distributed table would make it distributed, or be refused by Citus
        pg.exec(db, "insert into item (tenant_id, note) values (1, 'before'); alter table kind add constraint kind_item_fkey foreign key (item_id)"
                + " references item; insert into item (tenant_id, note) values (1, 'after')");
        m.thread().join(60_000);
        Run r = m.result()[0];
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("a schema change on the source that this version does not carry while streaming: ALTER TABLE")
                && r.err().contains("add constraint kind_item_fkey foreign key (item_id) references item")
                && r.err().contains("the plan would make " + schema + ".kind distributed"), r.err());
        assertEquals(List.of("before"), citus.rows("select note from " + schema + ".item"), "nothing after it was applied");
        assertTrue(r.err().contains("Undo it on the source") && r.err().contains("migrate " + file + " --resume"), r.err());
        // settled by the user: the foreign key dropped again, then the run goes on from where it stopped
        pg.exec(db, "alter table kind drop constraint kind_item_fkey; insert into item (tenant_id, note) values (2, 'settled')");
        Background resumed = Background.migrate(file.toString(), "--resume");
        resumed.await(() -> citus.rows("select note from " + schema + ".item order by id").equals(List.of("before", "after", "settled")));
        // a column change the stream cannot carry (the tenant key's type), undone: the table is taken as the source has it then
        pg.exec(db, "alter table item alter column tenant_id type bigint");
        resumed.thread().join(60_000);
        assertEquals(1, resumed.result()[0].code(), resumed.out() + resumed.result()[0].err());
        assertTrue(resumed.result()[0].err().contains("column tenant_id changed type (integer to bigint): it is the tenant key"),
                resumed.result()[0].err());
        pg.exec(db, "alter table item alter column tenant_id type int; insert into item (tenant_id, note) values (3, 'unseq')");
        Background again = Background.migrate(file.toString(), "--resume");
        again.await(() -> citus.rows("select note from " + schema + ".item where note = 'unseq'").equals(List.of("unseq")));
        assertTrue(again.out().toString().contains("was undone on the source since; the table was carried as the source has it now"),
                again.out().toString());
        again.cutOverAndFinish(file);
        assertEquals(List.of("0"), citus.rows("select count(*) from pg_constraint where conname = 'kind_item_fkey'"));
        assertVerifies(file);
    }

    @Test
    void aTableRenamedThatOthersLeadThroughIsCarriedAndTheyFindTheirTenantThroughItUnderItsNewName() throws Exception {
        String db = pg.createDatabase("ddlren");
        pg.exec(db, TENANT_ITEMS_AND_LOG);
        String schema = citus.newSchema("ddlren");
        Path file = tenantLoadFile(db, schema, "cm_ddlren");
        Background m = Background.streaming(file);
        pg.exec(db, """
                alter table item rename to article;
                insert into item_log (item_id, line) values (1, 'renamed');
                insert into article (tenant_id, note) values (2, 'new article');
                insert into item_log (item_id, line) select max(id), 'of the new one' from article;
                update item_log set line = 'moved' where id = 2;
                """);
        m.await(() -> citus.rows("select line from " + schema + ".item_log where id > 30 order by id").equals(List.of("renamed", "of the new one")));
        assertTrue(m.out().toString().contains("schema change carried to " + schema + ".article: RENAME TO article"), m.out().toString());
        m.cutOverAndFinish(file);
        String rows = "select md5(string_agg(x::text, ',' order by x::text)) from (select %s from %s%s x) x";
        assertEquals(pg.rows(db, rows.formatted("x.id, x.item_id, x.line", "", "item_log")),
                citus.rows(rows.formatted("x.id, x.item_id, x.line", schema + ".", "item_log")));
        assertEquals(pg.rows(db, "select a.tenant_id || ':' || l.id from item_log l join article a on a.id = l.item_id order by 1"),
                citus.rows("select l.tenant_id || ':' || l.id from " + schema + ".item_log l order by 1"), "each log line under its article's tenant");
        assertEquals(List.of("FOREIGN KEY (tenant_id, item_id) REFERENCES " + schema + ".article(tenant_id, id)"), citus.rows("select"
                + " pg_get_constraintdef(oid) from pg_constraint where conrelid = '" + schema + ".item_log'::regclass and contype = 'f'"));
        assertVerifies(file);
    }

    @Test
    void privilegesPoliciesAndCommentsChangedOnTheSourceWhileStreamingAreTheTargetsAfterTheCutover() throws Exception {
        String app = "app_live_grants";
        pg.exec("postgres", "create role " + app + " login");
        try (Connection c = citus.connect(); Statement st = c.createStatement()) {
            st.execute("do $$ begin if not exists (select 1 from pg_roles where rolname = '" + app + "') then create role " + app + " login; end if; end $$");
        }
        String db = pg.createDatabase("ddlgrant");
        pg.exec(db, """
                create table tenant (id int primary key, name text);
                create table item (id serial primary key, tenant_id int not null references tenant, note text);
                insert into tenant select g, 't' || g from generate_series(1, 3) g;
                insert into item (tenant_id, note) select g % 3 + 1, 'n' || g from generate_series(1, 30) g;
                grant select, delete on item to app_live_grants;
                """);
        String schema = citus.newSchema("ddlgrant");
        Path file = tenantLoadFile(db, schema, "cm_ddlgrant");
        Background m = Background.migrate(file.toString());
        m.waitUntilStreaming();
        pg.exec(db, """
                comment on table item is 'the items';
                comment on column item.note is 'free text';
                alter table item enable row level security;
                create policy per_tenant on item to app_live_grants using (tenant_id = current_setting('app.tenant')::int);
                grant insert, update on item to app_live_grants;
                revoke delete on item from app_live_grants;
                grant select on tenant to app_live_grants;
                insert into item (tenant_id, note) values (2, 'after');
                """);
        waitFor(() -> citus.rows("select note from " + schema + ".item where note = 'after'").equals(List.of("after")), m.thread(),
                () -> m.out() + (m.result()[0] == null ? "" : m.result()[0].err()));
        m.cutOverAndFinish(file);
        String t = schema + ".";
        assertEquals(List.of("t|t|t|f|t"), citus.rows("select has_table_privilege('" + app + "', '" + t + "item', 'SELECT'),"
                + " has_table_privilege('" + app + "', '" + t + "item', 'INSERT'), has_table_privilege('" + app + "', '" + t + "item', 'UPDATE'),"
                + " has_table_privilege('" + app + "', '" + t + "item', 'DELETE'), has_table_privilege('" + app + "', '" + t + "tenant', 'SELECT')"));
        assertEquals(List.of("per_tenant|{" + app + "}|(tenant_id = (current_setting('app.tenant'::text))::integer)"), citus.rows("select policyname"
                + " || '|' || roles::text || '|' || qual from pg_policies where schemaname = '" + schema + "' and tablename = 'item'"));
        assertEquals(List.of("t"), citus.rows("select relrowsecurity from pg_class where oid = '" + t + "item'::regclass"));
        assertEquals(List.of("the items|free text"), citus.rows("select obj_description('" + t + "item'::regclass, 'pg_class') || '|'"
                + " || col_description('" + t + "item'::regclass, 3)"));
        Run verify = Run.of(new StringWriter(), "verify", file.toString());
        assertEquals(0, verify.code(), verify.out() + verify.err());
    }

    @Test
    void anAttachedPartitionStopsTheStreamNamingTheStatementBeforeAnyLaterChange() throws Exception {
        String db = pg.createDatabase("ddlstop");
        pg.exec(db, """
                create table tenant (id int primary key);
                create table item (id serial primary key, tenant_id int not null references tenant, note text);
                create table event (tenant_id int not null references tenant, id int, at date not null, primary key (tenant_id, id, at))
                  partition by range (at);
                create table event_2025 partition of event for values from ('2025-01-01') to ('2026-01-01');
                create table event_2026 (tenant_id int not null references tenant, id int, at date not null, primary key (tenant_id, id, at));
                insert into tenant select generate_series(1, 3);
                insert into event_2026 values (1, 1, '2026-02-01');
                """);
        String schema = citus.newSchema("ddlstop");
        Path file = tenantLoadFile(db, schema, "cm_ddlstop");
        Background m = Background.streaming(file);
        // attached, its rows would move into the partitioned table without a row change in the WAL
        pg.exec(db, "insert into item (tenant_id, note) values (1, 'before'); alter table event attach partition event_2026"
                + " for values from ('2026-01-01') to ('2027-01-01'); insert into item (tenant_id, note) values (1, 'after')");
        m.thread().join(60_000);
        Run r = m.result()[0];
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("a schema change on the source that this version does not carry while streaming: ALTER TABLE")
                && r.err().contains("alter table event attach partition event_2026")
                && r.err().contains("attaching, detaching or inheriting moves rows without row changes")
                && r.err().contains("`citus-migrate cleanup "), r.err());
        assertFalse(r.err().contains("--resume`"), "resuming would meet it again: " + r.err());
        assertEquals(List.of("before"), citus.rows("select note from " + schema + ".item"), "nothing after it was applied");
        Run cleanup = Run.of(new StringWriter(), "cleanup", file.toString());
        assertEquals(0, cleanup.code(), cleanup.out() + cleanup.err());
        assertEquals(List.of(), pg.rows(db, "select evtname from pg_event_trigger"));
    }

    @Test
    void withoutASuperuserPlanNamesWhatTheCaptureNeedsAndMigrateRefusesBeforeTheSourceIsTouched() throws Exception {
        String db = pg.createDatabase("plainuser");
        pg.exec(db, TENANT_AND_ITEMS);
        pg.exec("postgres", "do $$ begin if not exists (select from pg_roles where rolname = 'cm_plain') then create role cm_plain login; end if; end $$");
        pg.exec("postgres", "grant pg_read_all_data to cm_plain"); // reads every table without a grant the plan would carry
        Path file = tenantLoadFile(db, citus.newSchema("plainuser"), "cm_plainuser");
        Files.writeString(file, Files.readString(file).replace("postgres@localhost:" + pg.port(), "cm_plain@localhost:" + pg.port()));
        Run plan = Run.of(new StringWriter(), "plan", file.toString());
        assertEquals(0, plan.code(), plan.out() + plan.err());
        assertTrue(plan.out().contains("A live migration needs on the source:\n"
                + "  MISSING  a superuser, for the event trigger that captures schema changes while streaming: cm_plain is not one\n"
                + "  ok       wal_level = logical, for the replication slot and its snapshot: wal_level = logical\n"), plan.out());
        assertTrue(plan.out().contains("`migrate` refuses to stream until these are met"), plan.out());
        Run migrate = Run.of(new StringWriter(), "migrate", file.toString());
        assertEquals(1, migrate.code(), migrate.out() + migrate.err());
        assertTrue(migrate.err().contains("which only a superuser can create, and this user is not one. Nothing was changed on the source"),
                migrate.err());
        assertEquals(List.of("0:0"), pg.rows(db, "select (select count(*) from pg_replication_slots where slot_name = 'cm_plainuser') || ':'"
                + " || (select count(*) from pg_publication)"), "no slot and no publication");
    }

    @Test
    void schemaChangesOfATableTheRulesLeaveOutArePassedOverAndTheStreamGoesOn() throws Exception {
        String db = pg.createDatabase("ddlleft");
        pg.exec(db, TENANT_AND_ITEMS + "create table scratch (id int primary key, note text);");
        String schema = citus.newSchema("ddlleft");
        Path file = dir.resolve("cm_ddlleft.load");
        LoadFile.write(file, pg, db, citus, schema, "include drop, slot name = 'cm_ddlleft'",
                "excluding table names matching 'scratch' distribute tenant using id");
        Background m = Background.streaming(file);
        pg.exec(db, """
                alter table scratch add column extra int;
                create index scratch_extra on scratch (extra);
                insert into item (tenant_id, note) values (2, 'after');
                """);
        m.await(() -> citus.rows("select note from " + schema + ".item where note = 'after'").equals(List.of("after")));
        assertTrue(m.out().toString().contains("schema change passed over: public.scratch is not migrated (the command file's rules leave it out)"),
                m.out().toString());
        m.cutOverAndFinish(file);
        assertEquals(List.of("t"), citus.rows("select to_regclass('" + schema + ".scratch') is null"));
        assertVerifies(file);
    }

    @Test
    void aPrimaryKeyDroppedAndAddedWhileStreamingIsCarriedAndTheApplicationsWritesGoOnWorking() throws Exception {
        String db = pg.createDatabase("pkdrop");
        pg.exec(db, TENANT_AND_ITEMS);
        String schema = citus.newSchema("pkdrop");
        Path file = tenantLoadFile(db, schema, "cm_pkdrop");
        Background m = Background.streaming(file);
        pg.exec(db, "alter table item drop constraint item_pkey");
        // published under the default identity with no key left, these would fail: the capture gave the table FULL
        pg.exec(db, """
                update item set note = 'after' where id = 1;
                delete from item where id = 2;
                insert into item (id, tenant_id, note) values (3, 1, 'n3'), (3, 1, 'n3');
                delete from item where ctid = (select min(ctid) from item where id = 3 and note = 'n3');
                """);
        String key = "select pg_get_constraintdef(oid) from pg_constraint where conrelid = '%sitem'::regclass and contype = 'p'";
        m.await(() -> citus.rows(key.formatted(schema + ".")).isEmpty()
                && citus.rows("select count(*) from " + schema + ".item where id = 3").equals(List.of("2")));
        assertEquals(List.of("f"), pg.rows(db, "select relreplident::text from pg_class where oid = 'item'::regclass"));
        pg.exec(db, """
                delete from item where id = 3 and tenant_id = 1;
                insert into item (id, tenant_id, note) values (3, 1, 'n3');
                alter table item add constraint item_pkey primary key (id);
                update item set note = 'keyed again' where id = 4;
                delete from item where id = 5;
                """);
        m.await(() -> !citus.rows(key.formatted(schema + ".")).isEmpty()
                && citus.rows("select note from " + schema + ".item where id = 4").equals(List.of("keyed again")));
        String said = m.out().toString();
        assertTrue(said.contains("schema change carried to " + schema + ".item: DROP CONSTRAINT item_pkey"), said);
        assertTrue(said.contains("schema change carried to " + schema + ".item: ADD CONSTRAINT item_pkey PRIMARY KEY"), said);
        assertEquals(List.of("PRIMARY KEY (tenant_id, id)"), citus.rows(key.formatted(schema + ".")), "by the plan's rules, with the tenant key");
        m.cutOverAndFinish(file);
        String rows = "select md5(string_agg(x::text, ',' order by x::text)) from (select id, note from %sitem) x";
        assertEquals(pg.rows(db, rows.formatted("")), citus.rows(rows.formatted(schema + ".")), "every row of item");
        assertEquals(List.of("d"), pg.rows(db, "select relreplident::text from pg_class where oid = 'item'::regclass"),
                "the cutover puts the table's own replica identity back");
        assertVerifies(file);
    }

    @Test
    void unloggedTablesMaterializedViewsAndStatisticsArriveAndTheTablesAreAnalyzed() throws Exception {
        String db = pg.createDatabase("unlogged");
        pg.exec(db, """
                create table tenant (id int primary key);
                create table item (id serial primary key, tenant_id int not null references tenant, note text);
                create unlogged table scratch (id int primary key, tenant_id int references tenant, note text);
                insert into tenant select generate_series(1, 3);
                insert into item (tenant_id, note) select g % 3 + 1, 'n' || g from generate_series(1, 30) g;
                insert into scratch select g, g % 3 + 1, 's' || g from generate_series(1, 10) g;
                create materialized view item_count as select tenant_id, count(*) as items from item group by tenant_id;
                create unique index item_count_tenant on item_count (tenant_id);
                create statistics item_deps (dependencies) on id, tenant_id from item;
                """);
        String schema = citus.newSchema("unlogged");
        Path file = tenantLoadFile(db, schema, "cm_unlogged");
        Run plan = Run.of(new StringWriter(), "plan", file.toString());
        assertEquals(0, plan.code(), plan.out() + plan.err());
        assertTrue(plan.out().contains("is UNLOGGED: logical decoding never sees its changes. The bulk load copies it, and a live migration's"
                + " cutover copies it once more while writes are stopped"), plan.out());
        Background m = Background.streaming(file);
        assertTrue(m.out().toString().contains("tables analyzed: 3 statements"), m.out().toString());
        assertEquals(List.of("t"), citus.rows("select last_analyze is not null from pg_stat_user_tables where schemaname = '" + schema
                + "' and relname = 'item'"), "analyzed before the application comes");
        pg.exec(db, """
                insert into scratch select g, 1, 'streaming ' || g from generate_series(11, 20) g;
                update scratch set note = 'changed' where id <= 5;
                delete from scratch where id = 6;
                insert into item (tenant_id, note) select 2, 'more' from generate_series(1, 5);
                """);
        Run cutover = m.cutOverAndFinish(file);
        assertTrue(cutover.out().contains("while writes are stopped the cutover also copies 1 UNLOGGED table again (about "), cutover.out());
        assertTrue(m.out().toString().contains(", 1 UNLOGGED table copied again (19 rows)"), m.out().toString());
        String rows = "select id || ':' || tenant_id || ':' || note from %sscratch order by id";
        assertEquals(pg.rows(db, rows.formatted("")), citus.rows(rows.formatted(schema + ".")), "the UNLOGGED table as the source has it");
        assertTrue(m.out().toString().contains("1 materialized views refreshed"), m.out().toString());
        assertEquals(pg.rows(db, "select tenant_id || ':' || count(*) from item group by tenant_id order by 1"),
                citus.rows("select tenant_id || ':' || items from " + schema + ".item_count order by 1"), "refreshed after the cutover");
        assertEquals(List.of("item_count_tenant"), citus.rows("select indexname from pg_indexes where schemaname = '" + schema
                + "' and tablename = 'item_count'"));
        assertEquals(List.of("item_deps"), citus.rows("select s.stxname from pg_statistic_ext s join pg_namespace n on n.oid = s.stxnamespace"
                + " where n.nspname = '" + schema + "'"));
        assertVerifies(file);
    }

    @Test
    void verifyNamesAColumnOrATableOnOneSideOnlyInOneLineEach() throws Exception {
        String db = pg.createDatabase("shape");
        pg.exec(db, """
                create table tenant (id int primary key);
                create table item (id serial primary key, tenant_id int not null references tenant, note text, image_url text);
                insert into tenant select generate_series(1, 2);
                insert into item (tenant_id, note) select g % 2 + 1, 'n' || g from generate_series(1, 20) g;
                """);
        Path file = tenantLoadFile(db, citus.newSchema("shape"), "cm_shape");
        Run load = Run.of(new StringWriter(), "migrate", file.toString(), "--snapshot-only");
        assertEquals(0, load.code(), load.out() + load.err());
        pg.exec(db, """
                alter table item add column label text default 'x';
                alter table item drop column image_url;
                create table item_note (id serial primary key, item_id int references item, body text);
                """);
        Run verify = Run.of(new StringWriter(), "verify", file.toString());
        assertEquals(1, verify.code(), verify.out() + verify.err());
        List<String> failed = verify.err().lines().filter(l -> l.startsWith("verification failed: ")).toList();
        assertEquals(2, failed.size(), verify.err());
        assertTrue(failed.stream().anyMatch(l -> l.endsWith(".item: columns only on the source: label; columns only on the target: image_url")),
                verify.err());
        assertTrue(failed.stream().anyMatch(l -> l.contains(".item_note: not on the target")), verify.err());
        assertTrue(!verify.err().contains("Position") && !verify.err().contains("Exception"), verify.err());
    }

    @Test
    void afterALiveCutoverTheApplicationFindsItsPrivilegesPoliciesTriggersFunctionsLargeObjectsAndUnloggedRows() throws Exception {
        String app = "app_live_i20";
        pg.exec("postgres", "create role " + app + " login");
        try (Connection c = citus.connect(); Statement st = c.createStatement()) {
            st.execute("do $$ begin if not exists (select 1 from pg_roles where rolname = '" + app + "') then create role " + app + " login; end if; end $$");
        }
        String db = pg.createDatabase("relies");
        pg.exec(db, """
                create table tenant (id int primary key, name text);
                create table note (id serial primary key, tenant_id int not null references tenant, body text, updated_at timestamptz);
                create table document (id serial primary key, tenant_id int not null references tenant, body oid);
                create unlogged table scratch (id int primary key, tenant_id int references tenant);
                create function touch() returns trigger language plpgsql as $$ begin new.updated_at := now(); return new; end $$;
                create trigger note_touch before update on note for each row execute function touch();
                create function shout(t text) returns text language sql immutable as $$ select upper(t) || '!' $$;
                insert into tenant select g, 't' || g from generate_series(1, 3) g;
                insert into note (tenant_id, body) select g % 3 + 1, 'b' || g from generate_series(1, 30) g;
                insert into document (tenant_id, body) values (1, lo_from_bytea(0, 'first document'::bytea));
                insert into scratch values (1, 1);
                grant select, insert, update on note to app_live_i20;
                grant usage on sequence note_id_seq to app_live_i20;
                grant select on tenant to app_live_i20;
                alter table note enable row level security;
                create policy per_tenant on note to app_live_i20 using (tenant_id = current_setting('app.tenant')::int);
                """);
        String schema = citus.newSchema("relies");
        Path file = tenantLoadFile(db, schema, "cm_relies");
        try {
            Background m = Background.streaming(file);
            pg.exec(db, """
                    insert into document (tenant_id, body) values (2, lo_from_bytea(0, 'written while streaming'::bytea));
                    update note set body = 'changed' where id = 4;
                    insert into scratch values (2, 2), (3, 3);
                    """);
            m.cutOverAndFinish(file);
            String said = m.out().toString();
            assertTrue(said.contains("1 trigger created (trigger note_touch on " + schema + ".note)"), said);
            assertTrue(said.contains("2 large objects equal to the source's"), said);
            assertTrue(said.contains("1 UNLOGGED table copied again (3 rows)"), said);
            String t = schema + ".";
            // the application's role: what it may do, and what it may not
            assertEquals(List.of("t|t|t|f|t|f"), citus.rows("select has_table_privilege('" + app + "', '" + t + "note', 'SELECT'),"
                    + " has_table_privilege('" + app + "', '" + t + "note', 'INSERT'), has_table_privilege('" + app + "', '" + t + "note', 'UPDATE'),"
                    + " has_table_privilege('" + app + "', '" + t + "note', 'DELETE'), has_table_privilege('" + app + "', '" + t + "tenant', 'SELECT'),"
                    + " has_table_privilege('" + app + "', '" + t + "tenant', 'INSERT')"));
            try (Connection c = citus.connect(); Statement st = c.createStatement()) {
                c.setAutoCommit(false);
                // Citus sends SET LOCAL to the workers' sessions only when told (a multi-tenant application does the same)
                if (!citus.isStandIn()) st.execute("set local citus.propagate_set_commands = 'local'");
                st.execute("set local role " + app);
                st.execute("set local app.tenant = '2'");
                try (java.sql.ResultSet rs = st.executeQuery("select count(*), count(*) filter (where tenant_id <> 2) from " + t + "note")) {
                    rs.next();
                    assertEquals(Long.parseLong(pg.rows(db, "select count(*) from note where tenant_id = 2").get(0)), rs.getLong(1), "tenant 2's rows");
                    assertEquals(0, rs.getLong(2), "no other tenant's row under the policy");
                }
                // the trigger fires on the target: an UPDATE sets updated_at
                st.executeUpdate("update " + t + "note set body = 'by the app' where tenant_id = 2 and id = 4");
                try (java.sql.ResultSet rs = st.executeQuery("select updated_at is not null from " + t + "note where tenant_id = 2 and id = 4")) {
                    rs.next();
                    assertTrue(rs.getBoolean(1), "the trigger set updated_at");
                }
                SQLException refused = assertThrows(SQLException.class, () -> st.executeUpdate("delete from " + t + "note where tenant_id = 2"));
                assertTrue(refused.getMessage().contains("permission denied"), refused.getMessage());
                c.rollback();
            }
            assertEquals(List.of("HI!"), citus.rows("select " + t + "shout('hi')"));
            String contents = "select oid, md5(lo_get(oid)) from pg_largeobject_metadata order by 1";
            assertEquals(pg.rows(db, contents), citus.rows(contents), "every large object's content");
            assertEquals(pg.rows(db, "select id from scratch order by 1"), citus.rows("select id from " + t + "scratch order by 1"));
            assertVerifies(file);
            try (Connection c = citus.connect(); Statement st = c.createStatement()) {
                st.execute("revoke update on " + t + "note from " + app);
            }
            Run revoked = Run.of(new StringWriter(), "verify", file.toString());
            assertEquals(1, revoked.code(), revoked.out() + revoked.err());
            assertTrue(revoked.err().contains("verification failed: schema: " + t + "note: privilege " + app + " UPDATE only on the source"), revoked.err());
        } finally {
            citus.rows("select count(lo_unlink(oid)) from pg_largeobject_metadata");
            citus.close(); // the schemas hold the role's privileges: they go first
            try (Connection c = citus.connect(); Statement st = c.createStatement()) {
                st.execute("drop role if exists " + app);
            } catch (SQLException e) {
                // CitusTarget.close ended it: the role stays for the next run's "if not exists"
            }
        }
    }

    @Test
    void largeObjectsArriveWithTheirOidsContentOwnerAndGrantsAndVerifyComparesThem() throws Exception {
        String owner = "lo_owner_i20";
        pg.exec("postgres", "create role " + owner);
        try (Connection c = citus.connect(); Statement st = c.createStatement()) {
            st.execute("do $$ begin if not exists (select 1 from pg_roles where rolname = '" + owner + "') then create role " + owner + "; end if; end $$");
        }
        String db = pg.createDatabase("lobs");
        pg.exec(db, """
                create table tenant (id int primary key);
                create table document (id serial primary key, tenant_id int not null references tenant, body oid);
                insert into tenant select generate_series(1, 2);
                insert into document (tenant_id, body) select g % 2 + 1, lo_from_bytea(0, convert_to(repeat('page ' || g, 100000 * g), 'UTF8'))
                  from generate_series(1, 3) g;
                do $$ begin
                  execute format('alter large object %s owner to lo_owner_i20', (select max(body) from document));
                  execute format('grant select on large object %s to public', (select min(body) from document));
                end $$;
                """);
        try {
            Path file = tenantLoadFile(db, citus.newSchema("lobs"), "cm_lobs");
            Run plan = Run.of(new StringWriter(), "plan", file.toString());
            assertTrue(plan.out().contains("column body holds large object oids"), plan.out());
            Background m = Background.streaming(file);
            assertTrue(m.out().toString().contains("(large objects)"), "the bulk load's summary counts them: " + m.out());
            // while streaming: a new one with its row, one changed in place, one unlinked with its row
            pg.exec(db, """
                    insert into document (tenant_id, body) values (1, lo_from_bytea(0, '\\x00ff00ff'::bytea));
                    select lo_put((select body from document where id = 1), 2, 'changed'::bytea);
                    select lo_unlink(body) from document where id = 2;
                    delete from document where id = 2;
                    """);
            m.await(() -> m.out().toString().contains("1 new large object copied from the source"));
            m.cutOverAndFinish(file);
            assertTrue(m.out().toString().contains("3 large objects equal to the source's"), m.out().toString());
            String contents = "select m.oid, md5(lo_get(m.oid)), pg_get_userbyid(m.lomowner) = 'lo_owner_i20', m.lomacl is not null"
                    + " from pg_largeobject_metadata m order by 1";
            assertEquals(pg.rows(db, contents), citus.rows(contents), "every large object's content, owner and grants");
            Run verify = assertVerifies(file);
            assertTrue(verify.out().lines().anyMatch(l -> l.startsWith("(large objects)") && l.endsWith("ok")), verify.out());

            String oid = pg.rows(db, "select min(body) from document").get(0);
            try (Connection c = citus.connect(); Statement st = c.createStatement()) {
                st.execute("select lo_put(" + oid + ", 0, 'X'::bytea)");
            }
            Run differs = Run.of(new StringWriter(), "verify", file.toString());
            assertEquals(1, differs.code(), differs.out() + differs.err());
            assertTrue(differs.err().contains("verification failed: (large objects): large objects: 1 missing or different on the target (e.g. oid "
                    + oid + ")"), differs.err());
        } finally {
            // large objects belong to the database, not to a schema: the other tests' target must not keep these
            citus.rows("select count(lo_unlink(oid)) from pg_largeobject_metadata");
            try (Connection c = citus.connect(); Statement st = c.createStatement()) {
                st.execute("drop role if exists " + owner);
            }
        }
    }

    /** The command file of a migration that distributes table tenant by id, into its own schema and slot. */
    private Path tenantLoadFile(String db, String schema, String slot) throws java.io.IOException {
        Path file = dir.resolve(slot + ".load");
        LoadFile.write(file, pg, db, citus, schema, "include drop, slot name = '%s'".formatted(slot), "distribute tenant using id");
        return file;
    }

    /** `verify` of the file passes; what it said. */
    private static Run assertVerifies(Path file) {
        Run verify = Run.of(new StringWriter(), "verify", file.toString());
        assertEquals(0, verify.code(), verify.out() + verify.err());
        return verify;
    }

    private static void waitFor(Background.Check c, Thread t) throws Exception {
        waitFor(c, t, () -> "");
    }

    private static void waitFor(Background.Check c, Thread t, java.util.function.Supplier<String> said) throws Exception {
        Background.waitFor(c, t, said);
    }

    /** `migrate` run in the background with these arguments, once it streams. */
    /** A source database with one table of tenants (id, n), its target schema and its command file. */
    private record OneTable(String db, String schema, Path file) {}

    private OneTable oneTable(String name, int tenants, String slot) throws Exception {
        String db = pg.createDatabase(name);
        pg.exec(db, "create table tenant (id int primary key, n int not null default 0); insert into tenant select g from generate_series(1, "
                + tenants + ") g");
        String schema = citus.newSchema(name);
        Path file = dir.resolve(name + ".load");
        LoadFile.write(file, pg, db, citus, schema, "include drop, slot name = '" + slot + "'", "distribute tenant using id");
        return new OneTable(db, schema, file);
    }

    private static CompletableFuture<Run> streaming(String... args) throws Exception {
        StringWriter out = new StringWriter();
        CompletableFuture<Run> migrate = CompletableFuture.supplyAsync(() -> Run.of(out, args));
        waitFor(() -> out.toString().contains("streaming changes from slot"), migrate);
        return migrate;
    }

    private static void waitFor(Background.Check c, CompletableFuture<Run> migrate) throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        while (!c.ok()) {
            if (migrate.isDone()) throw new AssertionError("migrate ended: " + migrate.get());
            if (System.currentTimeMillis() > deadline) throw new AssertionError("timed out");
            Thread.sleep(50);
        }
    }
}
