package io.citusmigrate.copy;

import io.citusmigrate.SourceDb;
import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.ddl.SchemaScript;
import io.citusmigrate.ddl.Statement.Step;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.Planner;
import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import io.citusmigrate.verify.Verifier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bulk load straight to the shards on the workers, and its fall back to the coordinator. */
@org.junit.jupiter.api.extension.ExtendWith(io.citusmigrate.testing.SourceAndCitus.class)
class ShardRoutesIT {
    static EmbeddedPg pg;
    static CitusTarget citus;

    private static final String SOURCE = """
            create table tenant (id bigint primary key, name text);
            create table item (id int primary key, tenant_id bigint not null references tenant, note text, at timestamptz, tags text[]);
            create table detail (id int primary key, item_id int references item, body jsonb);
            create type tier as enum ('gold', 'silver');  -- a user type: account goes as COPY text, the others binary
            create table account (code varchar(20) primary key, balance numeric, tier tier);
            create table kind (id int primary key, label text);
            insert into tenant select g, 'tenant ' || g from generate_series(-50, 150) g;
            insert into item select g, g % 201 - 50, 'n' || g, timestamptz '2026-01-01 00:00+00' + g * interval '1 minute', array['a', g::text]
              from generate_series(1, 20000) g;
            insert into detail select g, g, jsonb_build_object('g', g) from generate_series(1, 5000) g;
            insert into detail values (5001, null, '{}');  -- an orphan
            insert into account select 'acct-' || g || chr(65 + g % 26), g * 1.5, case when g % 2 = 0 then 'gold' end::tier
              from generate_series(1, 3000) g;
            insert into kind values (1, 'one'), (2, 'two');
            """;

    private static void createBare(Plan plan, LoadCommand cmd, Connection c, boolean rehearsal) {
        new SchemaCreator(c, x -> { }).run(SchemaScript.of(plan, cmd.options()),
                EnumSet.of(Step.SCHEMAS, Step.TYPES, Step.SEQUENCES, Step.TABLES, Step.DISTRIBUTE), rehearsal);
    }

    @Test
    void rowsGoStraightToTheShardsCitusPlacesThemIn() throws SQLException {
        Assumptions.assumeFalse(citus.isStandIn(), "needs a real Citus: the stand-in has no shards");
        SourceDb src = new SourceDb(pg, "routes").run(SOURCE);
        String s = citus.newSchema("routes");
        LoadCommand cmd = src.command(citus.url(), "with rows per range = 4000, workers = 2, on orphan rows skip, reject directory = '"
                + System.getProperty("java.io.tmpdir") + "/routes-rejects' alter schema 'public' rename to '" + s
                + "' distribute tenant using id distribute account using code distribute kind as reference table;");
        Plan plan = Planner.plan(cmd, src.catalog());
        try (Connection c = citus.connect()) {
            createBare(plan, cmd, c, false);
        }
        List<String> said = Collections.synchronizedList(new ArrayList<>());
        BulkLoader loader = new BulkLoader(plan, cmd, Progress.NONE, said::add);
        Map<String, Checksum> sums;
        boolean recordHash;
        List<TableResult> results;
        try (SourceSnapshot snap = SourceSnapshot.open(cmd.source(), "cm_routes", true)) {
            BulkLoader.Prepared prep = loader.prepare(snap);
            results = loader.load(prep);
            sums = loader.sourceChecksums(prep, 2);
            recordHash = prep.recordHash();
        }
        List<String> routes = said.stream().filter(l -> l.startsWith("rows ")).toList();
        assertEquals(1, routes.size(), "one line says the route: " + said);
        assertTrue(routes.get(0).matches("rows of 4 distributed tables straight to their shards on 2 workers \\(.*\\);"
                + " through the coordinator: " + s + "\\.kind \\(reference table\\)"), routes.get(0));
        TableResult detail = results.stream().filter(r -> r.table().equals(s + ".detail")).findFirst().orElseThrow();
        assertEquals(List.of(5001L, 5000L, 1L), List.of(detail.read(), detail.written(), detail.rejected()), "read = written + rejected");
        for (String table : List.of("tenant", "item", "detail", "account")) {
            String t = s + "." + table;
            String column = switch (table) {
                case "tenant" -> "id";
                case "account" -> "code";
                default -> "tenant_id";
            };
            // where each row is (counted in each shard's table on its worker) against where Citus would put it
            List<String> held = citus.rows("SELECT shardid, result FROM run_command_on_shards('" + t + "', 'SELECT count(*) FROM %s')"
                    + " ORDER BY shardid");
            List<String> placed = citus.rows("SELECT s.shardid, count(x.*) FROM pg_dist_shard s LEFT JOIN (SELECT"
                    + " get_shard_id_for_distribution_column('" + t + "', " + column + ") AS shardid FROM " + t + ") x"
                    + " ON x.shardid = s.shardid WHERE s.logicalrelid = '" + t + "'::regclass GROUP BY 1 ORDER BY 1");
            assertEquals(placed, held, t + ": rows per shard");
            assertTrue(held.stream().filter(r -> !r.endsWith("|0")).count() > 1, t + ": rows in more than one shard " + held);
        }
        assertEquals(List.of("20000|201"), citus.rows("SELECT count(*), count(DISTINCT tenant_id) FROM " + s + ".item"));
        assertEquals(List.of("2"), citus.rows("SELECT count(*) FROM " + s + ".kind"));
        assertTrue(Verifier.verifyLoaded(plan, sums, recordHash, ShardRoutesIT::target, 2).stream().allMatch(c -> c.ok()),
                "every table's checksum equals the source's");
    }

