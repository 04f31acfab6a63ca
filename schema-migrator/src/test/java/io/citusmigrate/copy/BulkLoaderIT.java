package io.citusmigrate.copy;

import io.citusmigrate.SourceDb;
import io.citusmigrate.UserError;
import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.ddl.SchemaScript;
import io.citusmigrate.ddl.Statement.Step;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.Planner;
import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import io.citusmigrate.verify.Verifier;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@org.junit.jupiter.api.extension.ExtendWith(io.citusmigrate.testing.SourceAndCitus.class) // its source and the best Citus there is
class BulkLoaderIT {
    static EmbeddedPg pg;
    static CitusTarget citus;



    private static void createBare(Plan plan, LoadCommand cmd) throws SQLException {
        try (Connection c = citus.connect()) {
            new SchemaCreator(c, x -> { }).run(SchemaScript.of(plan, cmd.options()),
                    EnumSet.of(Step.SCHEMAS, Step.TYPES, Step.SEQUENCES, Step.TABLES, Step.DISTRIBUTE), false);
        }
    }

    @Test
    void everyReadSeesTheSnapshotTheSlotExported() throws SQLException {
        SourceDb src = new SourceDb(pg, "snap").run("""
                create table tenant (id int primary key);
                create table item (id int primary key, tenant_id int not null references tenant, note text);
                insert into tenant select generate_series(1, 10);
                insert into item select g, g % 10 + 1, 'n' || g from generate_series(1, 5000) g;
                """);
        String s = citus.newSchema("snap");
        LoadCommand cmd = src.command(citus.url(), "with rows per range = 500, workers = 3 alter schema 'public' rename to '" + s
                + "' distribute tenant using id;");
        Plan plan = Planner.plan(cmd, src.catalog());
        createBare(plan, cmd);
        BulkLoader loader = new BulkLoader(plan, cmd, Progress.NONE, x -> { });
        List<TableResult> results;
        Map<String, Checksum> sums;
        boolean recordHash;
        try (SourceSnapshot snap = SourceSnapshot.open(cmd.source(), "cm_test_slot", true)) {
            assertNotNull(snap.consistentPoint());
            assertEquals(List.of("cm_test_slot|t"), pg.rows(src.db, "select slot_name, temporary from pg_replication_slots"));
            BulkLoader.Prepared prep = loader.prepare(snap);
            assertTrue(prep.ranges().values().stream().anyMatch(r -> r.size() > 1), "item is split into page ranges");
            // written after the snapshot: must not be copied
            src.run("insert into item select g, 1, 'late' from generate_series(5001, 6000) g; delete from item where id <= 100;");
            results = loader.load(prep);
            TableResult item = results.stream().filter(r -> r.table().endsWith(".item")).findFirst().orElseThrow();
            assertEquals(5000, item.written());
            assertEquals(5000, item.read());
            // the checksums are taken in the snapshot too: the late rows are not in them
            sums = loader.sourceChecksums(prep, 2);
            recordHash = prep.recordHash();
            assertTrue(recordHash, "PostgreSQL 17 on both sides hashes values by type");
            assertEquals(5000, sums.get(s + ".item").rows());
        }
        assertEquals(List.of("5000|0|100"), citus.rows("select count(*), count(*) filter (where note = 'late'),"
                + " count(*) filter (where id <= 100) from " + s + ".item"));
        assertTrue(Verifier.verifyLoaded(plan, sums, recordHash, BulkLoaderIT::target, 2).stream().allMatch(c -> c.ok()),
                "the target's checksums equal the source's in the snapshot");
        citus.rows("update " + s + ".item set note = 'changed' where id = 4000 returning id");
        var checks = Verifier.verifyLoaded(plan, sums, recordHash, BulkLoaderIT::target, 2);
        assertEquals(List.of(s + ".item: contents differ (checksums)"),
                checks.stream().filter(c -> !c.ok()).map(c -> c.table() + ": " + c.problem()).toList());
        citus.rows("delete from " + s + ".item where id = 4000 returning id");
        checks = Verifier.verifyLoaded(plan, sums, recordHash, BulkLoaderIT::target, 2);
        assertEquals(List.of(s + ".item: row counts differ: source 5000, target 4999"),
                checks.stream().filter(c -> !c.ok()).map(c -> c.table() + ": " + c.problem()).toList());
        assertEquals(List.of(), pg.rows(src.db, "select slot_name from pg_replication_slots"), "the temporary slot is gone");
    }

