package io.citusmigrate.cli;

import io.citusmigrate.example.ExampleData;
import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `citus-migrate FILE`, as one runs `pgloader FILE`: a load that exits, with pgloader's command-line options. */
@org.junit.jupiter.api.extension.ExtendWith(io.citusmigrate.testing.SourceAndCitus.class) // its source and the best Citus there is
class PgloaderWayIT {
    static EmbeddedPg pg;
    static CitusTarget citus;
    static String sourceDb;
    static ExampleData.Counts counts;
    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws SQLException {
        sourceDb = pg.createDatabase("hackathon");
        counts = LoadFile.example(pg, sourceDb, 0);
    }


    @Test
    void pgloadersCitusExampleRunsAsCitusMigrateFileAndExitsWithEveryRowThere() throws Exception {
        String schema = citus.newSchema("hackathon");
        // pgloader's example, unchanged but for its two URLs (and the schema it lands in, which this suite needs)
        String example = Files.readString(Path.of("..", "..", "shared", "examples", "hackathon.load").toAbsolutePath().normalize())
                .replace("pgsql:///hackathon", pg.url(sourceDb)).replace("pgsql://localhost:9700/dim", citus.url())
                .replace("   distribute companies using id", "   alter schema 'public' rename to '" + schema + "'\n   distribute companies using id");
        Path file = dir.resolve("hackathon.load");
        Files.writeString(file, example);
        Run r = Run.of(file.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("Bulk load done on "), r.out());
        assertTrue(r.out().matches("(?s).*TABLE +ROWS READ +WRITTEN +REJECTED.*"), "pgloader's summary table: " + r.out());
        assertEquals(List.of(String.valueOf(counts.impressions())), citus.rows("select count(*) from " + schema + ".impressions"));
        assertEquals(List.of(String.valueOf(counts.clicks())), citus.rows("select count(*) from " + schema + ".clicks"));
        if (!citus.isStandIn()) {
            assertEquals(List.of("ads company_id", "campaigns company_id", "clicks company_id", "companies id", "impressions company_id"),
                    citus.rows("select logicalrelid::regclass::text || ' ' || column_to_column_name(logicalrelid, partkey)"
                            + " from pg_dist_partition where logicalrelid::regclass::text like '" + schema + ".%' order by 1")
                            .stream().map(s -> s.substring(schema.length() + 1)).toList(), "distributed as pgloader distributes them");
        }
        assertEquals(List.of("timestamp with time zone"), citus.rows("select data_type from information_schema.columns where table_schema = '"
                + schema + "' and table_name = 'impressions' and column_name = 'seen_at'"), "the file's cast");
    }

    @Test
    void pgloadersCommandLineOptionsMeanWhatTheyMeanThere() throws Exception {
        String schema = citus.newSchema("options");
        Path file = dir.resolve("options.load");
        Files.writeString(file, """
                load database from %s into %s with include drop
                  alter schema 'public' rename to '%s' distribute companies using id;
                """.formatted(pg.url(sourceDb), citus.url(), schema));
        // --dry-run: checked, nothing written
        Run dry = Run.of(file.toString(), "--dry-run");
        assertEquals(0, dry.code(), dry.out() + dry.err());
        assertTrue(dry.out().contains("the command file parses") && dry.out().contains("nothing was written (--dry-run)"), dry.out());
        assertEquals(List.of(), citus.rows("select 1 from pg_namespace where nspname = '" + schema + "'"), "a dry run writes nothing");

        Path before = dir.resolve("before.sql");
        Files.writeString(before, "create table if not exists public.cm_before_marker_" + schema + " (at timestamptz default now())");
        Path after = dir.resolve("after.sql");
        Files.writeString(after, "insert into " + schema + ".companies (id, name, created_at, updated_at) values (-1, 'added after', now(), now())");
        Path summary = dir.resolve("summary.txt");
        Run r = Run.of(file.toString(), "--quiet", "--summary", summary.toString(), "--with", "workers = 2",
                "--set", "application_name = 'from --set'", "--cast", "column ads.name to varchar",
                "--before", before.toString(), "--after", after.toString(), "--on-error-stop");
        assertEquals(0, r.code(), r.out() + r.err());
        assertFalse(r.out().contains("copying "), "--quiet: no progress lines: " + r.out());
        assertTrue(r.out().matches("(?s).*TABLE +ROWS READ.*"), "--quiet still prints the summary: " + r.out());
        assertTrue(Files.readString(summary).matches("(?s).*TABLE +ROWS READ.*companies.*"), Files.readString(summary));
        assertEquals(List.of("character varying"), citus.rows("select data_type from information_schema.columns where table_schema = '"
                + schema + "' and table_name = 'ads' and column_name = 'name'"), "--cast");
        assertEquals(List.of("1"), citus.rows("select count(*) from pg_class where relname = 'cm_before_marker_" + schema + "'"), "--before");
        assertEquals(List.of("added after"), citus.rows("select name from " + schema + ".companies where id = -1"), "--after");
        try (Connection c = citus.connect(); java.sql.Statement st = c.createStatement()) {
            st.execute("drop table public.cm_before_marker_" + schema);
        }
    }