    @Test
    void aPlainPostgresqlTargetTakesTheRowsThroughItsOneServerAndSaysSo() throws SQLException {
        SourceDb src = new SourceDb(pg, "plain").run(SOURCE);
        String targetDb = pg.createDatabase("plain_target");
        LoadCommand cmd = src.command(pg.url(targetDb), "distribute tenant using id distribute account using code distribute kind as reference table;");
        Plan plan = Planner.plan(cmd, src.catalog());
        try (Connection c = pg.connect(targetDb)) {
            createBare(plan, cmd, c, true);
        }
        List<String> said = Collections.synchronizedList(new ArrayList<>());
        BulkLoader loader = new BulkLoader(plan, cmd, Progress.NONE, said::add);
        List<TableResult> results;
        pg.exec(src.db, "delete from detail where item_id is null"); // `stop` is the default for orphans
        try (SourceSnapshot snap = SourceSnapshot.open(cmd.source(), "cm_plain", true)) {
            results = loader.load(loader.prepare(snap));
        }
        assertEquals(List.of("rows through the coordinator: the target is not Citus (it has no shard placements)"),
                said.stream().filter(l -> l.startsWith("rows ")).toList());
        assertEquals(20000, results.stream().filter(r -> r.table().endsWith(".item")).findFirst().orElseThrow().written());
        assertEquals(List.of("20000"), pg.rows(targetDb, "select count(*) from item"));
    }

    @Test
    void onErrorResumeNextGoesThroughTheCoordinatorAndSaysSo() throws SQLException {
        SourceDb src = new SourceDb(pg, "resume").run("""
                create table tenant (id bigint primary key);
                create table item (id int primary key, tenant_id bigint not null references tenant, note text);
                insert into tenant select generate_series(1, 5);
                insert into item select g, g % 5 + 1, 'n' || g from generate_series(1, 1000) g;
                """);
        String s = citus.newSchema("resume");
        LoadCommand cmd = src.command(citus.url(), "with on error resume next, reject directory = '" + System.getProperty("java.io.tmpdir")
                + "/resume-rejects' alter schema 'public' rename to '" + s + "' distribute tenant using id;");
        Plan plan = Planner.plan(cmd, src.catalog());
        try (Connection c = citus.connect()) {
            createBare(plan, cmd, c, false);
        }
        List<String> said = Collections.synchronizedList(new ArrayList<>());
        BulkLoader loader = new BulkLoader(plan, cmd, Progress.NONE, said::add);
        try (SourceSnapshot snap = SourceSnapshot.open(cmd.source(), "cm_resume", true)) {
            loader.load(loader.prepare(snap));
        }
        assertEquals(List.of("rows through the coordinator: `on error resume next` writes its batches through it"),
                said.stream().filter(l -> l.startsWith("rows ")).toList());
        assertEquals(List.of("1000"), citus.rows("SELECT count(*) FROM " + s + ".item"));
    }

    private static Connection target() {
        try {
            return citus.connect();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
