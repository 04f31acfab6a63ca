package io.citusmigrate.cli;

import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import io.citusmigrate.example.ExampleData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The snapshot-only bulk load, end to end through the command line. */
@org.junit.jupiter.api.extension.ExtendWith(io.citusmigrate.testing.SourceAndCitus.class) // its source and the best Citus there is
class BulkLoadIT {
    static EmbeddedPg pg;
    static CitusTarget citus;
    static String sourceDb;
    static ExampleData.Counts counts;
    static final long ORPHAN_EVERY = 500;
    @TempDir
    Path dir;


    @BeforeAll
    static void start() throws SQLException {
        sourceDb = pg.createDatabase("ads");
        counts = LoadFile.example(pg, sourceDb, ORPHAN_EVERY);
    }



    String file(String schema, String with) throws IOException {
        return LoadFile.write(dir.resolve(schema + ".load"), pg, sourceDb, citus, schema, "include drop, snapshot only" + with,
                "distribute companies using id").toString();
    }

    long orphans() {
        return counts.clicks() / ORPHAN_EVERY;
    }

    @Test
    void orphansStopTheLoadBeforeAnythingIsTouched() throws IOException, SQLException {
        String s = citus.newSchema("stop");
        Run r = Run.of("migrate", file(s, ""));
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("orphan rows: their path to the tenant is NULL or dangling"), r.err());
        assertTrue(r.err().contains(s + ".clicks: " + orphans() + " orphan rows (no tenant key along clicks(ad_id) -> ads(id), ads(campaign_id) -> campaigns(id)), first keys: id=" + ORPHAN_EVERY + "; id=" + 2 * ORPHAN_EVERY),
                r.err());
        assertEquals(List.of(), citus.rows("select 1 from pg_namespace where nspname = '" + s + "'"), "the target was not touched");
    }

    @Test
    void planCountsOrphans() throws IOException {
        Run r = Run.of("plan", file(citus.newSchema("plan"), ""));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(".clicks: " + orphans() + " orphan rows"), r.out());
    }

    @Test
    void skippedOrphansAreCountedAndWrittenOutAndTheRestVerifies() throws IOException, SQLException {
        String s = citus.newSchema("skip");
        Path rejects = dir.resolve("rejects");
        Run r = Run.of("migrate", file(s, ", on orphan rows skip, reject directory = '" + rejects + "', rows per range = 100, workers = 3, concurrency = 2"));
        assertEquals(0, r.code(), r.out() + r.err());
        String out = r.out();
        // the summary: read = written + rejected for clicks, every table verified
        assertTrue(out.matches("(?s).*" + s + "\\.clicks\\s+" + counts.clicks() + "\\s+" + (counts.clicks() - orphans()) + "\\s+" + orphans() + "\\s.*ok.*"), out);
        assertTrue(out.matches("(?s).*" + s + "\\.impressions\\s+" + counts.impressions() + "\\s+" + counts.impressions() + "\\s+0\\s.*ok.*"), out);
        for (String step : List.of("snapshot and orphan check", "schema", "data", "keys, indexes and foreign keys", "sequences", "verification")) {
            assertTrue(out.contains("  " + step + " "), step + " in " + out);
        }
        List<String> lines = Files.readAllLines(rejects.resolve(s + ".clicks.reject.csv"));
        assertEquals(orphans() + 1, lines.size(), "a header and one line per orphan");
        assertTrue(lines.get(0).endsWith(",citus_migrate_reason"), lines.get(0));
        assertTrue(lines.get(1).endsWith(",clicks.ad_id is NULL"), lines.get(1));

        assertEquals(List.of(String.valueOf(counts.clicks() - orphans())), citus.rows("select count(*) from " + s + ".clicks"));
        // every back-filled tenant key equals the one of its ad's campaign
        // (joined on the tenant key, as Citus needs: ids are unique on the source, so a click whose
        // (tenant key, ad) pair exists has its ad's tenant key, and likewise for ads and campaigns)
        assertEquals(List.of("0"), citus.rows("select count(*) from " + s + ".clicks c where not exists (select 1 from " + s
                + ".ads a where a.company_id = c.company_id and a.id = c.ad_id)"));
        assertEquals(List.of("0"), citus.rows("select count(*) from " + s + ".ads a where not exists (select 1 from " + s
                + ".campaigns p where p.company_id = a.company_id and p.id = a.campaign_id)"));
        // sequences equal the source's, and an insert through the coordinator does not collide
        try (Connection src = pg.connect(sourceDb); Statement st = src.createStatement();
             ResultSet rs = st.executeQuery("select last_value from clicks_id_seq")) {
            rs.next();
            assertEquals(List.of(rs.getString(1)), citus.rows("select last_value from " + s + ".clicks_id_seq"));
        }
        citus.rows("insert into " + s + ".clicks (company_id, ad_id, clicked_at, site_url, user_ip, user_data)"
                + " select company_id, id, now(), 'x', '1.2.3.4', '{}' from " + s + ".ads limit 1 returning id");

        // the verify command agrees; a changed row is found and named
        Path f = Path.of(file(s, ", on orphan rows skip"));
        citus.rows("delete from " + s + ".clicks where id = (select max(id) from " + s + ".clicks) returning id");
        Run ok = Run.of("verify", f.toString());
        assertEquals(0, ok.code(), ok.out() + ok.err());
        citus.rows("update " + s + ".impressions set site_url = 'tampered' where id = 7 returning id");
        Run bad = Run.of("verify", f.toString());
        assertEquals(1, bad.code(), bad.out());
        assertTrue(bad.err().contains("verification failed: " + s + ".impressions: contents differ (checksums), e.g. key 7 (differs)"), bad.err());
        // a missing row and a row only on the target are named too (both sides merged in key order, as text: 10 before 9)
        citus.rows("delete from " + s + ".impressions where id in (7, 10) returning id");
        Run missing = Run.of("verify", f.toString());
        assertTrue(missing.err().contains(".impressions: row counts differ") && missing.err().contains("e.g. key 10 (missing on the target)"),
                missing.err());
    }

    /**
     * A cast rule to a shorter type: a value that does not fit stops the load, naming the table
     * and the value's type; it is not truncated (as an explicit cast would do), and the copy's
     * reader thread does not keep the run waiting.
     */
    @Test
    @org.junit.jupiter.api.Timeout(120)
    void aValueThatDoesNotFitACastStopsTheLoadInsteadOfBeingTruncated() throws IOException, SQLException {
        String db = pg.createDatabase("narrow");
        pg.exec(db, """
                create table shops (id int primary key, code text, grade text);
                insert into shops select g, 'c' || g, 'ab' from generate_series(1, 5000) g;
                insert into shops values (6000, 'much too long', 'ab');
                """);
        String s = citus.newSchema("narrow");
        Path f = dir.resolve("narrow.load");
        Files.writeString(f, "load database from " + pg.url(db) + " into " + citus.url()
                + " with include drop, snapshot only cast column shops.code to \"varchar(5)\", column shops.grade to \"char(3)\""
                + " alter schema 'public' rename to '" + s + "' distribute shops using id;");
        Run r = Run.of("migrate", f.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("copying " + s + ".shops failed"), r.err());
        assertTrue(r.err().contains("value too long for type character varying(5)"), r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());

        // once it fits, the values arrive whole: char(3) pads, nothing is cut
        pg.exec(db, "update shops set code = 'long' where id = 6000");
        Run ok = Run.of("migrate", f.toString());
        assertEquals(0, ok.code(), ok.out() + ok.err());
        assertEquals(List.of("long|ab "), citus.rows("select code, grade from " + s + ".shops where id = 6000"));
    }

    @Test
    void anIndexThatCannotBeBuiltFailsTheLoadAndIsNamed() throws IOException, SQLException {
        String db = pg.createDatabase("idx");
        // routines are carried now: this one refuses to work outside the source database
        pg.exec(db, """
                create function norm(text) returns text language plpgsql immutable as $$
                    begin if current_database() <> '%s' then raise exception 'built only on the source'; end if; return lower($1); end $$;
                create table shops (id int primary key, name text);
                create index shops_norm on shops (norm(name));
                insert into shops values (1, 'A'), (2, 'B');
                """.formatted(db));
        String s = citus.newSchema("idx");
        Path f = dir.resolve("idx.load");
        Files.writeString(f, "load database from " + pg.url(db) + " into " + citus.url()
                + " with snapshot only alter schema 'public' rename to '" + s + "' distribute shops using id;");
        Run r = Run.of("migrate", f.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("error: creating index shops_norm on " + s + ".shops failed on the target: ERROR: built only on the source"),
                r.err());
    }

    /**
     * A bulk load leaves its big tables' statistics to the target's autovacuum where it will make
     * them, and makes the small tables' itself (cheap, and their shards may hold fewer rows than
     * autovacuum's threshold); it makes them all where autovacuum would not: here the run's own
     * sessions do not count what they write (`track_counts` off, set by the command file), so
     * autovacuum would never learn of the rows.
     */
    @Test
    void statisticsAreLeftToAutovacuumOnlyWhereItWillMakeThem() throws IOException, SQLException {
        String db = pg.createDatabase("stats");
        try (Connection c = pg.connect(db)) {
            ExampleData.generate(c, 0.04, 0); // clicks and impressions of 60,000 rows: over 8 MB each
        }
        String s = citus.newSchema("stats");
        Path auto = LoadFile.write(dir.resolve("auto.load"), pg, db, citus, s, "include drop, snapshot only", "distribute companies using id");
        Run counted = Run.of("migrate", auto.toString());
        assertEquals(0, counted.code(), counted.out() + counted.err());
        assertTrue(counted.out().contains("statistics of 2 tables left to autovacuum, on on every node"), counted.out());
        assertTrue(counted.out().contains("tables analyzed: 3 statements"), counted.out());
        assertEquals(List.of("t"), citus.rows(hasStatistics(s, "campaigns")), "a small table's made now");

        Path f = dir.resolve("uncounted.load");
        Files.writeString(f, """
                load database from %s into %s
                  with include drop, snapshot only
                  set track_counts to 'off'
                  alter schema 'public' rename to '%s'
                  distribute companies using id;
                """.formatted(pg.url(db), citus.url(), s));
        Run uncounted = Run.of("migrate", f.toString());
        assertEquals(0, uncounted.code(), uncounted.out() + uncounted.err());
        assertFalse(uncounted.out().contains("left to autovacuum"), uncounted.out());
        assertTrue(uncounted.out().contains("tables analyzed: 5 statements"), uncounted.out());
        assertEquals(List.of("t"), citus.rows(hasStatistics(s, "clicks")));
    }

    /** Whether the table has statistics: on Citus, in its shards on some worker. */
    private static String hasStatistics(String schema, String table) {
        String stats = "select count(*) > 0 from pg_stats where schemaname = '" + schema + "' and tablename like '" + table + "%'";
        return citus.isStandIn() ? stats : "select bool_or(result = 't') from run_command_on_workers($$" + stats + "$$)";
    }

    @Test
    void progressIsPlainLinesWhenNotATerminal() throws IOException {
        String s = citus.newSchema("lines");
        Run r = Run.of("migrate", file(s, ", on orphan rows skip, reject directory = '" + dir.resolve("r") + "'"));
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("copying " + s + ".clicks (about " + counts.clicks() + " rows)"), r.out());
        assertTrue(r.out().contains("copied " + s + ".clicks: " + (counts.clicks() - orphans()) + " rows in "), r.out());
    }
}
