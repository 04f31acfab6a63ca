package io.citusmigrate.load;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoadFileParserTest {
    private static final Map<String, String> ENV = Map.of("PGPASS", "s3cret", "SRC_DB", "hackathon");

    private static LoadCommand parse(String text) {
        return LoadFileParser.parse("test.load", text, ENV::get);
    }

    private static LoadFileException error(String text) {
        return assertThrows(LoadFileException.class, () -> parse(text));
    }

    @Test
    void parsesPgloadersCitusExampleUnchanged() throws Exception {
        String text = Files.readString(Path.of("../config/hackathon.load"));
        LoadCommand c = parse(text);
        assertEquals("hackathon", c.source().database());
        assertEquals("localhost", c.target().host());
        assertEquals(9700, c.target().port());
        assertEquals("dim", c.target().database());
        assertTrue(c.options().flag(Option.INCLUDE_DROP));
        assertFalse(c.options().flag(Option.RESET_SEQUENCES));
        assertEquals(1, c.casts().size());
        CastRule cast = c.casts().get(0);
        assertEquals("impressions", cast.table().name());
        assertEquals("seen_at", cast.column());
        assertEquals("timestamp with time zone", cast.targetType());
        assertEquals(1, c.distribute().size());
        DistributeRule r = c.distribute().get(0);
        assertEquals("companies", r.table().name());
        assertEquals("id", r.column());
        assertTrue(r.from().isEmpty());
    }

    @Test
    void theTextHandedToAConnectWorkerHasNoPasswordAndReadsBackAsTheSameCommand(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("live.load");
        Files.writeString(file, """
                load database
                  from postgresql://app:{{PGPASS}}@db.example:5433/{{SRC_DB}}
                  into pgsql://citus:p%40ss@coord:9700/dim?password=other&sslmode=require
                  with include drop
                  distribute companies using id;
                """);
        String text = LoadFileParser.textWithoutPasswords(file, ENV::get);
        assertFalse(text.contains("s3cret") || text.contains("p%40ss") || text.contains("other"), text);
        LoadCommand c = parse(text);
        assertEquals("app@db.example:5433/hackathon", c.source().user() + "@" + c.source().host() + ":" + c.source().port() + "/"
                + c.source().database());
        assertNull(c.source().password());
        assertEquals("require", c.target().params().get("sslmode"));
        assertEquals("citus", c.target().user());
        assertEquals(1, c.distribute().size());
    }

    @Test
    void everyClause() {
        LoadCommand c = parse("""
                LOAD DATABASE
                     FROM pgsql://app:{{PGPASS}}@db.example.com:5433/{{SRC_DB}}?sslmode=require
                     INTO postgresql://citus@coord/dim
                  WITH include no drop, truncate, disable triggers, create no tables, create no indexes,
                       create schema, drop schema, no foreign keys, reset sequences,
                       workers = 8, concurrency = 2, max parallel create index = 4, batch rows = 1000,
                       batch size = 10 MB, prefetch rows = 500, rows per range = 50000, chunk size = 1 GB,
                       multiple readers per thread, on error stop, uniquify index names,
                       snapshot only, snapshot method = 'debezium', slot name = 'my_slot',
                       publication name = 'my_pub', on orphan rows skip, reject directory = '/tmp/rejects'
                   SET PostgreSQL PARAMETERS work_mem TO '64MB', maintenance_work_mem = '1GB'
                   SET search_path to 'public'
                BEFORE LOAD DO $$ create extension if not exists hstore; $$, $tag$ select 1 $tag$
                AFTER CREATE SCHEMA DO $$ select 2 $$
                AFTER LOAD DO $$ select 3 $$
                  CAST type datetime when default '0000-00-00' with extra auto_increment to timestamptz drop default drop not null,
                       type varchar(255) to text drop typemod,
                       column "Sales"."Order Items".qty to "numeric(12,2)" keep not null set not null using zero-dates-to-null,
                       type int to bigint keep typemod keep default
                INCLUDING ONLY TABLE NAMES MATCHING ~/^film/, 'actor' IN SCHEMA 'public'
                INCLUDING ONLY TABLE NAMES MATCHING ~<orders$>, ~[x], ~{y}, ~(z), ~|w|, ~"v", ~#u#
                EXCLUDING TABLE NAMES MATCHING ~<temp>
                ALTER SCHEMA 'public' RENAME TO 'app'
                ALTER TABLE NAMES MATCHING 'film' IN SCHEMA 'public' SET SCHEMA 'movies'
                ALTER TABLE NAMES MATCHING ~/old_/ RENAME TO 'new_name'
                ALTER TABLE NAMES MATCHING 'actor' SET (fillfactor = '40', autovacuum_enabled = 'false')
                ALTER TABLE NAMES MATCHING 'actor' SET TABLESPACE 'fast'
                DISTRIBUTE companies USING id
                DISTRIBUTE ads USING company_id FROM campaigns
                DISTRIBUTE "Sales"."Order Items" USING Company_Id FROM orders, campaigns COLOCATE WITH 'companies'
                DISTRIBUTE countries AS REFERENCE TABLE
                ;
                """);
        assertEquals("app", c.source().user());
        assertEquals("s3cret", c.source().password());
        assertEquals("hackathon", c.source().database());
        assertEquals(5433, c.source().port());
        assertEquals("require", c.source().params().get("sslmode"));
        assertEquals("citus", c.target().user());
        assertEquals(5432, c.target().port());

        Options o = c.options();
        assertFalse(o.flag(Option.INCLUDE_DROP));
        assertTrue(o.flag(Option.TRUNCATE));
        assertTrue(o.flag(Option.DISABLE_TRIGGERS));
        assertFalse(o.flag(Option.CREATE_TABLES));
        assertFalse(o.flag(Option.CREATE_INDEXES));
        assertTrue(o.flag(Option.CREATE_SCHEMA));
        assertTrue(o.flag(Option.DROP_SCHEMA));
        assertFalse(o.flag(Option.FOREIGN_KEYS));
        assertTrue(o.flag(Option.RESET_SEQUENCES));
        assertEquals(8, o.integer(Option.WORKERS));
        assertEquals(2, o.integer(Option.CONCURRENCY));
        assertEquals(4, o.integer(Option.MAX_PARALLEL_CREATE_INDEX));
        assertEquals(1000, o.integer(Option.BATCH_ROWS));
        assertEquals(10L << 20, o.bytes(Option.BATCH_SIZE));
        assertEquals(500, o.integer(Option.PREFETCH_ROWS));
        assertEquals(50000, o.integer(Option.ROWS_PER_RANGE));
        assertEquals(1L << 30, o.bytes(Option.CHUNK_SIZE));
        assertEquals("multiple", o.string(Option.READERS_PER_THREAD));
        assertEquals("stop", o.string(Option.ON_ERROR));
        assertEquals("uniquify", o.string(Option.INDEX_NAMES));
        assertTrue(o.flag(Option.SNAPSHOT_ONLY));
        assertEquals("debezium", o.string(Option.SNAPSHOT_METHOD));
        assertEquals("my_slot", o.string(Option.SLOT_NAME));
        assertEquals("my_pub", o.string(Option.PUBLICATION_NAME));
        assertEquals("skip", o.string(Option.ON_ORPHAN_ROWS));
        assertEquals("/tmp/rejects", o.string(Option.REJECT_DIRECTORY));

        assertEquals(List.of("work_mem", "maintenance_work_mem", "search_path"), c.settings().stream().map(LoadCommand.Setting::name).toList());
        assertEquals("64MB", c.settings().get(0).value());
        assertEquals(2, c.beforeLoad().size());
        assertEquals(" create extension if not exists hstore; ", c.beforeLoad().get(0).sql());
        assertEquals(" select 1 ", c.beforeLoad().get(1).sql());
        assertEquals(" select 2 ", c.afterCreateSchema().get(0).sql());
        assertEquals(" select 3 ", c.afterLoad().get(0).sql());

        assertEquals(4, c.casts().size());
        CastRule t = c.casts().get(0);
        assertEquals("datetime", t.sourceType());
        assertEquals("0000-00-00", t.whenDefault());
        assertTrue(t.autoIncrement());
        assertEquals("timestamptz", t.targetType());
        assertEquals(Set.of(CastRule.Flag.DROP_DEFAULT, CastRule.Flag.DROP_NOT_NULL), t.flags());
        assertEquals("varchar(255)", c.casts().get(1).sourceType());
        assertEquals(Set.of(CastRule.Flag.DROP_TYPEMOD), c.casts().get(1).flags());
        CastRule col = c.casts().get(2);
        assertEquals(new TableRef("Sales", "Order Items", col.table().at()), col.table());
        assertEquals("qty", col.column());
        assertEquals("numeric(12,2)", col.targetType());
        assertEquals("zero-dates-to-null", col.using());
        assertEquals(Set.of(CastRule.Flag.KEEP_NOT_NULL, CastRule.Flag.SET_NOT_NULL), col.flags());
        assertEquals("bigint", c.casts().get(3).targetType());

        assertEquals(2, c.including().size());
        assertTrue(c.including().get(0).matches("public", "film_actor"));
        assertTrue(c.including().get(0).matches("public", "actor"));
        assertFalse(c.including().get(0).matches("other", "actor"));
        assertFalse(c.including().get(0).matches("public", "actors"));
        assertEquals(7, c.including().get(1).patterns().size());
        assertTrue(c.excluding().get(0).matches("x", "my_temp_table"));
        assertEquals("public", c.schemaRenames().get(0).from());
        assertEquals("app", c.schemaRenames().get(0).to());
        assertEquals(4, c.alterTables().size());
        assertEquals(LoadCommand.AlterTableRule.Action.SET_SCHEMA, c.alterTables().get(0).action());
        assertEquals("movies", c.alterTables().get(0).value());
        assertEquals(LoadCommand.AlterTableRule.Action.RENAME, c.alterTables().get(1).action());
        assertEquals(Map.of("fillfactor", "40", "autovacuum_enabled", "false"), c.alterTables().get(2).storageParams());
        assertEquals("fast", c.alterTables().get(3).value());

        assertEquals(4, c.distribute().size());
        DistributeRule ads = c.distribute().get(1);
        assertEquals(List.of("campaigns"), ads.from().stream().map(TableRef::name).toList());
        DistributeRule items = c.distribute().get(2);
        assertEquals("Sales", items.table().schema());
        assertEquals("Order Items", items.table().name());
        assertEquals("company_id", items.column(), "unquoted names fold to lower case");
        assertEquals(List.of("orders", "campaigns"), items.from().stream().map(TableRef::name).toList());
        assertEquals("companies", items.colocateWith().name());
        assertTrue(c.distribute().get(3).reference());
    }

    @Test
    void optionsThatMeanNothingHereSayWhyOnce() {
        LoadCommand c = parse("load database from pgsql:///a into pgsql:///b with batch rows = 4, include drop, disable triggers;");
        List<String> warnings = c.warnings().stream().map(Object::toString).toList();
        assertEquals(List.of("test.load:1:52: warning: option 'batch rows' means nothing here: rows travel as one COPY stream per table or"
                        + " page range, not in batches; `workers` and `rows per range` set the parallelism",
                "test.load:1:82: warning: option 'disable triggers' means nothing here without `data only`: the target has no triggers while it loads (they"
                        + " are created after the data), so none fire"), warnings);
        for (Option o : Option.values()) {
            assertTrue(o.implemented || (o.meansNothing() == null) != (o.refused() == null), o + " acts, means nothing, or is refused");
        }
    }

    @Test
    void copyToShardsIsTheDefaultAndCopyThroughCoordinatorTurnsItOff() {
        assertTrue(parse("load database from pgsql:///a into pgsql:///b;").options().flag(Option.COPY_TO_SHARDS));
        LoadCommand c = parse("load database from pgsql:///a into pgsql:///b with copy through coordinator;");
        assertTrue(c.warnings().isEmpty(), c.warnings().toString());
        assertFalse(c.options().flag(Option.COPY_TO_SHARDS));
        assertTrue(parse("load database from pgsql:///a into pgsql:///b with copy to shards;").options().flag(Option.COPY_TO_SHARDS));
    }

    @Test
    void onErrorStopAndResumeNextBothActWithoutAWord() {
        for (String option : List.of("stop", "resume next")) {
            LoadCommand c = parse("load database from pgsql:///a into pgsql:///b with on error " + option + ";");
            assertTrue(c.warnings().isEmpty(), c.warnings().toString());
            assertEquals(option, c.options().string(Option.ON_ERROR));
        }
    }

    @Test
    void dataOnlyActsWithItsIndexOptionsWhichMeanNothingWithoutIt() {
        LoadCommand c = parse("load database from pgsql:///a into pgsql:///b with data only, drop indexes, reindex;");
        assertTrue(c.options().flag(Option.DATA_ONLY) && c.options().flag(Option.DROP_INDEXES) && c.options().flag(Option.REINDEX));
        assertTrue(c.warnings().isEmpty(), c.warnings().toString());
        List<String> warnings = parse("load database from pgsql:///a into pgsql:///b with drop indexes;").warnings().stream()
                .map(Object::toString).toList();
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("option 'drop indexes' means nothing here without `data only`"), warnings.toString());
        LoadFileException e = assertThrows(LoadFileException.class,
                () -> parse("load database from pgsql:///a into pgsql:///b with schema only, data only;"));
        assertTrue(e.getMessage().startsWith("test.load:1:65: `data only` and `schema only` together leave nothing to do"), e.getMessage());
    }

    @Test
    void commentsAndCaseAnywhere() {
        LoadCommand c = parse("""
                -- a comment
                Load /* inline */ Database
                  From pgsql:///a   -- trailing
                  Into pgsql:///b
                  With Include Drop /* between */ , Reset No Sequences
                  Distribute Companies Using ID;
                """);
        assertTrue(c.options().flag(Option.INCLUDE_DROP));
        assertEquals("companies", c.distribute().get(0).table().name());
        assertEquals("id", c.distribute().get(0).column());
    }

    @Test
    void urlDefaultsComeFromTheEnvironment() {
        Map<String, String> env = Map.of("PGHOST", "envhost", "PGPORT", "6000", "PGUSER", "envuser", "PGPASSWORD", "envpw", "PGDATABASE", "envdb");
        ConnectionUrl u = ConnectionUrl.parse("pgsql://", env::get);
        assertEquals("envhost", u.host());
        assertEquals(6000, u.port());
        assertEquals("envuser", u.user());
        assertEquals("envpw", u.password());
        assertEquals("envdb", u.database());
        ConnectionUrl d = ConnectionUrl.parse("postgres:///only_db", k -> null);
        assertEquals("localhost", d.host());
        assertEquals(5432, d.port());
        assertEquals("only_db", d.database());
        assertNull(d.password());
    }

    @Test
    void urlNeverShowsItsPassword() {
        ConnectionUrl u = ConnectionUrl.parse("pgsql://me:topsecret@h:1/db", k -> null);
        assertFalse(u.toString().contains("topsecret"));
        assertEquals("postgresql://me@h:1/db", u.toString());
        ConnectionUrl q = ConnectionUrl.parse("postgresql://h/db?user=u2&password=pw2&sslmode=disable", k -> null);
        assertEquals("u2", q.user());
        assertEquals("pw2", q.password());
        assertEquals(Map.of("sslmode", "disable"), q.params());
    }

    // ---- errors: file:line:col: message --------------------------------------------------

    @Test
    void distributeSchemasMatchingPatternsAndATableNamedSchemasStillATable() {
        LoadCommand c = parse("load database from pgsql:///a into pgsql:///b\n distribute schemas matching ~/^tenant_/, 'acme'\n"
                + " distribute schemas using id;");
        DistributeRule schemas = c.distribute().get(0);
        assertTrue(schemas.isSchemaRule());
        assertTrue(schemas.schemas().get(0).matches("tenant_42"));
        assertTrue(schemas.schemas().get(1).matches("acme"));
        assertFalse(schemas.schemas().get(1).matches("acme2"));
        assertEquals("distribute schemas matching ~/^tenant_/, 'acme'", schemas.toString());
        assertEquals("test.load:2:2", schemas.at().toString());
        assertEquals("schemas", c.distribute().get(1).table().name());
        assertFalse(c.distribute().get(1).isSchemaRule());
        assertEquals("test.load:1:74: expected a pattern ('name' or ~/regex/), found end of file",
                error("load database from pgsql:///a into pgsql:///b distribute schemas matching").getMessage());
    }

    @Test
    void distributeSchemasIntoOneSchemaUsingATenantKeyConsolidatesThem() throws Exception {
        LoadCommand c = parse("load database from pgsql:///a into pgsql:///b\n distribute schemas matching ~/^tenant_/ into 'public' using tenant_id;");
        DistributeRule r = c.distribute().get(0);
        assertTrue(r.isConsolidation());
        assertFalse(r.isSchemaRule());
        assertEquals("public", r.intoSchema());
        assertEquals("tenant_id", r.column());
        assertEquals("distribute schemas matching ~/^tenant_/ into 'public' using tenant_id", r.toString());
        assertEquals("test.load:2:55: expected USING, found end of file",
                error("load database from pgsql:///a into pgsql:///b\n distribute schemas matching ~/^tenant_/ into 'public'").getMessage());
        // the shipped file parses, its URLs from the environment
        String text = Files.readString(Path.of("../config/consolidate-schemas.load"));
        LoadCommand shipped = LoadFileParser.parse("consolidate-schemas.load", text,
                Map.of("SOURCE_URL", "postgresql://s/db", "TARGET_URL", "postgresql://t/db")::get);
        assertTrue(shipped.distribute().get(0).isConsolidation());
        assertTrue(shipped.distribute().get(0).schemas().get(0).matches("tenant_7"));
    }

    @Test
    void aConsolidationTakesItsTenantKeysFromAMappingOfTheSource() throws Exception {
        DistributeRule r = parse("load database from pgsql:///a into pgsql:///b\n distribute schemas matching ~/^tenant_/ into 'public' using tenant_id\n"
                + "   from public.customers (\"Schema\", id);").distribute().get(0);
        assertEquals(new DistributeRule.TenantMap(new TableRef("public", "customers", r.tenantMap().table().at()), "Schema", "id", r.tenantMap().at()),
                r.tenantMap());
        assertEquals("test.load:3:4", r.tenantMap().at().toString());
        assertEquals("distribute schemas matching ~/^tenant_/ into 'public' using tenant_id from public.customers (Schema, id)", r.toString());
        DistributeRule d = parse("load database from pgsql:///postgres into pgsql:///b\n distribute databases matching ~/^t/ into 'public' using tenant_id"
                + " from registry (db, key)").distribute().get(0);
        assertTrue(d.databases());
        assertEquals("registry (db, key)", d.tenantMap().toString());
        assertNull(parse("load database from pgsql:///a into pgsql:///b distribute schemas matching ~/^t/ into 'public' using tenant_id")
                .distribute().get(0).tenantMap());
        assertEquals("test.load:2:86: expected ',', found ')'",
                error("load database from pgsql:///a into pgsql:///b\n distribute schemas matching ~/^t/ into 'public' using tenant_id from customers (name)")
                        .getMessage());
    }

    @Test
    void tenantDatabasesConsolidated() throws Exception {
        DistributeRule r = parse("load database from pgsql:///postgres into pgsql:///b\n distribute databases matching ~/^tenant_/, 'acme' into 'public' using tenant_id;")
                .distribute().get(0);
        assertTrue(r.isConsolidation() && r.databases() && !r.isSchemaRule());
        assertEquals("distribute databases matching ~/^tenant_/, 'acme' into 'public' using tenant_id", r.toString());
        assertEquals("test.load:2:43: expected INTO, found end of file",
                error("load database from pgsql:///a into pgsql:///b\n distribute databases matching ~/^tenant_/").getMessage());
        String text = Files.readString(Path.of("../config/consolidate-databases.load"));
        LoadCommand shipped = LoadFileParser.parse("consolidate-databases.load", text,
                Map.of("SOURCE_URL", "postgresql://s/postgres", "TARGET_URL", "postgresql://t/db")::get);
        assertTrue(shipped.distribute().get(0).databases());
        assertTrue(shipped.distribute().get(0).schemas().get(0).matches("tenant_7"));
    }

    /** Each wrong file (\n: a new line), and the error it gets: the file, line and column, then what is wrong there. */
    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            load database\\n from pgsql:///a\\n into pgsql:///b\\n with include drop, fast mode; | test.load:4:21: unknown option 'fast mode'
            load database from pgsql:///a into pgsql:///b with include drops; | test.load:1:52: unknown option 'include drops'
            load database from pgsql:///a into pgsql:///b\\nbefore load do\\n  $$ create table x();\\n | test.load:3:3: unterminated $$ block: no closing $$
            load database from mysql://x/y into pgsql:///b; | test.load:1:20: bad connection URL: unsupported URL scheme 'mysql': expected pgsql, postgres or postgresql
            load database from pgsql:///a into pgsql://h:abc/b; | test.load:1:36: bad connection URL: bad port 'abc'
            load database\\nfrom just-a-name into pgsql:///b; | test.load:2:6: bad connection URL: not a connection URL: expected pgsql://, postgres:// or postgresql://
            load database\\n  from pgsql://u:{{NOPE}}@h/db into pgsql:///b; | test.load:2:18: environment variable NOPE is not set (used as {{NOPE}})
            # {{PGPASS}} expands to a different length; the error after it still points at the original place
            load database from pgsql://u:{{PGPASS}}@h/db into pgsql:///b with bogus; | test.load:1:67: unknown option 'bogus'
            copy database from pgsql:///a into pgsql:///b; | test.load:1:1: expected LOAD, found 'copy'
            load database from pgsql:///a into pgsql:///b load; | test.load:1:47: unknown clause 'load': expected WITH, SET, BEFORE LOAD, AFTER CREATE SCHEMA, AFTER LOAD, CAST, INCLUDING, EXCLUDING, ALTER or DISTRIBUTE
            load database from pgsql:///a into pgsql:///b distribute companies; | test.load:1:67: expected USING, found ';'
            load database from pgsql:///a into pgsql:///b with workers = many; | test.load:1:62: workers needs a whole number, found 'many'
            load database from pgsql:///a into pgsql:///b cast tipe int to bigint; | test.load:1:52: a cast rule starts with TYPE or COLUMN, found 'tipe'
            load database from pgsql:///a into pgsql:///b including only table names matching ~/(/; | test.load:1:83: bad regular expression: Unclosed group
            load database from pgsql:///a into pgsql:///b 'oops; | test.load:1:47: unterminated string: no closing '
            load database from pgsql:///a into pgsql:///b /* never closed | test.load:1:47: unterminated /* comment
            load database from pgsql:///a into pgsql:///b with snapshot method = 'rsync'; | test.load:1:70: snapshot method is 'copy' or 'debezium', not 'rsync'
            load database from pgsql:///a into pgsql:///b; with workers = 1 | test.load:1:48: unexpected 'with' after the closing ';'
            """)
    void anErrorSaysFileLineAndColumn(String text, String message) {
        assertEquals(message, error(text.replace("\\n", "\n")).getMessage());
    }

    @Test
    void readsAFileAndNamesItInErrors(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.load");
        Files.writeString(f, "load database from pgsql:///a into pgsql:///b\n  with nonsense;");
        LoadFileException e = assertThrows(LoadFileException.class, () -> LoadFileParser.parse(f, ENV::get));
        assertEquals(f + ":2:8: unknown option 'nonsense'", e.getMessage());
    }

    @Test
    void beforeLoadExecuteReadsAFile(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("pre.sql"), "create schema x;");
        Path f = dir.resolve("a.load");
        Files.writeString(f, "load database from pgsql:///a into pgsql:///b before load execute 'pre.sql';");
        assertEquals("create schema x;", LoadFileParser.parse(f, ENV::get).beforeLoad().get(0).sql());
    }
}