    /** A file whose clicks meet a CHECK constraint only the target has (added after the schema is created): 6 of them fail it. */
    private Path refusingTarget(String schema, Path rejects) throws Exception {
        Path file = dir.resolve(schema + ".load");
        Files.writeString(file, """
                load database from %s into %s with include drop, on error resume next, reject directory = '%s'
                  after create schema do $$ alter table %s.clicks add constraint only_on_target check (id %% 500 <> 7) $$
                  alter schema 'public' rename to '%s' distribute companies using id;
                """.formatted(pg.url(sourceDb), citus.url(), rejects, schema, schema));
        return file;
    }

    @Test
    void onErrorResumeNextWritesTheRowsTheTargetRefusesToTheRejectFileCountsThemAndLoadsTheRest() throws Exception {
        String schema = citus.newSchema("resumenext");
        Path rejects = dir.resolve("rejects");
        Path file = refusingTarget(schema, rejects);
        Run r = Run.of(file.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        long refused = counts.clicks() / 500 + (counts.clicks() % 500 >= 7 ? 1 : 0);
        assertTrue(r.out().contains("rejected " + refused + " rows of " + schema + ".clicks that the target refused (on error resume next) to "), r.out());
        // read = written + rejected, and the verification holds the target against the source less the refused rows
        assertTrue(r.out().matches("(?s).*" + schema + "\\.clicks +" + counts.clicks() + " +" + (counts.clicks() - refused) + " +" + refused
                + " +\\d+ +[0-9.]+ +ok.*"), r.out());
        assertEquals(List.of(String.valueOf(counts.clicks() - refused)), citus.rows("select count(*) from " + schema + ".clicks"));
        assertEquals(List.of(String.valueOf(counts.impressions())), citus.rows("select count(*) from " + schema + ".impressions"));
        List<String> lines = Files.readAllLines(rejects.resolve(schema + ".clicks.errors.csv"));
        assertEquals(refused + 1, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("\"company_id\",\"id\",") && lines.get(0).endsWith(",\"citus_migrate_error\""), lines.get(0));
        assertTrue(lines.stream().skip(1).allMatch(l -> Long.parseLong(l.split(",")[1].replace("\"", "")) % 500 == 7), lines.toString());
        assertTrue(lines.stream().skip(1).allMatch(l -> l.contains("only_on_target")), lines.toString());
        assertTrue(lines.get(1).contains("\"{\"\"session\"\""), "a jsonb value, its quotes doubled: " + lines.get(1));
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        // `verify` later takes the rows named in the reject file out of the source's side too
        Run verify = Run.of("verify", file.toString());
        assertEquals(0, verify.code(), verify.out() + verify.err());
        assertTrue(verify.out().matches("(?s).*" + schema + "\\.clicks +" + (counts.clicks() - refused) + " +" + (counts.clicks() - refused) + " +ok.*"), verify.out());

        // --on-error-stop over the file's `on error resume next`: the first refused row stops the load, in one line
        Run stop = Run.of(file.toString(), "--on-error-stop");
        assertEquals(1, stop.code(), stop.out() + stop.err());
        assertTrue(stop.err().contains("copying " + schema + ".clicks failed: ") && stop.err().contains("only_on_target"), stop.err());
        assertFalse(stop.err().contains("\tat "), "no stack trace: " + stop.err());

        // a stream would apply later changes to the rows left out: a live migration refuses it before anything is written
        refusedLive(file, "`on error resume next` acts on the rows of the bulk COPY");
    }

    @Test
    void dataOnlyLoadsIntoTheTablesTheTargetHasDroppingNothingAndRefusesTablesUnlikeThePlan() throws Exception {
        String schema = citus.newSchema("dataonly");
        Path file = schemaOnly(schema, "dataonly");
        try (Connection c = citus.connect(); java.sql.Statement st = c.createStatement()) {
            // the user's own index and a row the load's truncate must remove
            st.execute("create index clicks_users_own on " + schema + ".clicks (company_id, clicked_at)");
            st.execute("insert into " + schema + ".companies (id, name, created_at, updated_at) values (-7, 'before', now(), now())");
        }
        String oids = "select string_agg(c.oid::text, ',' order by relname) from pg_class c where relnamespace = '" + schema
                + "'::regnamespace and relkind = 'r'";
        List<String> before = citus.rows(oids);

        Run r = Run.of(file.toString(), "--with", "data only", "--with", "truncate", "--with", "drop indexes", "--with", "reindex");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("tables checked against the plan") && r.out().contains("dropping " + schema + ".clicks_users_own"), r.out());
        assertTrue(r.out().contains("indexes created again: ") && r.out().contains("tables reindexed: "), r.out());
        assertFalse(r.out().contains("DROP TABLE") || r.out().contains("schema: "), r.out());
        assertEquals(before, citus.rows(oids), "the same tables: nothing dropped or created");
        assertEquals(List.of("1"), citus.rows("select count(*) from pg_indexes where schemaname = '" + schema
                + "' and indexname = 'clicks_users_own'"), "the user's index, created again");
        assertEquals(List.of("0"), citus.rows("select count(*) from " + schema + ".companies where id = -7"), "truncate emptied it first");
        assertEquals(List.of(String.valueOf(counts.clicks())), citus.rows("select count(*) from " + schema + ".clicks"));
        assertEquals(List.of(String.valueOf(counts.impressions())), citus.rows("select count(*) from " + schema + ".impressions"));

        // a table unlike the plan: refused before anything is written (the truncate would have emptied them)
        try (Connection c = citus.connect(); java.sql.Statement st = c.createStatement()) {
            st.execute("alter table " + schema + ".ads add column extra int");
        }
        Run mismatch = Run.of(file.toString(), "--with", "data only", "--with", "truncate");
        assertEquals(1, mismatch.code(), mismatch.out() + mismatch.err());
        assertTrue(mismatch.err().contains("`data only`: the target's tables differ from the plan, nothing was written: " + schema
                + ".ads has column extra, which the plan does not"), mismatch.err());
        assertFalse(mismatch.err().contains("\tat "), "no stack trace: " + mismatch.err());
        assertEquals(List.of(String.valueOf(counts.clicks())), citus.rows("select count(*) from " + schema + ".clicks"), "nothing emptied");

        Path liveFile = dir.resolve("dataonly-live.load");
        Files.writeString(liveFile, Files.readString(file).replace("with include drop", "with data only"));
        refusedLive(liveFile, "`data only` loads the rows once into the tables the target has: it needs `snapshot only`");
    }