    @Test
    void partitionedTablesAreReadThroughTheirParentAndBackFilled() throws SQLException {
        SourceDb src = new SourceDb(pg, "parts").run("""
                create table account (id int primary key);
                create table device (id int primary key, account_id int not null references account);
                create table reading (device_id int not null references device, at date not null, value numeric,
                                      primary key (device_id, at)) partition by range (at);
                create table reading_2024 partition of reading for values from ('2024-01-01') to ('2025-01-01');
                create table reading_2025 partition of reading for values from ('2025-01-01') to ('2026-01-01');
                insert into account select generate_series(1, 3);
                insert into device select g, g % 3 + 1 from generate_series(1, 9) g;
                insert into reading select g % 9 + 1, date '2024-06-01' + g, g * 1.5 from generate_series(1, 400) g;
                """);
        String s = citus.newSchema("parts");
        LoadCommand cmd = src.command(citus.url(), "alter schema 'public' rename to '" + s + "' distribute account using id;");
        Plan plan = Planner.plan(cmd, src.catalog());
        createBare(plan, cmd);
        List<TableResult> results;
        Map<String, Checksum> sums;
        try (SourceSnapshot snap = SourceSnapshot.open(cmd.source(), "cm_parts", true)) {
            BulkLoader loader = new BulkLoader(plan, cmd, Progress.NONE, x -> { });
            BulkLoader.Prepared prep = loader.prepare(snap);
            results = loader.load(prep);
            sums = loader.sourceChecksums(prep, 2);
        }
        assertEquals(400, results.stream().filter(r -> r.table().endsWith(".reading")).findFirst().orElseThrow().written());
        // counted through each partition (on Citus, tableoid is a shard's oid, unknown to the coordinator)
        assertEquals(List.of("213"), citus.rows("select count(*) from " + s + ".reading_2024"));
        assertEquals(List.of("187"), citus.rows("select count(*) from " + s + ".reading_2025"));
        // every back-filled tenant key is its device's: joined on the tenant key, as Citus needs
        assertEquals(List.of("0"), citus.rows("select count(*) from " + s + ".reading r where not exists (select 1 from " + s
                + ".device d where d.account_id = r.account_id and d.id = r.device_id)"));
        assertTrue(Verifier.verifyLoaded(plan, sums, true, BulkLoaderIT::target, 2).stream().allMatch(c -> c.ok()));
        // no foreign keys on these bare tables: a wrong tenant key is found by joining the parent
        citus.rows("with gone as (delete from " + s + ".reading where device_id = 1 and at = date '2024-06-10' returning *)"
                + " insert into " + s + ".reading select 3, device_id, at, value from gone returning device_id");
        var checks = Verifier.verifyLoaded(plan, sums, true, BulkLoaderIT::target, 2);
        assertEquals(List.of(s + ".reading: tenant key differs from the parent's"),
                checks.stream().filter(c -> !c.ok()).map(c -> c.table() + ": " + c.problem()).toList());
    }

