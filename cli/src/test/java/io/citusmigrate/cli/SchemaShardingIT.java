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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `distribute schemas matching ~/re/`: each tenant schema of the source becomes a distributed
 * schema on Citus (schema-based sharding), its tables whole on one node, a shared table a
 * reference table; in a bulk load and in a live migration with writes to every tenant.
 */
@ExtendWith(SourceAndCitus.class)
class SchemaShardingIT {
    static EmbeddedPg pg;
    static CitusTarget citus;
    @TempDir
    Path dir;

    /** Three tenant schemas of the same tables, pointing at a shared table of countries. */
    private static String source(String prefix) {
        String db = pg.createDatabase(prefix);
        StringBuilder sql = new StringBuilder("""
                create table countries (code text primary key, name text);
                insert into countries values ('de', 'Germany'), ('fr', 'France');
                """);
        for (String t : List.of("a", "b", "c")) {
            String s = prefix + "_tenant_" + t;
            sql.append("""
                    create schema %1$s;
                    create table %1$s.customers (id serial primary key, name text, country text references countries);
                    create table %1$s.orders (id serial primary key, customer_id int not null references %1$s.customers, total numeric);
                    insert into %1$s.customers (name, country) select '%2$s' || g, case when g %% 2 = 0 then 'de' else 'fr' end from generate_series(1, 20) g;
                    insert into %1$s.orders (customer_id, total) select g %% 20 + 1, g from generate_series(1, 50) g;
                    """.formatted(s, t));
        }
        pg.exec(db, sql.toString());
        return db;
    }

    private Path file(String db, String prefix, String with) throws Exception {
        Path file = dir.resolve(prefix + ".load");
        Files.writeString(file, """
                load database from %s into %s
                  with %s
                  distribute schemas matching ~/^%s_tenant_/
                  distribute countries as reference table;
                """.formatted(pg.url(db), citus.url(), with, prefix));
        return file;
    }

    private static void assertEveryTenantEqual(String db, String prefix, String... tenants) throws Exception {
        for (String t : tenants.length == 0 ? new String[] {"a", "b", "c"} : tenants) {
            for (String table : List.of("customers", "orders")) {
                String q = "select count(*) || ':' || md5(string_agg(x::text, ',' order by x::text)) from " + prefix + "_tenant_" + t + "." + table + " x";
                assertEquals(pg.rows(db, q), citus.rows(q), "every row of " + prefix + "_tenant_" + t + "." + table);
            }
        }
    }

    @Test
    void eachTenantSchemaBecomesADistributedSchemaWithItsRowsAndItsForeignKeys() throws Exception {
        String db = source("ssb");
        Path file = file(db, "ssb", "include drop");
        Run plan = Run.of(new StringWriter(), "plan", file.toString());
        assertEquals(0, plan.code(), plan.out() + plan.err());
        assertTrue(plan.out().contains("distributed schema"), plan.out());
        assertTrue(plan.out().contains("Tenants (each source schema a distributed schema, its tables together on one node):\n"
                + "  ssb_tenant_a -> ssb_tenant_a: 2 tables (customers, orders)\n"), plan.out());

        Run load = Run.of(new StringWriter(), "migrate", file.toString(), "--snapshot-only");
        assertEquals(0, load.code(), load.out() + load.err());
        assertTrue(load.out().contains("6 in distributed schemas"), load.out());
        if (citus.isStandIn()) {
            System.out.println("[skipped] the distributed schemas themselves: " + citus.description());
            return;
        }
        assertEquals(List.of("ssb_tenant_a", "ssb_tenant_b", "ssb_tenant_c"),
                citus.rows("select schemaid::regnamespace::text from pg_dist_schema where schemaid::regnamespace::text like 'ssb_tenant_%' order by 1"));
        assertEquals(List.of("3"), citus.rows("select count(distinct colocationid) from pg_dist_partition where logicalrelid::text like 'ssb_tenant_%'"),
                "each schema's tables together, apart from the other schemas'");
        assertEquals(List.of("t"), citus.rows("select repmodel::text from pg_dist_partition where logicalrelid = 'public.countries'::regclass"),
                "the shared table a reference table");
        assertEveryTenantEqual(db, "ssb");
        assertEquals(List.of("3"), citus.rows("select count(*) from pg_constraint where contype = 'f' and conrelid::regclass::text like 'ssb_tenant_%.orders'"));
        Run verify = Run.of(new StringWriter(), "verify", file.toString());
        assertEquals(0, verify.code(), verify.out() + verify.err());
        assertTrue(verify.out().matches("(?s).*\nTENANT +TABLES +SOURCE ROWS +TARGET ROWS +RESULT\nssb_tenant_a +2 +70 +70 +ok\n.*"), verify.out());
        // the application inserts into any tenant through the coordinator, its sequences past the copied rows
        citus.rows("insert into ssb_tenant_b.orders (customer_id, total) values (3, 9) returning id");
    }

