package io.citusmigrate.cli;

import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import io.citusmigrate.testing.SourceAndCitus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `distribute schemas matching ~/re/ into 'S' using tenant_id`: a schema per tenant (the example
 * application's tables without a company column, ids repeating across tenants) consolidated into
 * one set of distributed tables, each row under its schema's tenant key.
 */
@ExtendWith(SourceAndCitus.class)
class ConsolidationIT {
    static EmbeddedPg pg;
    static CitusTarget citus;
    @TempDir
    Path dir;

    static final List<String> TABLES = List.of("campaigns", "ads", "clicks", "impressions");

    /** {@code n} tenant schemas of the example's tables without a company column, each with its own rows and ids from 1. */
    private static String source(String prefix, int n) {
        String db = pg.createDatabase(prefix);
        StringBuilder sql = new StringBuilder("create table countries (code text primary key, name text);\n"
                + "insert into countries values ('de', 'Germany'), ('fr', 'France');\n");
        for (int i = 1; i <= n; i++) sql.append(tenantSchema(prefix, i));
        sql.append("reset search_path;\n");
        pg.exec(db, sql.toString());
        return db;
    }

    /** One tenant schema: the example's tables without a company column, its own rows, its ids from 1. */
    private static String tenantSchema(String prefix, int i) {
        {
            return """
                    create schema %1$s_tenant_%2$02d;
                    set search_path = %1$s_tenant_%2$02d;
                    create type state as enum ('draft', 'running', 'done');
                    create table campaigns (id bigserial primary key, name text not null, cost_model text not null, state state not null,
                      monthly_budget bigint, blacklisted_site_urls text[], country text references public.countries,
                      created_at timestamp not null, updated_at timestamp not null, unique (name));
                    create table ads (id bigserial primary key, campaign_id bigint references campaigns (id), name text not null,
                      image_url text, target_url text, impressions_count bigint default 0, clicks_count bigint default 0,
                      created_at timestamp not null, updated_at timestamp not null);
                    create table clicks (id bigserial primary key, ad_id bigint references ads (id), clicked_at timestamp not null,
                      site_url text not null, cost_per_click_usd numeric(20,10), user_ip inet not null, user_data jsonb not null);
                    create table impressions (id bigserial primary key, ad_id bigint references ads (id), seen_at timestamp not null,
                      site_url text not null, cost_per_impression_usd numeric(20,10), user_ip inet not null, user_data jsonb not null);
                    insert into campaigns (name, cost_model, state, monthly_budget, blacklisted_site_urls, country, created_at, updated_at)
                      select 'c' || g, 'cpc', (array['draft','running','done']::state[])[g %% 3 + 1], g * 100, array['x.com'], 'de',
                             now(), now() from generate_series(1, %3$d) g;
                    insert into ads (campaign_id, name, image_url, created_at, updated_at)
                      select g %% %3$d + 1, 'ad' || g, 'http://img/' || g, now(), now() from generate_series(1, %3$d * 2) g;
                    insert into clicks (ad_id, clicked_at, site_url, cost_per_click_usd, user_ip, user_data)
                      select g %% (%3$d * 2) + 1, now(), 'http://s/' || g, g / 7.0, '10.0.0.1', '{"k": %2$d}' from generate_series(1, %3$d * 5) g;
                    insert into impressions (ad_id, seen_at, site_url, cost_per_impression_usd, user_ip, user_data)
                      select g %% (%3$d * 2) + 1, now(), 'http://s/' || g, g / 9.0, '10.0.0.2', '{}' from generate_series(1, %3$d * 8) g;
                    """.formatted(prefix, i, 3 + i % 4);
        }
    }

    private Path file(String db, String prefix, String with) throws Exception {
        Path file = dir.resolve(prefix + ".load");
        Files.writeString(file, """
                load database from %s into %s
                  with %s
                  distribute schemas matching ~/^%s_tenant_/ into '%s' using tenant_id
                  distribute countries as reference table;
                """.formatted(pg.url(db), citus.url(), with, prefix, prefix));
        return file;
    }

    /** A table's rows, the tenant key aside, as one md5 (with their count). */
    private static String rows(String table, String where) {
        return "select count(*) || ':' || coalesce(md5(string_agg((to_jsonb(x) - 'tenant_id')::text, ',' order by x.id)), '') from "
                + table + " x" + where;
    }

    private static void assertEveryTenantEqual(String db, String prefix, int n) throws Exception {
        assertEveryTenantEqual(db, prefix, 1, n);
    }

    private static void assertEveryTenantEqual(String db, String prefix, int first, int n) throws Exception {
        for (int i = first; i <= n; i++) {
            String schema = "%s_tenant_%02d".formatted(prefix, i);
            for (String table : TABLES) {
                assertEquals(pg.rows(db, rows(schema + "." + table, "")), citus.rows(rows(prefix + "." + table, tenant(prefix, schema))),
                        "every row of " + schema + "." + table);
            }
        }
    }

    private static boolean everyTenantEqual(String db, String prefix, int n) throws Exception {
        return everyTenantEqual(db, prefix, 1, n);
    }

    private static boolean everyTenantEqual(String db, String prefix, int first, int n) throws Exception {
        for (int i = first; i <= n; i++) {
            String schema = "%s_tenant_%02d".formatted(prefix, i);
            for (String table : TABLES) {
                if (!pg.rows(db, rows(schema + "." + table, "")).equals(citus.rows(rows(prefix + "." + table, tenant(prefix, schema))))) return false;
            }
        }
        return true;
    }

    private static String tenant(String prefix, String schema) {
        return " where tenant_id = (select tenant_id from " + prefix + ".tenants where schema_name = '" + schema + "')";
    }

    @Test
    void fiftyTenantSchemasConsolidatedLiveWhileTheApplicationWritesToSeveralAndANewTenantSignsUp() throws Exception {
        String db = source("clv", 50);
        Path file = file(db, "clv", "include drop, slot name = 'cm_consolidation'");
        Background m = Background.streaming(file);
        for (int i = 1; i <= 5; i++) {
            // the same ids in every tenant: what one tenant changes leaves the others' rows of those ids alone
            pg.exec(db, """
                    insert into %1$s.campaigns (name, cost_model, state, created_at, updated_at) values ('streamed', 'cpm', 'running', now(), now());
                    update %1$s.ads set name = name || ' updated', clicks_count = clicks_count + 1 where id %% 2 = 0;
                    delete from %1$s.clicks where id %% 3 = 0;
                    delete from %1$s.impressions where id = %2$d;
                    insert into %1$s.ads (campaign_id, name, created_at, updated_at) select id, 'new ad', now(), now() from %1$s.campaigns where name = 'streamed';
                    update %1$s.campaigns set monthly_budget = 7, state = 'done' where id = 1;
                    insert into %1$s.clicks (ad_id, clicked_at, site_url, user_ip, user_data) values (1, now(), 'streamed', '10.1.1.1', '{"s": 1}');
                    """.formatted("clv_tenant_%02d".formatted(i), i));
        }
        // a shared table's schema change takes the usual way
        pg.exec(db, "alter table countries add column note text; update countries set note = 'noted' where code = 'de'");
        // a tenant empties its tables: only its rows go on the target, the other tenants' stay
        pg.exec(db, "truncate clv_tenant_03.campaigns cascade; insert into clv_tenant_03.campaigns (name, cost_model, state, created_at, updated_at)"
                + " values ('after the truncate', 'cpc', 'draft', now(), now())");
        // a tenant signs up: its schema, tables and first rows in one transaction, more rows later. Its name sorts first,
        // yet it gets the next tenant key: the others keep theirs, as the target recorded them
        pg.exec(db, "begin;\n" + tenantSchema("clv", 0) + "reset search_path;\ncommit;");
        pg.exec(db, """
                insert into clv_tenant_00.clicks (ad_id, clicked_at, site_url, user_ip, user_data) values (2, now(), 'later', '10.2.2.2', '{}');
                update clv_tenant_00.ads set name = 'renamed' where id = 1;
                delete from clv_tenant_00.impressions where id = 2;
                """);
        m.await(() -> m.out().toString().contains("new tenant clv_tenant_00 taken in under tenant key 51 (recorded in clv.tenants)"));
        // a schema change rolled out to the tenants one after the other: for a while their tables differ, the rows of
        // tenants without the column written meanwhile, with it after
        for (int i = 0; i <= 50; i++) {
            String s = "clv_tenant_%02d".formatted(i);
            pg.exec(db, "alter table " + s + ".ads add column note text default 'none'");
            if (i % 10 == 1) {
                pg.exec(db, "update " + s + ".ads set note = 'noted " + i + "' where id <= 2;"
                        + " insert into " + s + ".ads (campaign_id, name, note, created_at, updated_at) values (1, 'with a note', 'n', now(), now())");
            }
            if (i == 2) pg.exec(db, "insert into clv_tenant_30.ads (campaign_id, name, created_at, updated_at) values (1, 'before its note', now(), now())");
        }
        m.await(() -> m.out().toString().contains("schema change of tenant clv_tenant_00 carried to clv.ads: column note added (every tenant's rows"
                + " given its default)"));
        m.await(() -> m.out().toString().contains("schema change of tenant clv_tenant_50 carried to clv.ads: column note there already, added alike"
                + " for the tenants before"));
        // and a column dropped the same way: kept on the target till the last tenant drops it
        for (int i = 0; i <= 50; i++) {
            String s = "clv_tenant_%02d".formatted(i);
            pg.exec(db, "alter table " + s + ".ads drop column image_url");
            if (i == 1) pg.exec(db, "insert into " + s + ".ads (campaign_id, name, created_at, updated_at) values (1, 'without an image', now(), now())");
            if (i == 2) pg.exec(db, "insert into clv_tenant_40.ads (campaign_id, name, image_url, created_at, updated_at) values (1, 'with', 'x', now(), now())");
        }
        m.await(() -> m.out().toString().contains("schema change of tenant clv_tenant_00 carried to clv.ads: column image_url (kept for the 50 tenants"
                + " that have it still) dropped for this tenant"));
        m.await(() -> m.out().toString().contains("schema change of tenant clv_tenant_50 carried to clv.ads: column image_url dropped (the last tenant"
                + " to have it)"));
        // indexes rolled out the same way: a plain one is created with the first tenant's and dropped with the last tenant's;
        // a unique one (unique per tenant) only once every tenant has it, so that the target never refuses what a tenant without it takes
        for (int i = 0; i <= 50; i++) {
            String s = "clv_tenant_%02d".formatted(i);
            pg.exec(db, "create index ads_name_idx on " + s + ".ads (name); create unique index campaigns_budget_key on " + s
                    + ".campaigns (name, monthly_budget)");
        }
        m.await(() -> m.out().toString().contains("schema change of tenant clv_tenant_00 carried to clv.ads: index ads_name_idx created"));
        m.await(() -> m.out().toString().contains("schema change of tenant clv_tenant_49 carried to clv.campaigns: unique index campaigns_budget_key"
                + " not created yet: 1 tenant without it"));
        m.await(() -> m.out().toString().contains("schema change of tenant clv_tenant_50 carried to clv.campaigns: index campaigns_budget_key created"
                + " (unique per tenant: tenant_id is its first key; every tenant has it now)"));
        for (int i = 0; i <= 50; i++) pg.exec(db, "drop index clv_tenant_%02d.ads_name_idx".formatted(i));
        m.await(() -> m.out().toString().contains("schema change of tenant clv_tenant_50 carried to clv.ads: index ads_name_idx dropped (the last"
                + " tenant to have it)"));
        assertEquals(List.of("CREATE UNIQUE INDEX campaigns_budget_key ON clv.campaigns USING btree (tenant_id, name, monthly_budget)"),
                citus.rows("select pg_get_indexdef('clv.campaigns_budget_key'::regclass)"));
        assertEquals(List.of("0"), citus.rows("select count(*) from pg_class where relname = 'ads_name_idx'"));
        m.await(() -> everyTenantEqual(db, "clv", 0, 5) && everyTenantEqual(db, "clv", 30, 31) && everyTenantEqual(db, "clv", 40, 40)
                && everyTenantEqual(db, "clv", 50, 50));
        // `status` speaks per tenant, the new one included
        m.await(() -> {
            String out = Run.of(new StringWriter(), "status", file.toString()).out();
            return out.contains("rows written per tenant (each a source schema, its rows under its tenant key in the consolidated tables):\n")
                    && out.matches("(?s).*\n    clv_tenant_00 +\\d+ in 4 tables\n.*");
        });
        m.await(() -> m.out().toString().contains("schema change carried to public.countries"));
        m.cutOverAndFinish(file);
        assertEquals(pg.rows(db, "select code || ':' || coalesce(note, '-') from countries order by 1"),
                citus.rows("select code || ':' || coalesce(note, '-') from public.countries order by 1"));
        assertEquals(List.of("51"), citus.rows("select tenant_id from clv.tenants where schema_name = 'clv_tenant_00'"));
        assertEquals(List.of("1"), citus.rows("select tenant_id from clv.tenants where schema_name = 'clv_tenant_01'"));
        assertEveryTenantEqual(db, "clv", 0, 50);
        Run verify = Run.of(new StringWriter(), "verify", file.toString());
        assertEquals(0, verify.code(), verify.out() + verify.err());
        assertEquals(List.of(), pg.rows(db, "select slot_name from pg_replication_slots where database = current_database()"));
        // after the cutover the application inserts into any tenant through the coordinator, past every tenant's streamed ids
        long maxId = Long.parseLong(pg.rows(db, "select max(m) from (" + String.join(" union all ", java.util.stream.IntStream.rangeClosed(1, 50)
                .mapToObj(i -> "select max(id) m from clv_tenant_%02d.ads".formatted(i)).toList()) + ") x").get(0));
        long id = Long.parseLong(citus.rows("insert into clv.ads (tenant_id, campaign_id, name, created_at, updated_at) values (4, 1, 'after', now(), now())"
                + " returning id").get(0));
        assertTrue(id > maxId, id + " > " + maxId);
    }

    @Test
    void fiftyTenantSchemasBecomeOneSetOfDistributedTablesEachRowUnderItsSchemasTenantKey() throws Exception {
        String db = source("cbl", 50);
        Path file = file(db, "cbl", "include drop, snapshot only");
        Run plan = Run.of(new StringWriter(), "plan", file.toString());
        assertEquals(0, plan.code(), plan.out() + plan.err());
        assertTrue(plan.out().contains("Tenants (each source schema's rows into the tables of one schema, under its tenant key):\n"
                + "  cbl_tenant_01 -> cbl, tenant key 1: 4 tables (ads, campaigns, clicks, impressions)\n"), plan.out());
        assertTrue(plan.out().contains("cbl_tenant_50 -> cbl, tenant key 50"), plan.out());
        assertTrue(plan.out().contains("cbl.campaigns: primary key campaigns_pkey (id) extended to (tenant_id, id)"), plan.out());

        Run load = Run.of(new StringWriter(), "migrate", file.toString());
        assertEquals(0, load.code(), load.out() + load.err());
        assertEquals(List.of("50"), citus.rows("select count(*) from cbl.tenants"));
        assertEquals(List.of("cbl_tenant_07"), citus.rows("select schema_name from cbl.tenants where tenant_id = 7"));
        assertEveryTenantEqual(db, "cbl", 50);
        assertEquals(List.of("0"), citus.rows("select count(*) from information_schema.schemata where schema_name like 'cbl_tenant_%'"),
                "no tenant schema on the target");
        if (!citus.isStandIn()) {
            assertEquals(List.of("5"), citus.rows("select count(*) from pg_dist_partition where logicalrelid::text like 'cbl.%'"
                    + " and partmethod = 'h' and column_to_column_name(logicalrelid, partkey) = 'tenant_id'"), "the tenants table and the 4 tables, by tenant_id");
            assertEquals(List.of("1"), citus.rows("select count(distinct colocationid) from pg_dist_partition where logicalrelid::text like 'cbl.%'"),
                    "colocated");
        }
        assertEquals(List.of("FOREIGN KEY (tenant_id, campaign_id) REFERENCES cbl.campaigns(tenant_id, id)"),
                citus.rows("select pg_get_constraintdef(oid) from pg_constraint where conrelid = 'cbl.ads'::regclass and conname = 'ads_campaign_id_fkey'"));
        Run verify = Run.of(new StringWriter(), "verify", file.toString());
        assertEquals(0, verify.code(), verify.out() + verify.err());
        assertTrue(verify.out().matches("(?s).*\ncbl\\.tenants +50 +50 +ok\n.*"), verify.out());
        assertTrue(verify.out().matches("(?s).*\nTENANT +TABLES +SOURCE ROWS +TARGET ROWS +RESULT\ncbl_tenant_01 \\(tenant_id 1\\) +4 +\\d+ +\\d+ +ok\n.*"),
                verify.out());
        // the application inserts into any tenant through the coordinator: the sequences are past every tenant's ids
        long maxId = Long.parseLong(pg.rows(db, "select max(m) from (" + String.join(" union all ",
                java.util.stream.IntStream.rangeClosed(1, 50).mapToObj(i -> "select max(id) m from cbl_tenant_%02d.clicks".formatted(i)).toList()) + ") x").get(0));
        for (int tenant : List.of(1, 17, 50)) {
            long id = Long.parseLong(citus.rows("insert into cbl.clicks (tenant_id, ad_id, clicked_at, site_url, user_ip, user_data) values ("
                    + tenant + ", 1, now(), 'new', '10.0.0.9', '{}') returning id").get(0));
            assertTrue(id > maxId, id + " > " + maxId);
        }
    }

    @Test
    void aSchemaChangeATenantSchemaCannotCarryStopsTheStreamNamingItAndResumeGoesOnOnceUndone() throws Exception {
        String db = source("cst", 3);
        Path file = file(db, "cst", "include drop, slot name = 'cm_consolidation_stop'");
        Background m = Background.streaming(file);
        pg.exec(db, "insert into cst_tenant_02.ads (campaign_id, name, created_at, updated_at) values (1, 'before', now(), now());"
                + " alter table cst_tenant_02.clicks add constraint clicks_key_again exclude using btree (id with =);"
                + " insert into cst_tenant_02.ads (campaign_id, name, created_at, updated_at) values (1, 'after', now(), now())");
        m.thread().join(120_000);
        Run stopped = m.result()[0];
        assertEquals(1, stopped.code(), stopped.out() + stopped.err());
        assertTrue(stopped.err().contains("ALTER TABLE cst_tenant_02.clicks (alter table cst_tenant_02.clicks add constraint clicks_key_again"
                + " exclude using btree (id with =)): constraint clicks_key_again added (EXCLUDE USING btree (id WITH =)) in a consolidated tenant schema"),
                stopped.err());
        assertTrue(stopped.err().contains("--resume"), stopped.err());
        assertEquals(List.of("0"), citus.rows("select count(*) from cst.ads where name = 'after'"), "nothing after it applied");
        // undone on the source: the stream goes on from the change, as the source has the table now
        pg.exec(db, "alter table cst_tenant_02.clicks drop constraint clicks_key_again; update cst_tenant_03.ads set name = 'later' where id = 1");
        Background resumed = Background.migrate(file.toString(), "--resume");
        resumed.waitUntilStreaming();
        resumed.await(() -> everyTenantEqual(db, "cst", 3));
        // a default and NOT NULL rolled out to the tenants one after the other: the target takes them once every tenant has them
        for (int i = 1; i <= 3; i++) {
            pg.exec(db, "alter table cst_tenant_0" + i + ".ads alter column clicks_count set default 1, alter column clicks_count set not null;"
                    + " insert into cst_tenant_0" + i + ".ads (campaign_id, name, created_at, updated_at) values (1, 'default " + i + "', now(), now())");
        }
        resumed.await(() -> resumed.out().toString().contains("schema change of tenant cst_tenant_01 carried to cst.ads: column clicks_count: default"
                + " kept till every tenant has 1; column clicks_count: NOT NULL not set yet (2 tenants without it)"));
        resumed.await(() -> resumed.out().toString().contains("schema change of tenant cst_tenant_03 carried to cst.ads: column clicks_count: default 1;"
                + " column clicks_count: NOT NULL set (every tenant has it)"));
        assertEquals(List.of("1:true"), citus.rows("select pg_get_expr(d.adbin, d.adrelid) || ':' || a.attnotnull from pg_attribute a join pg_attrdef d"
                + " on d.adrelid = a.attrelid and d.adnum = a.attnum where a.attrelid = 'cst.ads'::regclass and a.attname = 'clicks_count'"));
        // CHECK and UNIQUE constraints the same way: added once every tenant has them, dropped with the first tenant's drop
        for (int i = 1; i <= 3; i++) {
            pg.exec(db, "alter table cst_tenant_0" + i + ".campaigns add constraint budget_positive check (monthly_budget >= 0),"
                    + " add constraint campaigns_name_cost unique (name, cost_model)");
        }
        resumed.await(() -> resumed.out().toString().contains("schema change of tenant cst_tenant_02 carried to cst.campaigns: constraint budget_positive"
                + " not added yet (1 tenant without it); constraint campaigns_name_cost not added yet (1 tenant without it)"));
        resumed.await(() -> resumed.out().toString().contains("schema change of tenant cst_tenant_03 carried to cst.campaigns: constraint budget_positive"
                + " added (every tenant has it); constraint campaigns_name_cost added (every tenant has it; unique per tenant)"));
        assertEquals(List.of("UNIQUE (tenant_id, name, cost_model)"), citus.rows("select pg_get_constraintdef(oid) from pg_constraint"
                + " where conrelid = 'cst.campaigns'::regclass and conname = 'campaigns_name_cost'"));
        pg.exec(db, "alter table cst_tenant_01.campaigns drop constraint budget_positive");
        resumed.await(() -> resumed.out().toString().contains("schema change of tenant cst_tenant_01 carried to cst.campaigns: constraint budget_positive"
                + " dropped (with the first tenant that drops it)"));
        // a column's type changed the same way: the target converts every tenant's rows with the first tenant's change
        for (int i = 1; i <= 3; i++) {
            pg.exec(db, "alter table cst_tenant_0" + i + ".ads alter column name type varchar(300);"
                    + " insert into cst_tenant_0" + i + ".ads (campaign_id, name, created_at, updated_at) values (1, repeat('n', 280), now(), now())");
        }
        resumed.await(() -> resumed.out().toString().contains("schema change of tenant cst_tenant_01 carried to cst.ads: column name: type changed to"
                + " character varying(300) (every tenant's rows converted)"));
        resumed.await(() -> resumed.out().toString().contains("schema change of tenant cst_tenant_03 carried to cst.ads: column name: type character"
                + " varying(300) there already, changed alike for the tenants before"));
        resumed.await(() -> everyTenantEqual(db, "cst", 3));
        resumed.cutOverAndFinish(file);
        assertEveryTenantEqual(db, "cst", 3);
    }

    /** The alternative target: the same fifty schemas each a distributed schema (schema-based sharding), no tenant key added. */
    @Test
    void theSameFiftySchemasOntoSchemaBasedShardingEachADistributedSchemaEqualToItsSource() throws Exception {
        String db = source("csh", 50);
        Path file = dir.resolve("csh.load");
        Files.writeString(file, """
                load database from %s into %s
                  with include drop, snapshot only
                  distribute schemas matching ~/^csh_tenant_/
                  distribute countries as reference table;
                """.formatted(pg.url(db), citus.url()));
        Run load = Run.of(new StringWriter(), "migrate", file.toString());
        assertEquals(0, load.code(), load.out() + load.err());
        for (int i = 1; i <= 50; i++) {
            String schema = "csh_tenant_%02d".formatted(i);
            for (String table : TABLES) {
                assertEquals(pg.rows(db, rows(schema + "." + table, "")), citus.rows(rows(schema + "." + table, "")), "every row of " + schema + "." + table);
            }
        }
        if (!citus.isStandIn()) {
            assertEquals(List.of("50"), citus.rows("select count(*) from pg_dist_schema where schemaid::regnamespace::text like 'csh_tenant_%'"));
            assertEquals(List.of("50"), citus.rows("select count(distinct colocationid) from pg_dist_partition where logicalrelid::text like 'csh_tenant_%'"),
                    "each schema's tables together, apart from the other schemas'");
        }
        Run verify = Run.of(new StringWriter(), "verify", file.toString());
        assertEquals(0, verify.code(), verify.out() + verify.err());
        assertTrue(verify.out().matches("(?s).*\ncsh_tenant_50 +4 +\\d+ +\\d+ +ok\n.*"), verify.out());
    }

    /** A database per tenant: the example's tables without a company column in its schema app, its own rows, its ids from 1. */
    private static String tenantDatabase(String prefix, int i) {
        String db = pg.createDatabase(prefix + i);
        String tables = tenantSchema("x", i).replace("create schema x_tenant_%02d;\n".formatted(i), "")
                .replace("set search_path = x_tenant_%02d;\n".formatted(i), "").replace("public.countries", "countries");
        pg.exec(db, "create schema app; set search_path = app;\n"
                + "create table countries (code text primary key, name text);\n"
                + "insert into countries values ('de', 'Germany'), ('fr', 'France');\n" + tables);
        return db;
    }

    /** A command file consolidating the databases {@code <prefix>_t...} of the source's server into schema {@code <prefix>}. */
    private Path databasesFile(String prefix, String with) throws Exception {
        Path file = dir.resolve(prefix + ".load");
        Files.writeString(file, """
                load database from %s into %s
                  with %s
                  distribute databases matching ~/^%s_t/ into '%s' using tenant_id;
                """.formatted(pg.url("postgres"), citus.url(), with, prefix, prefix));
        return file;
    }

    /** Whether each tenant database's tables equal its tenant's rows in the consolidated tables (md5 of rows, the tenant key aside). */
    private static boolean everyDatabaseEqual(List<String> dbs, String into) throws Exception {
        for (String db : dbs) {
            String mine = " where tenant_id = (select tenant_id from " + into + ".tenants where database_name = '" + db + "')";
            for (String table : TABLES) {
                if (!pg.rows(db, rows("app." + table, "")).equals(citus.rows(rows("app." + table, mine)))) return false;
            }
        }
        return true;
    }

    @Test
    void threeTenantDatabasesConsolidatedLiveWhileTheApplicationWritesToEachTwoMoreSignUpAndOneCutoverEndsAll() throws Exception {
        List<String> dbs = new java.util.ArrayList<>(List.of(tenantDatabase("cdl_t", 1), tenantDatabase("cdl_t", 2), tenantDatabase("cdl_t", 3)));
        Path file = databasesFile("cdl", "include drop, slot name = 'cm_dbs'");
        Background m = Background.migrate(file.toString());
        Background first = m;
        first.await(() -> first.out().toString().contains("streaming changes from 3 tenant databases"));
        for (int i = 0; i < 3; i++) {
            // the same ids in every database: what one tenant changes leaves the others' rows of those ids alone
            pg.exec(dbs.get(i), """
                    insert into app.campaigns (name, cost_model, state, created_at, updated_at) values ('streamed', 'cpm', 'running', now(), now());
                    update app.ads set name = name || ' updated', clicks_count = clicks_count + 1 where id %% 2 = 0;
                    delete from app.clicks where id %% 3 = 0;
                    delete from app.impressions where id = %1$d;
                    insert into app.ads (campaign_id, name, created_at, updated_at) select id, 'new ad', now(), now() from app.campaigns where name = 'streamed';
                    update app.campaigns set monthly_budget = 7, state = 'done' where id = 1;
                    insert into app.clicks (ad_id, clicked_at, site_url, user_ip, user_data) values (1, now(), 'streamed', '10.1.1.1', '{"s": 1}');
                    """.formatted(i + 1));
        }
        // one tenant empties a table: only its rows go on the target
        pg.exec(dbs.get(1), "truncate app.impressions; insert into app.impressions (ad_id, seen_at, site_url, user_ip, user_data)"
                + " values (1, now(), 'after the truncate', '10.3.3.3', '{}')");
        first.await(() -> everyDatabaseEqual(dbs, "cdl"));
        // interrupted (Ctrl-C) while streaming: --resume goes on from every database's slot, nothing lost or doubled
        Run stopped = m.interrupt();
        assertTrue(stopped.err().contains("interrupted while streaming: run `citus-migrate migrate " + file + " --resume` to go on"),
                stopped.out() + stopped.err());
        for (String db : List.copyOf(dbs)) {
            pg.exec(db, "insert into app.clicks (ad_id, clicked_at, site_url, user_ip, user_data) values (2, now(), 'while stopped', '10.4.4.4', '{}');"
                    + " update app.ads set name = 'while stopped' where id = 3");
        }
        // a tenant database created while no migrate runs: the resumed run takes it in once streaming
        String whileStopped = tenantDatabase("cdl_t", 5);
        m = Background.migrate(file.toString(), "--resume");
        Background resumed = m;
        resumed.await(() -> resumed.out().toString().contains("streaming changes from 3 tenant databases"));
        resumed.await(() -> resumed.out().toString().contains("new tenant database " + whileStopped + ": loaded and compared"));
        assertEquals(List.of("4"), citus.rows("select tenant_id from cdl.tenants where database_name = '" + whileStopped + "'"));
        dbs.add(whileStopped);
        resumed.await(() -> everyDatabaseEqual(dbs, "cdl"));
        // a schema change rolled out to the databases one after the other: a column and an index, taken with whichever database's comes first
        for (String db : dbs) {
            pg.exec(db, "alter table app.ads add column note text default 'none'; create index ads_note_idx on app.ads (note);"
                    + " update app.ads set note = 'noted' where id = 1");
        }
        resumed.await(() -> resumed.out().toString().split("carried to app.ads: column note there already, added alike for the tenants before", -1).length == 4
                && resumed.out().toString().split("carried to app.ads: index ads_note_idx there already, created alike for the tenants before", -1).length == 4);
        assertTrue(resumed.out().toString().contains("carried to app.ads: column note added (every tenant's rows given its default)"), resumed.out().toString());
        assertTrue(resumed.out().toString().contains("carried to app.ads: index ads_note_idx created"), resumed.out().toString());
        resumed.await(() -> everyDatabaseEqual(dbs, "cdl"));
        // a tenant signs up: its database, tables and rows appear while streaming; it is loaded, then streamed, under the next tenant key
        String signedUp = tenantDatabase("cdl_t", 4);
        // provisioned with the schema as it was, then brought up to date: taken in once alike to the others
        pg.exec(signedUp, "alter table app.ads add column note text default 'none'");
        resumed.await(() -> resumed.out().toString().contains("new tenant database " + signedUp + ": loaded and compared; its changes stream from slot"));
        assertEquals(List.of("5"), citus.rows("select tenant_id from cdl.tenants where database_name = '" + signedUp + "'"));
        pg.exec(signedUp, "update app.ads set name = 'streamed after signing up', note = 'new' where id = 1; delete from app.clicks where id = 2");
        dbs.add(signedUp);
        resumed.await(() -> everyDatabaseEqual(dbs, "cdl"));
        // a column renamed in the databases one after the other: each database's values move to the new name with its rename
        for (String db : dbs) pg.exec(db, "alter table app.clicks rename column site_url to page_url; update app.clicks set page_url = 'renamed' where id = 1");
        resumed.await(() -> resumed.out().toString().contains("carried to app.clicks: column site_url renamed to page_url (the last tenant to rename it:"
                + " site_url dropped)"));
        resumed.await(() -> everyDatabaseEqual(dbs, "cdl"));
        // a cutover that cannot finish (one database's stream held up on the target) gives every database its writes back, and
        // the streams that met their markers go on past them
        try (java.sql.Connection lock = citus.connect()) {
            lock.setAutoCommit(false);
            try (java.sql.Statement st = lock.createStatement()) {
                st.execute("lock table app.ads in access exclusive mode");
            }
            pg.exec(dbs.get(1), "update app.ads set name = 'held up' where id = 2");
            Run gaveUp = Run.of(new StringWriter(), "cutover", file.toString(), "--stop-writes", "--timeout", "5", "--max-lag", "off");
            assertEquals(1, gaveUp.code(), gaveUp.out() + gaveUp.err());
            assertTrue(gaveUp.err().contains("and undone: the migration will not act on its markers; writes given back to every source database"),
                    gaveUp.out() + gaveUp.err());
            lock.rollback();
        }
        for (String db : dbs) {
            pg.exec(db, "insert into app.clicks (ad_id, clicked_at, page_url, user_ip, user_data) values (3, now(), 'after the give-back', '10.5.5.5', '{}')");
        }
        resumed.await(() -> everyDatabaseEqual(dbs, "cdl"));
        // one `status` for all: each database's stream
        Run status = Run.of(new StringWriter(), "status", file.toString());
        assertEquals(0, status.code(), status.out() + status.err());
        for (String db : dbs) assertTrue(status.out().contains("tenant database " + db + ":\n"), status.out());
        // one cutover that stops writes on every database, waits for every stream and answers once
        Run cutover = Run.of(new StringWriter(), "cutover", file.toString(), "--stop-writes", "--timeout", "120", "--max-lag", "120");
        assertEquals(0, cutover.code(), cutover.out() + cutover.err() + "\nmigrate said:\n" + m.out());
        assertTrue(cutover.out().contains("writes stopped: the source databases (5) are read-only for new sessions"), cutover.out());
        assertTrue(cutover.out().contains("Point the application at the target."), cutover.out());
        m.thread().join(60_000);
        Run done = m.result()[0];
        assertEquals(0, done.code(), done.out() + done.err());
        assertTrue(done.out().contains("row changes streamed from 5 tenant databases"), done.out());
        assertTrue(everyDatabaseEqual(dbs, "cdl"), "every tenant equal after the cutover");
        Run verify = Run.of(new StringWriter(), "verify", file.toString());
        assertEquals(0, verify.code(), verify.out() + verify.err());
        for (String db : dbs) {
            assertEquals(List.of(), pg.rows(db, "select slot_name from pg_replication_slots where database = current_database()"), "no slot left");
            assertEquals(List.of("0"), pg.rows(db, "select count(*) from pg_publication"), "no publication left");
        }
        // the application, moved, inserts into any tenant through the coordinator: past every database's ids
        long maxId = dbs.stream().mapToLong(db -> Long.parseLong(pg.rows(db, "select max(id) from app.ads").get(0))).max().orElseThrow();
        for (int tenant : List.of(1, 2, 3, 4, 5)) {
            long id = Long.parseLong(citus.rows("insert into app.ads (tenant_id, campaign_id, name, created_at, updated_at) values (" + tenant
                    + ", 1, 'after', now(), now()) returning id").get(0));
            assertTrue(id > maxId, id + " > " + maxId);
        }
    }

    @Test
    void tenantDatabasesUnloggedTablesAreCopiedAgainAtTheCutoverEachTenantsRowsAlone() throws Exception {
        List<String> dbs = List.of(tenantDatabase("cdu_t", 1), tenantDatabase("cdu_t", 2));
        for (int i = 1; i <= 2; i++) {
            pg.exec(dbs.get(i - 1), "create unlogged table app.cache (id int primary key, v text); insert into app.cache select g, 'v' || g from generate_series(1, "
                    + (i * 2) + ") g; create table app.log (at int, msg text); insert into app.log values (1, 'a'), (1, 'a'), (2, 'b')");
        }
        Path file = databasesFile("cdu", "include drop, slot name = 'cm_dbs_unlogged'");
        Background m = Background.migrate(file.toString());
        m.await(() -> m.out().toString().contains("streaming changes from 2 tenant databases"));
        // never in the WAL: only the cutover's copy brings these to the target
        pg.exec(dbs.get(0), "update app.cache set v = 'changed'; insert into app.cache values (9, 'new')");
        pg.exec(dbs.get(1), "delete from app.cache where id = 1");
        // a table without a primary key streams, each old row matched by its columns within its database's rows
        pg.exec(dbs.get(0), "delete from app.log where ctid = (select ctid from app.log where at = 1 limit 1); update app.log set msg = 'c' where at = 2");
        pg.exec(dbs.get(1), "insert into app.log values (3, 'd')");
        m.await(() -> citus.rows("select string_agg(tenant_id || ':' || at || msg, ',' order by tenant_id, at, msg) from app.log"
                + " where tenant_id in (select tenant_id from cdu.tenants)").equals(List.of("1:1a,1:2c,2:1a,2:1a,2:2b,2:3d")));
        Run cutover = m.cutOverAndFinish(file);
        assertTrue(m.result()[0].out().contains("2 UNLOGGED tables copied again (6 rows)"), m.result()[0].out());
        assertEquals(List.of("1:1:changed", "1:2:changed", "1:9:new", "2:2:v2", "2:3:v3", "2:4:v4"),
                citus.rows("select tenant_id || ':' || id || ':' || v from app.cache where tenant_id in (select tenant_id from cdu.tenants)"
                        + " order by tenant_id, id"));
        assertTrue(cutover.out().contains("Point the application at the target."), cutover.out());
        // the other tenant-database tests count the tables of schema app on the shared target
        try (java.sql.Connection c = citus.connect(); java.sql.Statement st = c.createStatement()) {
            st.execute("drop table app.cache, app.log");
        }
    }

    @Test
    void aCutoverWhileATenantDatabaseIsStillWrittenIsRefusedAndAResumeThenLosesNothing() throws Exception {
        List<String> dbs = List.of(tenantDatabase("cdw_t", 1), tenantDatabase("cdw_t", 2));
        Path file = databasesFile("cdw", "include drop, slot name = 'cm_dbs_written'");
        Background m = Background.migrate(file.toString());
        m.await(() -> m.out().toString().contains("streaming changes from 2 tenant databases"));
        // the application goes on writing to one database: the cutover is run without --stop-writes, nobody stopped them by hand
        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.CompletableFuture<Void> app = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try (java.sql.Connection c = pg.connect(dbs.get(1)); java.sql.Statement st = c.createStatement()) {
                for (int i = 0; writing.get(); i++) {
                    st.execute("update app.ads set clicks_count = clicks_count + 1 where id = " + (i % 5 + 1));
                    Thread.sleep(5);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Run cutover = Run.of(new StringWriter(), "cutover", file.toString(), "--timeout", "120", "--max-lag", "120");
        assertEquals(1, cutover.code(), cutover.out() + cutover.err());
        assertTrue(cutover.err().contains("cutover given up: the migration refused it"), cutover.err());
        assertFalse(cutover.out().contains("Point the application at the target"), cutover.out());
        m.thread().join(120_000);
        Run first = m.result()[0];
        assertEquals(1, first.code(), first.out() + first.err());
        assertTrue(first.err().contains("the tenant databases were still being written after the cutover's marker")
                && first.err().contains("none applied") && first.err().contains("--resume"), first.err());
        writing.set(false);
        app.get(30, java.util.concurrent.TimeUnit.SECONDS);
        // resumed, then cut over with the writes stopped: every change is there, those after the refused marker too
        Background resumed = Background.migrate(file.toString(), "--resume");
        resumed.await(() -> resumed.out().toString().contains("streaming changes from 2 tenant databases"));
        Run second = Run.of(new StringWriter(), "cutover", file.toString(), "--stop-writes", "--timeout", "120", "--max-lag", "120");
        assertEquals(0, second.code(), second.out() + second.err());
        resumed.thread().join(60_000);
        assertEquals(0, resumed.result()[0].code(), resumed.result()[0].out() + resumed.result()[0].err());
        assertTrue(everyDatabaseEqual(dbs, "cdw"), "every tenant equal after the cutover");
    }

    @Test
    void threeTenantDatabasesBecomeOneSetOfDistributedTablesEachRowUnderItsDatabasesTenantKey() throws Exception {
        List<String> dbs = List.of(tenantDatabase("cdb_t", 1), tenantDatabase("cdb_t", 2), tenantDatabase("cdb_t", 3));
        pg.createDatabase("cdbx"); // not matched: stays out
        Path file = databasesFile("cdb", "include drop, snapshot only");
        Run plan = Run.of(new StringWriter(), "plan", file.toString());
        assertEquals(0, plan.code(), plan.out() + plan.err());
        assertTrue(plan.out().contains("Tenants (each source database's rows into one set of tables, under its tenant key; the tenants table in the"
                + " schema named):\n  " + dbs.get(0) + " -> cdb, tenant key 1: 5 tables (app.ads, app.campaigns, app.clicks, app.countries,"
                + " app.impressions)\n"), plan.out());
        assertTrue(plan.out().contains(dbs.get(2) + " -> cdb, tenant key 3"), plan.out());
        assertTrue(plan.out().contains("app.campaigns: primary key campaigns_pkey (id) extended to (tenant_id, id)"), plan.out());

        Run load = Run.of(new StringWriter(), "migrate", file.toString());
        assertEquals(0, load.code(), load.out() + load.err());
        assertEquals(List.of("3"), citus.rows("select count(*) from cdb.tenants"));
        assertEquals(List.of(dbs.get(1)), citus.rows("select database_name from cdb.tenants where tenant_id = 2"));
        for (String db : dbs) {
            String mine = " where tenant_id = (select tenant_id from cdb.tenants where database_name = '" + db + "')";
            for (String table : TABLES) {
                assertEquals(pg.rows(db, rows("app." + table, "")), citus.rows(rows("app." + table, mine)), "every row of " + db + ".app." + table);
            }
            assertEquals(List.of("2"), citus.rows("select count(*) from app.countries" + mine));
        }
        if (!citus.isStandIn()) {
            assertEquals(List.of("6"), citus.rows("select count(*) from pg_dist_partition where (logicalrelid::text like 'app.%'"
                    + " or logicalrelid = 'cdb.tenants'::regclass) and partmethod = 'h' and column_to_column_name(logicalrelid, partkey) = 'tenant_id'"
                    + " and colocationid = (select colocationid from pg_dist_partition where logicalrelid = 'cdb.tenants'::regclass)"),
                    "the tenants table and the 5 tables, by tenant_id, colocated");
        }
        Run verify = Run.of(new StringWriter(), "verify", file.toString());
        assertEquals(0, verify.code(), verify.out() + verify.err());
        assertTrue(verify.out().matches("(?s).*\ncdb\\.tenants +3 +3 +ok\n.*"), verify.out());
        assertTrue(verify.out().matches("(?s).*\n" + dbs.get(1) + " \\(tenant_id 2\\) +5 +\\d+ +\\d+ +ok\n.*"), verify.out());
        // a row changed on one tenant's source: verify names that tenant's table
        pg.exec(dbs.get(2), "update app.ads set name = 'changed' where id = 1");
        Run differs = Run.of(new StringWriter(), "verify", file.toString());
        assertEquals(1, differs.code(), differs.out() + differs.err());
        assertTrue(differs.out().contains("app.ads (" + dbs.get(2) + ")"), differs.out());
        // the application inserts into any tenant through the coordinator: the sequences are past every tenant's ids
        long maxId = dbs.stream().mapToLong(db -> Long.parseLong(pg.rows(db, "select max(id) from app.clicks").get(0))).max().orElseThrow();
        for (int tenant : List.of(1, 2, 3)) {
            long id = Long.parseLong(citus.rows("insert into app.clicks (tenant_id, ad_id, clicked_at, site_url, user_ip, user_data) values ("
                    + tenant + ", 1, now(), 'new', '10.0.0.9', '{}') returning id").get(0));
            assertTrue(id > maxId, id + " > " + maxId);
        }

        // a tenant database whose tables differ is reported before anything is written
        pg.exec(dbs.get(1), "alter table app.ads drop column target_url");
        Run refused = Run.of(new StringWriter(), "migrate", file.toString());
        assertEquals(1, refused.code(), refused.out() + refused.err());
        assertTrue(refused.err().contains("app.ads: (in tenant database " + dbs.get(1) + ") has no column target_url, which app.ads of "
                + dbs.get(0) + " has"), refused.err());
    }

    @Test
    void tenantKeysFromAMappingTableOfTheSourceLiveWithATenantWhoseRowComesAfterItsSchema() throws Exception {
        String db = source("cmp", 3);
        pg.exec(db, "create table customers (id int primary key, schema_name text unique, name text);"
                + " insert into customers values (101, 'cmp_tenant_01', 'Acme'), (205, 'cmp_tenant_02', 'Globex')");
        Path file = dir.resolve("cmp.load");
        Files.writeString(file, """
                load database from %s into %s
                  with include drop, slot name = 'cm_mapping'
                  distribute schemas matching ~/^cmp_tenant_/ into 'cmp' using tenant_id
                    from public.customers (schema_name, id)
                  distribute countries as reference table
                  distribute customers as reference table;
                """.formatted(pg.url(db), citus.url()));
        // a tenant without its row: a plan error naming it, before anything is written
        Run refused = Run.of(new StringWriter(), "migrate", file.toString());
        assertEquals(1, refused.code(), refused.out() + refused.err());
        assertTrue(refused.err().contains("tenant schema cmp_tenant_03 has no row in the tenant mapping public.customers (schema_name, id)"
                + " (schema_name = 'cmp_tenant_03')"), refused.err());
        assertEquals(List.of("0"), citus.rows("select count(*) from information_schema.schemata where schema_name = 'cmp'"), "nothing written");
        assertEquals(List.of(), pg.rows(db, "select slot_name from pg_replication_slots where database = current_database()"));
        pg.exec(db, "insert into customers values (37, 'cmp_tenant_03', 'Initech')");
        Run plan = Run.of(new StringWriter(), "plan", file.toString());
        assertTrue(plan.out().contains("cmp_tenant_02 -> cmp, tenant key 205: 4 tables"), plan.out());
        assertTrue(plan.out().contains("as the tenant mapping public.customers (schema_name, id) gives it"), plan.out());

        Background m = Background.streaming(file);
        pg.exec(db, "update cmp_tenant_02.ads set name = 'streamed' where id = 1; delete from cmp_tenant_03.clicks where id = 2");
        // a tenant signs up: its schema and rows first, its row in the mapping a moment later; the stream waits for it
        pg.exec(db, "begin;\n" + tenantSchema("cmp", 4) + "reset search_path;\ncommit;");
        m.await(() -> m.out().toString().contains("waiting for new tenant schema cmp_tenant_04's row in the tenant mapping public.customers"
                + " (schema_name, id): looking again in"));
        pg.exec(db, "insert into customers values (12, 'cmp_tenant_04', 'Hooli')");
        m.await(() -> m.out().toString().contains("new tenant cmp_tenant_04 taken in under tenant key 12 (recorded in cmp.tenants)"));
        pg.exec(db, "insert into cmp_tenant_04.clicks (ad_id, clicked_at, site_url, user_ip, user_data) values (2, now(), 'later', '10.2.2.2', '{}')");
        m.await(() -> everyTenantEqual(db, "cmp", 4));
        m.cutOverAndFinish(file);
        assertEquals(List.of("12:cmp_tenant_04", "37:cmp_tenant_03", "101:cmp_tenant_01", "205:cmp_tenant_02"),
                citus.rows("select tenant_id || ':' || schema_name from cmp.tenants order by tenant_id"));
        assertEveryTenantEqual(db, "cmp", 4);
        Run verify = Run.of(new StringWriter(), "verify", file.toString());
        assertEquals(0, verify.code(), verify.out() + verify.err());
        assertTrue(verify.out().matches("(?s).*\ncmp_tenant_02 \\(tenant_id 205\\) +4 +\\d+ +\\d+ +ok\n.*"), verify.out());

        // the mapping changed after the tenant's rows went under its key: the plan refuses, naming both keys
        pg.exec(db, "update customers set id = 99 where schema_name = 'cmp_tenant_02'");
        Run changed = Run.of(new StringWriter(), "plan", file.toString());
        assertTrue(changed.code() != 0, changed.out() + changed.err());
        assertTrue((changed.out() + changed.err()).contains("tenant schema cmp_tenant_02 is recorded on the target under tenant key 205 (its rows are there under it),"
                + " but the tenant mapping public.customers (schema_name, id) gives it 99"), changed.err());
        // a mapping the source cannot answer is the command file's mistake, at its place
        Files.writeString(file, Files.readString(file).replace("(schema_name, id)", "(schema_name, nope)"));
        Run bad = Run.of(new StringWriter(), "plan", file.toString());
        assertTrue(bad.code() != 0, bad.out() + bad.err());
        assertTrue((bad.out() + bad.err()).contains("cmp.load:4:5: the tenant mapping public.customers (schema_name, nope) cannot be read on the source: ERROR: column"
                + " \"nope\" does not exist"), bad.err());
    }

    @Test
    void tenantDatabasesTakeTheirKeysFromAMappingInTheDatabaseTheSourceUrlNames() throws Exception {
        List<String> dbs = List.of(tenantDatabase("cdm_t", 1), tenantDatabase("cdm_t", 2));
        String registry = pg.createDatabase("cdm_registry");
        pg.exec(registry, "create table tenants_map (db name primary key, tenant bigint not null);"
                + " insert into tenants_map values ('" + dbs.get(0) + "', 7001), ('" + dbs.get(1) + "', 7000)");
        Path file = dir.resolve("cdm.load");
        Files.writeString(file, """
                load database from %s into %s
                  with include drop, snapshot only
                  distribute databases matching ~/^cdm_t/ into 'cdm' using tenant_id from tenants_map (db, tenant);
                """.formatted(pg.url(registry), citus.url()));
        Run load = Run.of(new StringWriter(), "migrate", file.toString());
        assertEquals(0, load.code(), load.out() + load.err());
        assertEquals(List.of("7000:" + dbs.get(1), "7001:" + dbs.get(0)),
                citus.rows("select tenant_id || ':' || database_name from cdm.tenants order by tenant_id"));
        for (String db : dbs) {
            String mine = " where tenant_id = (select tenant_id from cdm.tenants where database_name = '" + db + "')";
            for (String table : TABLES) {
                assertEquals(pg.rows(db, rows("app." + table, "")), citus.rows(rows("app." + table, mine)), "every row of " + db + ".app." + table);
            }
        }
        // the mapping changed: a tenant's key is the one its rows are under on the target
        pg.exec(registry, "update tenants_map set tenant = 7001");
        Run changed = Run.of(new StringWriter(), "plan", file.toString());
        assertTrue(changed.code() != 0, changed.out() + changed.err());
        assertTrue((changed.out() + changed.err()).contains("tenant database " + dbs.get(1) + " is recorded on the target under tenant key 7000 (its rows are there"
                + " under it), but the tenant mapping tenants_map (db, tenant) gives it 7001"), changed.err());
        // into a new schema (nothing recorded): two tenants given one key, the second named with the first
        Files.writeString(file, Files.readString(file).replace("'cdm'", "'cdm_new'"));
        Run clash = Run.of(new StringWriter(), "plan", file.toString());
        assertTrue(clash.code() != 0, clash.out() + clash.err());
        assertTrue((clash.out() + clash.err()).contains("tenant database " + dbs.get(1) + " gets tenant key 7001 from the tenant mapping tenants_map (db, tenant),"
                + " which " + dbs.get(0) + " has already"), clash.err());
    }

    @Test
    void tenantTablesWithoutAPrimaryKeyStreamLiveEachRowMatchedByItsColumnsUnderItsTenantKey() throws Exception {
        String db = source("ckl", 3);
        for (int i = 1; i <= 3; i++) {
            pg.exec(db, ("create table ckl_tenant_0%1$d.log (at int, msg text, data jsonb);"
                    + " insert into ckl_tenant_0%1$d.log select g, 'm' || g, '{\"t\": %1$d}' from generate_series(1, 5) g;"
                    + " insert into ckl_tenant_0%1$d.log values (1, 'm1', '{\"t\": %1$d}');"
                    + " create unlogged table ckl_tenant_0%1$d.cache (id int primary key, v text);"
                    + " insert into ckl_tenant_0%1$d.cache select g, 'v' || g from generate_series(1, %1$d) g").formatted(i));
        }
        Path file = file(db, "ckl", "include drop, slot name = 'cm_keyless'");
        Background m = Background.streaming(file);
        assertEquals(List.of("f", "f", "f"), pg.rows(db, "select relreplident::text from pg_class where relname = 'log' order by relnamespace::regnamespace::text"),
                "every tenant's keyless table streams its old rows whole");
        // the same rows in every tenant: each change reaches its own tenant's row alone; of two identical rows one goes
        pg.exec(db, """
                delete from ckl_tenant_01.log where ctid = (select ctid from ckl_tenant_01.log where at = 1 limit 1);
                update ckl_tenant_02.log set msg = 'changed' where at = 2;
                insert into ckl_tenant_03.log values (6, 'm6', null), (6, 'm6', null);
                delete from ckl_tenant_03.log where at = 3;
                """);
        pg.exec(db, "truncate ckl_tenant_02.log; insert into ckl_tenant_02.log values (9, 'after the truncate', '{}')");
        // an UNLOGGED table never reaches the WAL: the cutover copies each tenant's again, its rows alone
        pg.exec(db, "update ckl_tenant_01.cache set v = 'changed'; insert into ckl_tenant_03.cache values (10, 'new'); delete from ckl_tenant_02.cache");
        m.await(() -> logsEqual(db, 3));
        m.cutOverAndFinish(file);
        assertTrue(logsEqual(db, 3));
        assertEquals(List.of("1:1:changed", "3:1:v1", "3:2:v2", "3:3:v3", "3:10:new"),
                citus.rows("select tenant_id || ':' || id || ':' || v from ckl.cache order by tenant_id, id"));
        assertEquals(List.of("5", "1", "7"), citus.rows("select count(*) from ckl.log group by tenant_id order by tenant_id"));
        Run verify = Run.of(new StringWriter(), "verify", file.toString());
        assertEquals(0, verify.code(), verify.out() + verify.err());
        assertEquals(List.of("d", "d", "d"), pg.rows(db, "select relreplident::text from pg_class where relname = 'log' order by relnamespace::regnamespace::text"),
                "each table's replica identity given back");
    }

    @Test
    void aTableCreatedInTheTenantSchemasOneAfterTheOtherWhileStreamingBecomesOneConsolidatedTable() throws Exception {
        String db = source("crt", 3);
        Path file = file(db, "crt", "include drop, slot name = 'cm_rollout'");
        Background m = Background.streaming(file);
        // a deployment adds a table to each tenant schema in turn, not the first tenant first, each with rows at once
        String notes = "create table %1$s.notes (id bigserial primary key, ad_id bigint not null references %1$s.ads (id), body text not null,"
                + " created_at timestamp not null default now(), unique (ad_id, body));"
                + " insert into %1$s.notes (ad_id, body) select id, 'note ' || id from %1$s.ads where id <= %2$d";
        pg.exec(db, notes.formatted("crt_tenant_02", 2));
        m.await(() -> m.out().toString().contains("schema change of tenant crt_tenant_02 carried: new table notes created as crt.notes, distributed"
                + " by tenant_id (added), colocated with crt.tenants"));
        pg.exec(db, "insert into crt_tenant_02.notes (ad_id, body) values (3, 'streamed')");
        pg.exec(db, notes.formatted("crt_tenant_01", 1) + "; update crt_tenant_02.notes set body = 'changed' where id = 1");
        pg.exec(db, "begin; " + notes.formatted("crt_tenant_03", 3) + "; delete from crt_tenant_03.notes where id = 2; commit");
        m.await(() -> m.out().toString().contains("tenant crt_tenant_03's table crt_tenant_03.notes carried into crt.notes"));
        // a foreign key rolled out: the consolidated table takes it once every tenant has it (added at the cutover, as every key);
        // one dropped leaves it with the first tenant's drop
        for (int i = 1; i <= 3; i++) {
            pg.exec(db, "alter table crt_tenant_0%1$d.impressions add column campaign_id bigint; alter table crt_tenant_0%1$d.impressions"
                    .formatted(i) + " add constraint impressions_campaign_fkey foreign key (campaign_id) references crt_tenant_0%1$d.campaigns (id)"
                    .formatted(i));
        }
        pg.exec(db, "alter table crt_tenant_02.clicks drop constraint clicks_ad_id_fkey");
        m.await(() -> m.out().toString().contains("schema change of tenant crt_tenant_01 carried to crt.impressions: foreign key impressions_campaign_fkey"
                + " not added yet (2 tenants without it)"));
        m.await(() -> m.out().toString().contains("schema change of tenant crt_tenant_03 carried to crt.impressions: foreign key impressions_campaign_fkey"
                + " planned (every tenant has it: FOREIGN KEY (tenant_id, campaign_id) REFERENCES crt.campaigns (tenant_id, id), added at the cutover)"));
        m.await(() -> m.out().toString().contains("schema change of tenant crt_tenant_02 carried to crt.clicks: foreign key clicks_ad_id_fkey dropped"
                + " (with the first tenant that drops it)"));
        // a column renamed the same way: each tenant's values move to the new name with its rename, the old name goes with the last one
        for (int i : new int[] {2, 1, 3}) {
            String t = "crt_tenant_0" + i;
            if (i == 1) pg.exec(db, "insert into crt_tenant_03.ads (campaign_id, name, target_url, created_at, updated_at) values (1, 'before', 'b', now(), now())");
            pg.exec(db, "alter table " + t + ".ads rename column target_url to landing_url; update " + t + ".ads set landing_url = 'l' || id where id <= 2");
        }
        m.await(() -> m.out().toString().contains("schema change of tenant crt_tenant_02 carried to crt.ads: column target_url renamed to landing_url for"
                + " this tenant, its values copied (target_url kept for the 2 tenants that have it still)"));
        m.await(() -> m.out().toString().contains("schema change of tenant crt_tenant_03 carried to crt.ads: column target_url renamed to landing_url"
                + " (the last tenant to rename it: target_url dropped)"));
        // a grant rolled out: the consolidated table holds every tenant's rows, so a role gets it once every tenant's table grants it
        pg.exec("postgres", "do $$ begin if not exists (select from pg_roles where rolname = 'crt_reader') then create role crt_reader; end if; end $$");
        try (java.sql.Connection c = citus.connect(); java.sql.Statement st = c.createStatement()) {
            st.execute("do $$ begin if not exists (select from pg_roles where rolname = 'crt_reader') then create role crt_reader; end if; end $$");
        }
        pg.exec(db, "grant select on crt_tenant_01.ads, crt_tenant_02.ads to crt_reader; update crt_tenant_03.ads set name = 'after two grants' where id = 1");
        m.await(() -> everyTenantEqual(db, "crt", 3, 3));
        assertEquals(List.of("f"), citus.rows("select has_table_privilege('crt_reader', 'crt.ads', 'select')"), "two tenants of three grant it");
        pg.exec(db, "grant select on crt_tenant_03.ads to crt_reader");
        m.await(() -> citus.rows("select has_table_privilege('crt_reader', 'crt.ads', 'select')").equals(List.of("t")));
        // and a table dropped the same way: each tenant's rows leave with its drop, the table with the last one
        for (int i = 1; i <= 2; i++) {
            pg.exec(db, "create table crt_tenant_0%1$d.tags (id int primary key, tag text); insert into crt_tenant_0%1$d.tags values (1, 't'), (2, 'u')"
                    .formatted(i));
        }
        m.await(() -> m.out().toString().contains("tenant crt_tenant_02's table crt_tenant_02.tags carried into crt.tags")
                && citus.rows("select count(*) from crt.tags").equals(List.of("4")));
        pg.exec(db, "drop table crt_tenant_02.tags");
        m.await(() -> m.out().toString().contains("schema change of tenant crt_tenant_02 carried to crt.tags: table dropped for this tenant, its rows"
                + " deleted (kept for the 1 tenant that has it still)"));
        assertEquals(List.of("1"), citus.rows("select distinct tenant_id from crt.tags"));
        pg.exec(db, "insert into crt_tenant_01.tags values (3, 'v'); drop table crt_tenant_01.tags");
        m.await(() -> m.out().toString().contains("schema change of tenant crt_tenant_01 carried to crt.tags: table dropped (the last tenant to have it)"));
        assertEquals(List.of("0"), citus.rows("select count(*) from pg_class where relname = 'tags' and relnamespace = 'crt'::regnamespace"));
        // a table renamed the same way: its rows keep going to the consolidated table, renamed with the last tenant's rename
        for (int i : new int[] {2, 1, 3}) {
            pg.exec(db, "alter table crt_tenant_0" + i + ".notes rename to memos; insert into crt_tenant_0" + i + ".memos (ad_id, body) values (1, 'memo " + i + "')");
        }
        m.await(() -> m.out().toString().contains("schema change of tenant crt_tenant_02 carried to crt.notes: table notes renamed to memos for this"
                + " tenant (crt.notes keeps its name for the 2 tenants that have it still)"));
        m.await(() -> m.out().toString().contains("schema change of tenant crt_tenant_03 carried to crt.notes: table notes renamed to memos (the last"
                + " tenant to rename it: crt.notes renamed to crt.memos)"));
        String q = "select count(*) || ':' || coalesce(md5(string_agg(id || '/' || ad_id || '/' || body, ',' order by id)), '') from %s x%s";
        m.await(() -> {
            for (int i = 1; i <= 3; i++) {
                String schema = "crt_tenant_0" + i;
                if (!pg.rows(db, q.formatted(schema + ".memos", "")).equals(citus.rows(q.formatted("crt.memos", tenant("crt", schema))))) return false;
            }
            return true;
        });
        m.await(() -> everyTenantEqual(db, "crt", 3));
        m.cutOverAndFinish(file);
        assertEveryTenantEqual(db, "crt", 3);
        assertEquals(List.of("2:1", "4:2", "3:3"), citus.rows("select count(*) || ':' || tenant_id from crt.memos group by tenant_id order by tenant_id"));
        assertEquals(List.of("FOREIGN KEY (tenant_id, ad_id) REFERENCES crt.ads(tenant_id, id)"),
                citus.rows("select pg_get_constraintdef(oid) from pg_constraint where conrelid = 'crt.memos'::regclass and contype = 'f'"
                        + " and conname <> 'notes_tenant_id_fkey'"));
        if (!citus.isStandIn()) {
            assertEquals(List.of("t"), citus.rows("select (select colocationid from pg_dist_partition where logicalrelid = 'crt.memos'::regclass)"
                    + " = (select colocationid from pg_dist_partition where logicalrelid = 'crt.tenants'::regclass)"), "colocated with the tenants");
        }
        assertEquals(List.of("FOREIGN KEY (tenant_id, campaign_id) REFERENCES crt.campaigns(tenant_id, id)"),
                citus.rows("select pg_get_constraintdef(oid) from pg_constraint where conname = 'impressions_campaign_fkey'"
                        + " and conrelid = 'crt.impressions'::regclass"));
        assertEquals(List.of("0"), citus.rows("select count(*) from pg_constraint where conname = 'clicks_ad_id_fkey' and conrelid = 'crt.clicks'::regclass"));
        Run verify = Run.of(new StringWriter(), "verify", file.toString());
        assertEquals(0, verify.code(), verify.out() + verify.err());
        // the application inserts a note for any tenant through the coordinator, past every tenant's ids
        long id = Long.parseLong(citus.rows("insert into crt.memos (tenant_id, ad_id, body) values (2, 1, 'after') returning id").get(0));
        assertTrue(id > 4, id + " > 4");
    }

    /** Whether each tenant's keyless log equals its rows on the target (as a sorted multiset). */
    private static boolean logsEqual(String db, int n) throws Exception {
        for (int i = 1; i <= n; i++) {
            String q = "select count(*) || ':' || coalesce(md5(string_agg(x::text, ',' order by x::text)), '') from (select at, msg, data from %s x%s) x";
            if (!pg.rows(db, q.formatted("ckl_tenant_0" + i + ".log", "")).equals(citus.rows(q.formatted("ckl.log", tenant("ckl", "ckl_tenant_0" + i))))) {
                return false;
            }
        }
        return true;
    }

    @Test
    void aTenantSchemaWhoseTablesDifferIsReportedBeforeAnythingIsWritten() throws Exception {
        String db = source("cdf", 3);
        pg.exec(db, "alter table cdf_tenant_02.ads drop column target_url; alter table cdf_tenant_03.clicks alter column site_url type varchar(200);"
                + " create table cdf_tenant_03.extra (id int primary key)");
        Path file = file(db, "cdf", "include drop, snapshot only");
        Run load = Run.of(new StringWriter(), "migrate", file.toString());
        assertEquals(1, load.code(), load.out() + load.err());
        assertTrue(load.err().contains("cdf_tenant_02.ads: has no column target_url, which cdf_tenant_01.ads has"), load.err());
        assertTrue(load.err().contains("cdf_tenant_03.clicks: column site_url is character varying(200) but text in cdf_tenant_01.clicks"), load.err());
        assertTrue(load.err().contains("cdf_tenant_03.extra: is only in tenant schema cdf_tenant_03, not in cdf_tenant_01"), load.err());
        assertEquals(List.of("0"), citus.rows("select count(*) from information_schema.schemata where schema_name = 'cdf'"), "nothing written");
    }
}
