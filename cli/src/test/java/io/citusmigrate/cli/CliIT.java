package io.citusmigrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Drives the command line as a user would and checks what it prints and leaves behind. */
@org.junit.jupiter.api.extension.ExtendWith(io.citusmigrate.testing.SourceAndCitus.class) // its source and the best Citus there is
class CliIT {
    static EmbeddedPg pg;
    static CitusTarget citus;
    static String sourceDb;
    static String plainDb;
    @TempDir
    Path dir;


    @BeforeAll
    static void start() throws IOException {
        sourceDb = pg.createDatabase("hackathon");
        try (InputStream in = CliIT.class.getResourceAsStream("/examples/multitenant-schema.sql")) {
            pg.exec(sourceDb, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        plainDb = pg.createDatabase("plain");
    }



    /** The example command file of pgloader's Citus documentation, with this test's URLs. */
    String exampleFile(String target, String extra) throws IOException {
        Path f = dir.resolve("hackathon.load");
        Files.writeString(f, """
                load database
                   from %s
                   into %s

                   with include drop, reset no sequences%s

                   cast column impressions.seen_at to "timestamp with time zone"

                   distribute companies using id
                   ;
                """.formatted(pg.url(sourceDb), target, extra));
        return f.toString();
    }


    /**
     * The launcher's JVM options (the JIT kept off one method of TLS, docs/COMMAND-FILE.md) are
     * taken, and the JVM says nothing of them: the tool's output is all there is.
     */
    @Test
    void theLauncherAddsNothingToWhatTheToolPrints() throws Exception {
        Path launcher = Path.of("..", "citus-migrate").toAbsolutePath().normalize();
        Process p = new ProcessBuilder("bash", launcher.toString(), "--version").directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.matches("citus-migrate \\S+\\R"), out);
    }

    @Test
    void theLauncherStartsACommandFromTheClassesTheBuildRecorded() throws Exception {
        // the package phase records a command's startup classes (StartupClasses); the launcher maps them: the tool's own
        // classes come from the archive, not from the jar (each command's start about 0.2 CPU-s shorter)
        Path launcher = Path.of("..", "citus-migrate").toAbsolutePath().normalize();
        ProcessBuilder pb = new ProcessBuilder("bash", launcher.toString(), "--version").directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("CITUS_MIGRATE_JAVA_OPTS", "-Xlog:class+load=info -Xms64m -Xmx256m -XX:+UseSerialGC");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("io.citusmigrate.cli.Main source: shared objects file (top)"), out.lines().filter(l -> l.contains("citusmigrate"))
                .findFirst().orElse(out));
        assertTrue(out.contains("picocli.CommandLine source: "), "the jar's classes load as ever where the archive cannot hold them");
    }

    @Test
    void helpTextsPrintAsWritten() {
        Run r = Run.of("help", "deploy");
        assertEquals(0, r.code(), r.err());
        // (the help wraps lines where it likes)
        assertTrue(r.out().replaceAll("\\s+", "").contains("${env:CITUS_MIGRATE_SOURCE_PASSWORD}and${env:CITUS_MIGRATE_TARGET_PASSWORD}"), r.out());
        assertFalse(r.out().contains("null"), r.out());
    }

    @Test
    void planShowsFiveColocatedTablesWithTheirBackfillPaths() throws IOException {
        Run r = Run.of("plan", exampleFile(citus.url(), ""));
        assertEquals(0, r.code(), r.err());
        String out = r.out();
        assertTrue(out.contains("public.companies    distributed  id                   -                 (root)"), out);
        assertTrue(out.contains("public.campaigns    distributed  company_id           public.companies  (carries the column)"), out);
        assertTrue(out.contains("public.ads          distributed  company_id (added)   public.companies  ads(campaign_id) -> campaigns(company_id)"), out);
        assertTrue(out.contains("public.clicks       distributed  company_id (added)   public.companies  clicks(ad_id) -> ads(campaign_id) -> campaigns(company_id)"), out);
        assertTrue(out.contains("public.impressions  distributed  company_id (added)   public.companies  impressions(ad_id) -> ads(campaign_id) -> campaigns(company_id)"), out);
        assertTrue(out.contains("public.impressions: column seen_at: timestamp without time zone cast to timestamp with time zone"), out);
        assertTrue(out.contains("primary key clicks_pkey (id) extended to (company_id, id)"), out);
        assertTrue(out.contains("SELECT create_distributed_table('public.ads', 'company_id', colocate_with => 'public.companies');"), out);
        assertTrue(out.contains("The plan can work on Citus."), out);
    }