    @Test
    void disableTriggersWithDataOnlyLoadsPastTheTargetsTriggersAndEnablesThemAgain() throws Exception {
        String schema = citus.newSchema("triggers");
        Path file = schemaOnly(schema, "triggers");
        try (Connection c = citus.connect(); java.sql.Statement st = c.createStatement()) {
            // the target's own trigger, which refuses every row it sees
            st.execute("set citus.enable_unsafe_triggers = on");
            st.execute("create function " + schema + ".refuse() returns trigger language plpgsql as $$ begin raise exception 'the trigger fired'; end $$");
            st.execute("create trigger refuse before insert on " + schema + ".clicks for each row execute function " + schema + ".refuse()");
        }
        Run fired = Run.of(file.toString(), "--with", "data only", "--with", "truncate");
        assertEquals(1, fired.code(), "without disable triggers the target's trigger acts: " + fired.out() + fired.err());
        assertTrue(fired.err().contains("the trigger fired"), fired.err());

        Run r = Run.of(file.toString(), "--with", "data only", "--with", "truncate", "--with", "disable triggers");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("ALTER TABLE " + schema + ".clicks DISABLE TRIGGER ALL")
                && r.out().contains("ALTER TABLE " + schema + ".clicks ENABLE TRIGGER ALL"), r.out());
        assertEquals(List.of(String.valueOf(counts.clicks())), citus.rows("select count(*) from " + schema + ".clicks"));
        assertEquals(List.of(String.valueOf(counts.impressions())), citus.rows("select count(*) from " + schema + ".impressions"));
        assertEquals(List.of("0"), citus.rows("select count(*) from pg_trigger where tgenabled = 'D' and tgrelid in"
                + " (select oid from pg_class where relnamespace = '" + schema + "'::regnamespace)"), "every trigger enabled again, Citus's own too");
        // enabled again on the shards too: a row inserted now meets the trigger
        try (Connection c = citus.connect(); java.sql.Statement st = c.createStatement()) {
            SQLException e = org.junit.jupiter.api.Assertions.assertThrows(SQLException.class, () -> st.execute("insert into " + schema
                    + ".clicks (company_id, id, ad_id, clicked_at, site_url, user_ip, user_data) select company_id, -1, ad_id, clicked_at,"
                    + " site_url, user_ip, user_data from " + schema + ".clicks limit 1"));
            assertTrue(e.getMessage().contains("the trigger fired"), e.getMessage());
        }
    }

    /** A command file that distributes the example into {@code schema}, run `--with "schema only"`: the target's tables, empty. */
    private Path schemaOnly(String schema, String name) throws Exception {
        Path file = LoadFile.write(dir.resolve(name + ".load"), pg, sourceDb, citus, schema, "include drop", "distribute companies using id");
        Run schemaOnly = Run.of(file.toString(), "--with", "schema only");
        assertEquals(0, schemaOnly.code(), schemaOnly.out() + schemaOnly.err());
        return file;
    }

    /** `migrate` of the file (a live migration) refused before anything is written, saying why. */
    private static void refusedLive(Path file, String why) {
        Run live = Run.of("migrate", file.toString());
        assertEquals(1, live.code(), live.out() + live.err());
        assertTrue(live.err().contains(why), live.err());
    }
}