    @Test
    void aLiveMigrationStreamsEveryTenantsWritesIntoItsDistributedSchemaAndTakesInATenantSchemaCreatedWhileStreaming() throws Exception {
        String db = source("ssl");
        Path file = file(db, "ssl", "include drop, slot name = 'cm_schema_sharding'");
        Background m = Background.streaming(file);
        for (String t : List.of("a", "b", "c")) {
            pg.exec(db, """
                    insert into ssl_tenant_%1$s.customers (name, country) values ('streamed', 'de');
                    update ssl_tenant_%1$s.orders set total = total * 2 where id %% 3 = 0;
                    delete from ssl_tenant_%1$s.orders where id %% 7 = 0;
                    insert into ssl_tenant_%1$s.orders (customer_id, total) select id, 1 from ssl_tenant_%1$s.customers where name = 'streamed';
                    """.formatted(t));
        }
        // a tenant signs up: its schema, tables and first rows in one transaction, more rows later
        pg.exec(db, """
                begin;
                create schema ssl_tenant_d;
                create table ssl_tenant_d.customers (id serial primary key, name text, country text references countries);
                create table ssl_tenant_d.orders (id serial primary key, customer_id int not null references ssl_tenant_d.customers, total numeric);
                insert into ssl_tenant_d.customers (name, country) select 'd' || g, 'fr' from generate_series(1, 5) g;
                insert into ssl_tenant_d.orders (customer_id, total) select g % 5 + 1, g from generate_series(1, 12) g;
                commit;
                update ssl_tenant_d.orders set total = 0 where id = 1;
                insert into ssl_tenant_d.orders (customer_id, total) values (2, 99);
                """);
        // a schema change rolled out to the tenants one after the other: for a while their tables differ
        pg.exec(db, """
                alter table ssl_tenant_a.orders add column note text default 'none';
                update ssl_tenant_a.orders set note = 'noted' where id <= 5;
                insert into ssl_tenant_b.orders (customer_id, total) values (1, 5);
                alter table ssl_tenant_b.orders add column note text default 'none';
                update ssl_tenant_b.orders set note = 'noted b' where id <= 3;
                """);
        m.await(() -> citus.rows("select count(*) from ssl_tenant_c.orders").equals(pg.rows(db, "select count(*) from ssl_tenant_c.orders")));
        m.await(() -> m.out().toString().contains("new table carried to the target: ssl_tenant_d.orders"));
        m.await(() -> m.out().toString().contains("schema change carried to ssl_tenant_b.orders: ADD COLUMN note text"));
        m.await(() -> citus.rows("select count(*) from ssl_tenant_b.orders where note = 'noted b'").equals(List.of("3")));
        // `status` speaks per tenant: the new one too, once the stream has reported its rows
        String[] status = {""};
        m.await(() -> {
            Run r = Run.of(new StringWriter(), "status", file.toString());
            status[0] = r.out();
            return r.out().matches("(?s).*\n    ssl_tenant_d +\\d+ in 2 tables\n.*");
        });
        assertTrue(status[0].contains("rows written per tenant (each a source schema, a distributed schema on the target):\n    ssl_tenant_a "), status[0]);
        m.cutOverAndFinish(file);
        assertEveryTenantEqual(db, "ssl", "a", "b", "c", "d");
        if (!citus.isStandIn()) {
            assertEquals(List.of("ssl_tenant_d"), citus.rows("select schemaid::regnamespace::text from pg_dist_schema where"
                    + " schemaid::regnamespace::text = 'ssl_tenant_d'"), "the new tenant a distributed schema too");
            assertEquals(List.of("1"), citus.rows("select count(distinct colocationid) from pg_dist_partition where logicalrelid::text like 'ssl_tenant_d.%'"));
        }
        Run verify = Run.of(new StringWriter(), "verify", file.toString());
        assertEquals(0, verify.code(), verify.out() + verify.err());
        assertEquals(List.of(), pg.rows(db, "select slot_name from pg_replication_slots where database = current_database()"));
        // the application goes on in the new tenant through the coordinator, its sequence past the streamed rows
        citus.rows("insert into ssl_tenant_d.orders (customer_id, total) values (3, 1) returning id");
    }
}
