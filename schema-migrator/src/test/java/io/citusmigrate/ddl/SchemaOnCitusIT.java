package io.citusmigrate.ddl;

import io.citusmigrate.SourceDb;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.Planner;
import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Creates rewritten schemas on Citus (or the stand-in) and reads back what Citus holds. */
@org.junit.jupiter.api.extension.ExtendWith(io.citusmigrate.testing.SourceAndCitus.class) // its source and the best Citus there is
class SchemaOnCitusIT {
    static EmbeddedPg pg;
    static CitusTarget citus;



    private static void create(Plan plan, LoadCommand cmd) throws SQLException {
        assertTrue(plan.ok(), () -> plan.errors().toString());
        try (Connection c = citus.connect()) {
            new SchemaCreator(c, line -> { }).run(SchemaScript.of(plan, cmd.options()), EnumSet.allOf(io.citusmigrate.ddl.Statement.Step.class), false);
        }
    }


    @Test
    void mixedCaseReservedWordsSchemasCompositeAndSelfReferencingKeys() throws SQLException {
        SourceDb src = new SourceDb(pg, "tricky").run("""
                create schema "Tenant Data";
                create type "Tenant Data".status as enum ('new', 'done');
                create table "Tenant Data"."Account" ("Account Id" bigint primary key, "user" text not null);
                create table "Tenant Data".currency (code char(3) primary key);
                create table "Tenant Data"."order" (
                    "Id" bigserial primary key,
                    "Account Id" bigint not null references "Tenant Data"."Account",
                    "select" "Tenant Data".status not null default 'new',
                    cur char(3) references "Tenant Data".currency,
                    parent_id bigint references "Tenant Data"."order" on delete cascade,
                    unique ("select", "Id"));
                create table "Tenant Data"."Line Item" (
                    order_id bigint, n int, qty int not null check (qty > 0),
                    primary key (order_id, n),
                    foreign key (order_id) references "Tenant Data"."order" ("Id"));
                create table "Tenant Data".note (
                    id int primary key, order_id bigint, n int,
                    foreign key (order_id, n) references "Tenant Data"."Line Item" (order_id, n));
                """);
        String target = citus.track(citus.newSchema("Tricky_Target"));
        LoadCommand cmd = src.command(citus.url(), "with include drop alter schema 'Tenant Data' rename to '" + target + "'"
                + " distribute \"Tenant Data\".\"Account\" using \"Account Id\";");
        Plan plan = Planner.plan(cmd, src.catalog());
        create(plan, cmd);

        Map<String, String> tables = new TreeMap<>();
        for (String r : citus.rows("select table_name::text, citus_table_type || ':' || distribution_column from citus_tables"
                + " where table_name::text like '%" + target + "%'")) {
            String[] p = r.split("\\|");
            tables.put(p[0].substring(p[0].indexOf('.') + 1), p[1]);
        }
        assertEquals(Map.of("\"Account\"", "distributed:Account Id", "currency", "reference:<none>",
                "\"order\"", "distributed:Account Id", "\"Line Item\"", "distributed:Account Id", "note", "distributed:Account Id"), tables);

        // the composite key to "Line Item" and the self-reference both lead with the tenant key
        List<String> fks = citus.rows("select conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) from pg_constraint"
                + " where contype = 'f' and connamespace = '\"" + target + "\"'::regnamespace order by 1");
        assertTrue(fks.stream().anyMatch(f -> f.endsWith("note FOREIGN KEY (\"Account Id\", order_id, n) REFERENCES \"" + target
                + "\".\"Line Item\"(\"Account Id\", order_id, n)")), fks.toString());
        assertTrue(fks.stream().anyMatch(f -> f.contains("FOREIGN KEY (\"Account Id\", parent_id) REFERENCES \"" + target
                + "\".\"order\"(\"Account Id\", \"Id\") ON DELETE CASCADE")), fks.toString());
        assertTrue(fks.stream().anyMatch(f -> f.contains("FOREIGN KEY (cur) REFERENCES \"" + target + "\".currency(code)")), fks.toString());
        // the added tenant column is the first column of "Line Item", NOT NULL, typed like the root's
        assertEquals(List.of("Account Id|bigint|t"), citus.rows("select attname, format_type(atttypid, atttypmod), attnotnull from pg_attribute"
                + " where attrelid = '\"" + target + "\".\"Line Item\"'::regclass and attnum = 1"));
        // the enum moved with the schema; the default still works through the coordinator
        try (Connection c = citus.connect(); Statement s = c.createStatement()) {
            s.execute("insert into \"" + target + "\".\"Account\" values (7, 'u')");
            s.execute("insert into \"" + target + "\".\"order\" (\"Account Id\") values (7)");
            try (ResultSet rs = s.executeQuery("select \"select\"::text, \"Id\" from \"" + target + "\".\"order\"")) {
                rs.next();
                assertEquals("new", rs.getString(1));
                assertEquals(1, rs.getLong(2));
            }
        }
    }