    @Test
    void checksumsAgreeOverEveryKindOfType() throws SQLException {
        SourceDb src = new SourceDb(pg, "kinds").run("""
                create extension hstore;
                create type mood as enum ('sad', 'ok', 'happy');
                create domain posint as int check (value > 0);
                create type pair as (a int, b text);
                create table tenant (id int primary key);
                create table kinds (id int primary key, tenant_id int not null references tenant, e mood, ea mood[], dom posint,
                  p pair, j json, jb jsonb, x xml, r int4range, tr tstzrange, ts timestamptz, m money, b bit(3), vb varbit,
                  pt point, h hstore, n numeric(10,2), ia int[], ta text[], f float8, u uuid, ttz timetz, iv interval);
                insert into tenant values (1), (2);
                insert into kinds select g, g % 2 + 1, 'ok', '{sad,happy}', g, row(g, 'x' || g)::pair, '{"a": 1}', '{"b": [1, 2]}', '<x/>',
                  int4range(g, g + 5), tstzrange(now(), now() + interval '1 day'), now(), 12.5, B'101', B'0011', point(g, 2),
                  'a=>1', 1.5 * g, array[g, null], array['a', null, 'c d'], 'NaN', gen_random_uuid(), '10:00+05:30', '1 day 2 hours'
                  from generate_series(1, 200) g;
                insert into kinds (id, tenant_id) values (1000, 1);
                """);
        String s = citus.newSchema("kinds");
        LoadCommand cmd = src.command(citus.url(), "alter schema 'public' rename to '" + s + "' distribute tenant using id;");
        Plan plan = Planner.plan(cmd, src.catalog());
        createBare(plan, cmd);
        Map<String, Checksum> sums;
        try (SourceSnapshot snap = SourceSnapshot.open(cmd.source(), "cm_kinds", true)) {
            BulkLoader loader = new BulkLoader(plan, cmd, Progress.NONE, x -> { });
            BulkLoader.Prepared prep = loader.prepare(snap);
            loader.load(prep);
            sums = loader.sourceChecksums(prep, 2);
        }
        assertEquals(List.of(), Verifier.verifyLoaded(plan, sums, true, BulkLoaderIT::target, 2).stream().filter(c -> !c.ok()).toList());
        // a change in a value hashed as text (an enum), and one hashed by its type (jsonb), are both seen
        for (List<String> change : List.of(List.of("e = 'happy'", "e = 'ok'"), List.of("jb = '{\"b\": [1, 3]}'", "jb = '{\"b\": [1, 2]}'"))) {
            citus.rows("update " + s + ".kinds set " + change.get(0) + " where id = 7 returning id");
            assertEquals(List.of(s + ".kinds: contents differ (checksums)"), Verifier.verifyLoaded(plan, sums, true, BulkLoaderIT::target, 2)
                    .stream().filter(c -> !c.ok()).map(c -> c.table() + ": " + c.problem()).toList(), change.get(0));
            citus.rows("update " + s + ".kinds set " + change.get(1) + " where id = 7 returning id");
        }
        assertEquals(List.of(), Verifier.verifyLoaded(plan, sums, true, BulkLoaderIT::target, 2).stream().filter(c -> !c.ok()).toList());
    }

    @Test
    void orphansStopWithTableCountAndFirstKeys() {
        SourceDb src = new SourceDb(pg, "orph").run("""
                create table tenant (id int primary key);
                create table parent (id int primary key, tenant_id int references tenant);
                create table child (id int primary key, parent_id int references parent);
                insert into tenant values (1);
                insert into parent values (1, 1), (2, null);
                insert into child values (1, 1), (2, 2), (3, null), (4, 1);
                """);
        LoadCommand cmd = src.command(citus.url(), "distribute tenant using id;");
        Plan plan = Planner.plan(cmd, src.catalog());
        try (SourceSnapshot snap = SourceSnapshot.open(cmd.source(), "cm_orphans", true)) {
            UserError e = assertThrows(UserError.class, () -> new BulkLoader(plan, cmd, Progress.NONE, x -> { }).prepare(snap));
            assertTrue(e.getMessage().contains("public.parent: 1 orphan row (no tenant key along tenant_id), first keys: id=2"), e.getMessage());
            assertTrue(e.getMessage().contains("public.child: 2 orphan rows (no tenant key along child(parent_id) -> parent(id)), first keys: id=2; id=3"),
                    e.getMessage());
        }
    }