    @Test
    void planAsJson() throws IOException {
        Run r = Run.of("plan", "--json", exampleFile(citus.url(), ""));
        assertEquals(0, r.code(), r.err());
        JsonNode plan = new ObjectMapper().readTree(r.out());
        assertTrue(plan.get("ok").asBoolean());
        assertEquals(5, plan.get("tables").size());
        for (JsonNode t : plan.get("tables")) {
            assertEquals("distributed", t.get("kind").asText());
            String name = t.get("source").asText();
            assertEquals(name.equals("public.companies") ? "id" : "company_id", t.get("distributionColumn").asText(), name);
        }
        JsonNode clicks = plan.get("tables").get(3);
        assertEquals("public.clicks", clicks.get("source").asText());
        assertEquals("clicks(ad_id) -> ads(id)", clicks.get("backfillPath").get(0).asText());
        JsonNode needs = plan.get("liveNeeds").get("needs");
        assertEquals(4, needs.size(), needs.toString());
        needs.forEach(n -> assertTrue(n.get("met").asBoolean(), n.toString())); // the embedded source's superuser, logical WAL
    }

    @Test
    void migrateSchemaOnlyLeavesTheRewrittenSchemaOnCitus() throws IOException, SQLException {
        String s = citus.newSchema("hackathon");
        Run r = Run.of("migrate", exampleFile(citus.url(), ", schema only\n   alter schema 'public' rename to '" + s + "'"));
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("Schema created on"), r.out());