    @Test
    void partitionedTablesAndViews() throws SQLException {
        SourceDb src = new SourceDb(pg, "parts").run("""
                create schema app;
                create table app.tenant (id int primary key);
                create table app.event (tenant_id int not null references app.tenant, id int, at date not null,
                                        primary key (tenant_id, id, at)) partition by range (at);
                create table app.event_2024 partition of app.event for values from ('2024-01-01') to ('2025-01-01');
                create index on app.event (at);
                create view app.recent as select * from app.event where at > '2024-06-01';
                """);
        String target = citus.newSchema("parts");
        LoadCommand cmd = src.command(citus.url(), "alter schema 'app' rename to '" + target + "' distribute app.tenant using id;");
        create(Planner.plan(cmd, src.catalog()), cmd);
        assertEquals(List.of(target + ".event|distributed|tenant_id", target + ".event_2024|distributed|tenant_id",
                        target + ".tenant|distributed|id"),
                citus.rows("select table_name::text, citus_table_type, distribution_column from citus_tables"
                        + " where table_name::text like '" + target + ".%' order by 1"));
        assertEquals(List.of("recent"), citus.rows("select viewname from pg_views where schemaname = '" + target + "'"));
    }

    /**
     * Key builds and the like begin with the biggest table, and a small table's run over one
     * connection per worker (Citus's sequential mode), a big table's over one per shard.
     */
    @Test
    void statementsBeginWithTheBiggestTableAndSmallTablesRunSequentially() throws SQLException {
        String schema = citus.newSchema("order");
        try (Connection c = citus.connect(); Statement s = c.createStatement()) {
            s.execute("create schema \"" + schema + "\"");
            s.execute("create table \"" + schema + "\".ran (n serial, label text, mode text)");
        }
        Map<String, Long> rows = Map.of("small", 20_000L, "big", 3_000_000L, "medium", 500_000L);
        List<io.citusmigrate.ddl.Statement> todo = new ArrayList<>();
        for (String label : List.of("small", "big", "medium")) {
            todo.add(new io.citusmigrate.ddl.Statement(io.citusmigrate.ddl.Statement.Step.KEYS, label, "insert into \"" + schema
                    + "\".ran (label, mode) values ('" + label + "', current_setting('citus.multi_shard_modify_mode', true))",
                    io.citusmigrate.catalog.QualifiedName.of(schema, label)));
        }
        SchemaCreator.runParallel(todo, EnumSet.of(io.citusmigrate.ddl.Statement.Step.KEYS), 1, () -> {
            try {
                return citus.connect();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }, st -> rows.get(st.what()));
        List<String> ran = citus.rows("select label || ' ' || coalesce(nullif(mode, ''), 'parallel') from \"" + schema + "\".ran order by n");
        assertEquals(List.of("big parallel", "medium parallel", "small sequential"), ran);
    }
}