    @Test
    void belowAParentWithoutOrphansTheOrphansAreTheRowsWithANullKeyFoundWithoutTheJoins() throws SQLException, java.io.IOException {
        SourceDb src = new SourceDb(pg, "orphfk").run("""
                create table tenant (id int primary key);
                create table parent (id int primary key, tenant_id int references tenant);
                create table child (id int primary key, parent_id int references parent);
                create table grandchild (id int primary key, child_id int references child);
                create table loose (id int primary key, parent_id int);
                insert into tenant values (1);
                insert into parent values (1, 1), (2, 1);
                insert into child values (1, 1), (2, 2), (3, null), (4, 1);
                insert into grandchild values (1, 1), (2, 3), (3, null), (4, 4);
                insert into loose values (1, 1), (2, 99), (3, null);
                alter table loose add constraint loose_parent_id_fkey foreign key (parent_id) references parent not valid;
                """);
        LoadCommand cmd = src.command(citus.url(), "distribute tenant using id;");
        Plan plan = Planner.plan(cmd, src.catalog());
        Map<String, Projection> byName = new java.util.HashMap<>();
        BulkLoader.projections(plan).forEach(p -> byName.put(p.source().name(), p));
        Projection parent = byName.get("parent"), child = byName.get("child"), grandchild = byName.get("grandchild"), loose = byName.get("loose");
        // the shortcut applies only along a validated key, below the parent that key points at
        assertEquals(java.util.Optional.of("child_parent_id_fkey"), child.firstHopForeignKey());
        assertTrue(child.reachesTenantThrough(parent));
        assertTrue(grandchild.reachesTenantThrough(child));
        assertEquals(false, grandchild.reachesTenantThrough(parent));
        assertEquals(java.util.Optional.empty(), loose.firstHopForeignKey(), "NOT VALID proves nothing");
        assertEquals(false, child.checksumOfOrphans(true, true).contains("JOIN"));
        assertEquals(false, child.sampleOrphans(5, true).contains("JOIN"));
        try (Connection reader = pg.connect(src.db)) {
            Map<String, Long> counts = new java.util.TreeMap<>();
            for (OrphanReport o : BulkLoader.orphans(reader, BulkLoader.projections(plan), true, false)) counts.put(o.table(), o.count());
            // child 3 (NULL key) is an orphan; grandchild 2 hangs below it, 3 has a NULL key; loose 2 dangles, 3 is NULL
            assertEquals(Map.of("public.child", 1L, "public.grandchild", 2L, "public.loose", 2L), counts);
            try (java.sql.Statement s = reader.createStatement()) {
                s.execute("delete from grandchild where child_id = 3");
                s.execute("delete from child where id = 3");
            }
            counts.clear();
            for (OrphanReport o : BulkLoader.orphans(reader, BulkLoader.projections(plan), true, false)) counts.put(o.table(), o.count());
            assertEquals(Map.of("public.grandchild", 1L, "public.loose", 2L), counts, "the child now clean, the grandchild's NULL key alone");
        }
        // the reject file of a table below a clean parent: its row and the reason, read without the joins too
        java.nio.file.Path rejects = java.nio.file.Files.createTempDirectory(java.nio.file.Path.of(System.getProperty("java.io.tmpdir")), "rejects");
        LoadCommand skip = src.command(citus.url(), "with on orphan rows skip, reject directory = '" + rejects + "' distribute tenant using id;");
        Plan skipPlan = Planner.plan(skip, src.catalog());
        try (SourceSnapshot snap = SourceSnapshot.open(skip.source(), "cm_orphans_fk", true)) {
            BulkLoader.Prepared prep = new BulkLoader(skipPlan, skip, Progress.NONE, x -> { }).prepare(snap);
            assertEquals(1, prep.orphans().get("public.grandchild").rows());
        }
        assertEquals(List.of("id,child_id,citus_migrate_reason", "3,,grandchild.child_id is NULL"),
                java.nio.file.Files.readAllLines(rejects.resolve("public.grandchild.reject.csv")));
    }

    private static Connection target() {
        try {
            return citus.connect();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

}