        assertEquals(List.of("ads|distributed|company_id", "campaigns|distributed|company_id", "clicks|distributed|company_id",
                        "companies|distributed|id", "impressions|distributed|company_id"),
                citus.rows("select c.relname, t.citus_table_type, t.distribution_column from citus_tables t join pg_class c on c.oid = t.table_name"
                        + " where c.relnamespace = '" + s + "'::regnamespace order by 1"));
        List<String> colocation = citus.rows("select distinct colocation_id from citus_tables t join pg_class c on c.oid = t.table_name"
                + " where c.relnamespace = '" + s + "'::regnamespace");
        assertEquals(1, colocation.size(), "all five are colocated");
        // every primary key starts with company_id (companies' own key is its distribution column)
        assertEquals(List.of("ads|PRIMARY KEY (company_id, id)", "campaigns|PRIMARY KEY (company_id, id)", "clicks|PRIMARY KEY (company_id, id)",
                        "companies|PRIMARY KEY (id)", "impressions|PRIMARY KEY (company_id, id)"),
                citus.rows("select conrelid::regclass::text, pg_get_constraintdef(oid) from pg_constraint where contype = 'p'"
                        + " and connamespace = '" + s + "'::regnamespace order by 1").stream().map(x -> x.substring(x.indexOf('.') + 1)).toList());
        assertEquals(List.of("ads|FOREIGN KEY (company_id, campaign_id) REFERENCES " + s + ".campaigns(company_id, id)",
                        "campaigns|FOREIGN KEY (company_id) REFERENCES " + s + ".companies(id)",
                        "clicks|FOREIGN KEY (company_id, ad_id) REFERENCES " + s + ".ads(company_id, id)",
                        "impressions|FOREIGN KEY (company_id, ad_id) REFERENCES " + s + ".ads(company_id, id)"),
                citus.rows("select conrelid::regclass::text, pg_get_constraintdef(oid) from pg_constraint where contype = 'f'"
                        + " and connamespace = '" + s + "'::regnamespace order by 1").stream().map(x -> x.substring(x.indexOf('.') + 1)).toList());
        // every NOT NULL column of the source is still NOT NULL (pgloader loses these)
        List<String> sourceNotNull = new ArrayList<>();
        try (Connection c = pg.connect(sourceDb); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select table_name || '.' || column_name from information_schema.columns"
                     + " where table_schema = 'public' and is_nullable = 'NO' order by 1")) {
            while (rs.next()) sourceNotNull.add(rs.getString(1));
        }
        List<String> targetNotNull = citus.rows("select table_name || '.' || column_name from information_schema.columns"
                + " where table_schema = '" + s + "' and is_nullable = 'NO' order by 1");
        assertTrue(targetNotNull.containsAll(sourceNotNull), "missing NOT NULL: " + sourceNotNull.stream().filter(x -> !targetNotNull.contains(x)).toList());
        assertEquals(List.of("timestamp with time zone"), citus.rows("select data_type from information_schema.columns where table_schema = '" + s
                + "' and table_name = 'impressions' and column_name = 'seen_at'"));
        // the tenant column comes first in the tables that gained it
        assertEquals(List.of("ads|company_id", "clicks|company_id", "impressions|company_id"),
                citus.rows("select table_name, column_name from information_schema.columns where table_schema = '" + s
                        + "' and ordinal_position = 1 and table_name in ('ads', 'clicks', 'impressions') order by 1"));

        // include drop: running again recreates the same schema
        Run again = Run.of("migrate", exampleFile(citus.url(), ", schema only\n   alter schema 'public' rename to '" + s + "'"));
        assertEquals(0, again.code(), again.out() + again.err());
        assertEquals(5, citus.rows("select 1 from citus_tables t join pg_class c on c.oid = t.table_name where c.relnamespace = '" + s + "'::regnamespace").size());
    }

    @Test
    void loadBlocksRunInOrder() throws IOException, SQLException {
        String s = citus.newSchema("blocks");
        Path f = dir.resolve("blocks.load");
        Files.writeString(f, """
                load database from %s into %s
                  with schema only
                  set work_mem to '8MB'
                  before load do $$ create schema if not exists %s; create table %s.log (step text, at serial) $$
                  after create schema do $$ insert into %s.log (step) select 'after schema: ' || count(*) from citus_tables
                                            where table_name::text like '%s.%%' $$
                  after load do $$ insert into %s.log (step) select 'after load: ' || count(*) from pg_constraint
                                   where contype = 'f' and connamespace = '%s'::regnamespace $$
                  alter schema 'public' rename to '%s'
                  distribute companies using id;
                """.formatted(pg.url(sourceDb), citus.url(), s, s, s, s, s, s, s));
        Run r = Run.of("migrate", f.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        // distribution happened before AFTER CREATE SCHEMA, foreign keys before AFTER LOAD
        assertEquals(List.of("after schema: 5", "after load: 4"), citus.rows("select step from " + s + ".log order by at"));
    }

    @Test
    void aTargetWithoutCitusIsAnErrorUnlessRehearsing() throws IOException, SQLException {
        String file = exampleFile(pg.url(plainDb), ", schema only");
        Run r = Run.of("migrate", file);
        assertEquals(1, r.code());
        assertTrue(r.err().endsWith("error: the target database " + pg.url(plainDb) + " has no citus extension: run CREATE EXTENSION citus there,"
                + " or pass --rehearsal to create the rewritten schema on plain PostgreSQL\n"), r.err());

        Run rehearsal = Run.of("migrate", "--rehearsal", file);
        assertEquals(0, rehearsal.code(), rehearsal.out() + rehearsal.err());
        assertTrue(rehearsal.out().contains("rehearsal, not run: SELECT create_distributed_table('public.clicks', 'company_id', colocate_with => 'public.companies');"),
                rehearsal.out());
        try (Connection c = pg.connect(plainDb); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select pg_get_constraintdef(oid) from pg_constraint where conname = 'clicks_pkey'")) {
            assertTrue(rs.next());
            assertEquals("PRIMARY KEY (company_id, id)", rs.getString(1));
        }
    }

    @Test
    void anUnreachableDatabaseIsOneLineNamingIt() throws IOException {
        Path f = dir.resolve("down.load");
        Files.writeString(f, "load database from pgsql://someone:{{CM_TEST_PASSWORD}}@127.0.0.1:1/nowhere into " + citus.url() + " with schema only;");
        Run r = Run.of("plan", f.toString());
        assertEquals(3, r.code());
        assertTrue(r.err().startsWith("error: cannot connect to the source database postgresql://someone@127.0.0.1:1/nowhere: "), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse((r.out() + r.err()).contains("s3cret-test"), "the password never appears");
    }

    @Test
    void aBadCommandFileIsFileLineCol() throws IOException {
        Path f = dir.resolve("bad.load");
        Files.writeString(f, "load database\n  from " + pg.url(sourceDb) + "\n  into " + citus.url() + "\n  with include drop, fast please;");
        Run r = Run.of("plan", f.toString());
        assertEquals(2, r.code());
        assertEquals("error: " + f + ":4:22: unknown option 'fast please'\n", r.err());

        Run none = Run.of("plan", dir.resolve("no-such.load").toString());
        assertEquals(2, none.code());
        assertTrue(none.err().startsWith("error: cannot read command file "), none.err());

        Path g = dir.resolve("missing.load");
        Files.writeString(g, "load database from " + pg.url(sourceDb) + " into " + citus.url() + "\n  distribute compnies using id;");
        Run m = Run.of("plan", g.toString());
        assertEquals(2, m.code());
        assertEquals("error: " + g + ":2:14: table compnies does not exist in the source database\n", m.err());
    }

    @Test
    void aPlanCitusWouldRejectExitsNonZeroAndTouchesNothing() throws IOException, SQLException {
        String bad = pg.createDatabase("bad");
        pg.exec(bad, "create table a (id bigint primary key); create table b (id int primary key, a_id int not null references a);");
        Path f = dir.resolve("reject.load");
        String s = citus.newSchema("reject");
        Files.writeString(f, "load database from " + pg.url(bad) + " into " + citus.url()
                + " with schema only alter schema 'public' rename to '" + s + "' distribute a using id;");
        Run plan = Run.of("plan", f.toString());
        assertEquals(1, plan.code());
        assertTrue(plan.out().contains("error: public.b: cannot colocate tables b and a: a_id is integer but id is bigint"), plan.out());
        Run migrate = Run.of("migrate", f.toString());
        assertEquals(1, migrate.code());
        assertTrue(migrate.err().contains("nothing was changed on the target"), migrate.err());
        assertEquals(List.of(), citus.rows("select 1 from pg_namespace where nspname = '" + s + "'"));
    }

    @Test
    void createNoTablesNeedsTheTablesToExist() throws IOException {
        String s = citus.newSchema("notables");
        Run r = Run.of("migrate", exampleFile(citus.url(), ", schema only, create no tables\n   alter schema 'public' rename to '" + s + "'"));
        assertEquals(1, r.code());
        assertTrue(r.err().contains("error: `create no tables` is set but table " + s + ".companies does not exist on the target"), r.err());
    }

    @Test
    void sinkConfigCarriesThePlanAndNoPassword() throws IOException {
        Path f = dir.resolve("sink.load");
        Files.writeString(f, "load database from postgresql://postgres:{{CM_TEST_PASSWORD}}@localhost:" + pg.port() + "/" + sourceDb
                + " into postgresql://citus:{{CM_TEST_PASSWORD}}@coordinator:5432/dim distribute companies using id;");
        Run r = Run.of("sink-config", f.toString());
        assertEquals(0, r.code(), r.err());
        assertFalse(r.out().contains("s3cret-test"), "no password in a generated config");
        JsonNode c = new ObjectMapper().readTree(r.out());
        assertEquals("${env:CITUS_MIGRATE_TARGET_PASSWORD}", c.get("connection.password").asText());
        assertEquals("jdbc:postgresql://coordinator:5432/dim", c.get("connection.url").asText());
        assertEquals("src.public.companies,src.public.campaigns,src.public.ads,src.public.clicks,src.public.impressions", c.get("topics").asText());
        JsonNode rules = new ObjectMapper().readTree(c.get("citus.tables").asText());
        JsonNode clicks = rules.get(3);
        assertEquals("public.clicks", clicks.get("source").asText());
        assertTrue(clicks.get("tenantAdded").asBoolean());
        assertEquals("ads", clicks.get("parent").get("parentTable").asText());
        // the sink's own validator accepts it
        var conf = new java.util.HashMap<String, String>();
        c.fields().forEachRemaining(e -> conf.put(e.getKey(), e.getValue().asText()));
        assertEquals(0, new io.citusmigrate.sink.CitusSinkConnector().validate(conf).configValues().stream()
                .mapToInt(v -> v.errorMessages().size()).sum());
    }
}
