package io.citusmigrate.cli;

import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
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
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Everything the application relies on besides rows, through `migrate` with `snapshot only` and
 * `verify`: an application role's table, column, sequence, schema and routine privileges (a
 * revocation from PUBLIC too), default privileges, row-level security enabled and forced with a
 * per-tenant policy, a plpgsql trigger function, a SQL function taking a table's row type, an
 * aggregate, and a function a column default calls. Roles are the cluster's: this class's roles
 * end in _i20 and are dropped at the end.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.citusmigrate.testing.SourceAndCitus.class) // its source and the best Citus there is
class AccessIT {
    static final String APP = "app_user_i20";
    static final String GHOST = "ghost_i20";
    static EmbeddedPg pg;
    static CitusTarget citus;
    static String sourceDb;
    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws SQLException {
        sourceDb = pg.createDatabase("acc");
        pg.exec("postgres", "create role " + APP + " login"); // Citus reaches the shards as this role
        createRoleOnTarget(APP);
        pg.exec(sourceDb, """
                create schema crm;
                set search_path = crm;
                create function crm.zero() returns numeric language sql immutable as $$ select 0::numeric $$;
                create table tenant (id int primary key, name text not null, note text);
                create table contact (id bigserial primary key, tenant_id int not null references tenant, name text,
                                      updated_at timestamptz);
                create table deal (id bigserial primary key, contact_id bigint not null references contact,
                                   amount numeric not null default crm.zero());
                create function crm.touch() returns trigger language plpgsql as $$
                    begin new.updated_at := now(); return new; end $$;
                create trigger contact_touch before update on contact for each row execute function crm.touch();
                create function crm.label(c crm.contact) returns text language sql stable as $$ select c.name || '@' || c.tenant_id $$;
                create function crm.sum_sq_step(numeric, numeric) returns numeric language sql immutable as $$ select $1 + $2 * $2 $$;
                create aggregate crm.sum_sq(numeric) (sfunc = crm.sum_sq_step, stype = numeric, initcond = '0');
                create function crm.near(bigint, bigint) returns boolean language sql immutable as $$ select abs($1 - $2) <= 1 $$;
                create operator crm.=~= (function = crm.near, leftarg = bigint, rightarg = bigint, commutator = operator(crm.=~=));
                create type crm.mood as enum ('low', 'high');
                create function crm.mood_rank(crm.mood) returns int language sql immutable as $$ select case $1 when 'low' then 1 else 2 end $$;
                create cast (crm.mood as int) with function crm.mood_rank(crm.mood);
                alter table deal add column mood crm.mood not null default 'low';
                revoke usage on type crm.mood from public;
                grant usage on type crm.mood to app_user_i20;
                insert into tenant select g, 't' || g from generate_series(1, 3) g;
                insert into contact (tenant_id, name) select g % 3 + 1, 'c' || g from generate_series(1, 30) g;
                insert into deal (contact_id, amount) select g % 30 + 1, g from generate_series(1, 60) g;
                update deal set mood = 'high' where id % 3 = 0;

                grant usage on schema crm to app_user_i20;
                grant select, insert, update, delete on contact, deal to app_user_i20;
                grant select on tenant to app_user_i20;
                grant update (name) on tenant to app_user_i20;
                grant usage on all sequences in schema crm to app_user_i20;
                revoke execute on function sum_sq_step(numeric, numeric) from public;
                grant execute on function sum_sq_step(numeric, numeric) to app_user_i20;
                alter default privileges in schema crm grant select on tables to app_user_i20;
                alter table contact enable row level security;
                alter table contact force row level security;
                create policy tenant_isolation on contact to app_user_i20
                    using (tenant_id = current_setting('app.tenant')::int)
                    with check (tenant_id = current_setting('app.tenant')::int);
                """);
    }

    static void createRoleOnTarget(String role) throws SQLException {
        try (Connection c = citus.connect(); Statement s = c.createStatement()) {
            s.execute("do $$ begin if not exists (select 1 from pg_roles where rolname = '" + role + "') then create role " + role
                    + " login; end if; end $$");
        }
    }

    @AfterAll
    static void stop() throws SQLException {
        citus.close(); // the schemas first: the roles hold privileges in them (SourceAndCitus closes what is left)
        if (!citus.isStandIn()) {
            try (Connection c = citus.connect(); Statement s = c.createStatement()) {
                for (String r : List.of(APP, GHOST)) s.execute("drop role if exists " + r);
            }
        }
    }

    String file(String schema, String with) throws IOException {
        return LoadFile.write(dir.resolve(schema + ".load"), pg, sourceDb, citus, "crm", schema, "include drop, snapshot only" + with,
                "distribute crm.tenant using id").toString();
    }

    @Test
    void privilegesPoliciesAndRoutinesReachTheTargetAndVerifyChecksThem() throws IOException, SQLException {
        System.out.println("[access-test] target: " + citus.description());
        String s = citus.newSchema("acc");
        Run plan = Run.of("plan", file(s, ""));
        assertEquals(0, plan.code(), plan.out() + plan.err());
        assertTrue(plan.out().contains("GRANT DELETE, INSERT, SELECT, UPDATE ON TABLE " + s + ".contact TO " + APP + ";"), plan.out());
        assertTrue(plan.out().contains("GRANT UPDATE (name), SELECT ON TABLE " + s + ".tenant TO " + APP + ";"), plan.out());
        assertTrue(plan.out().contains("CREATE POLICY tenant_isolation ON " + s + ".contact FOR ALL TO " + APP), plan.out());
        assertTrue(plan.out().contains("aggregate " + s + ".sum_sq(numeric)"), plan.out());
        assertTrue(plan.out().contains("function " + s + ".label(c " + s + ".contact) (after the tables)"), plan.out());

        Run load = Run.of("migrate", file(s, ""));
        assertEquals(0, load.code(), load.out() + load.err());

        String t = s + ".";
        // privileges as on the source, and what the source refused is refused
        assertEquals(List.of("t|t|t|t|f|f"), citus.rows("select has_table_privilege('" + APP + "', '" + t + "contact', 'SELECT'),"
                + " has_table_privilege('" + APP + "', '" + t + "contact', 'INSERT'), has_table_privilege('" + APP + "', '" + t + "contact', 'UPDATE'),"
                + " has_table_privilege('" + APP + "', '" + t + "contact', 'DELETE'), has_table_privilege('" + APP + "', '" + t + "contact', 'TRUNCATE'),"
                + " has_table_privilege('" + APP + "', '" + t + "tenant', 'INSERT')"));
        assertEquals(List.of("t|t|f|t|t"), citus.rows("select has_table_privilege('" + APP + "', '" + t + "tenant', 'SELECT'),"
                + " has_column_privilege('" + APP + "', '" + t + "tenant', 'name', 'UPDATE'), has_column_privilege('" + APP + "', '" + t + "tenant', 'note', 'UPDATE'),"
                + " has_sequence_privilege('" + APP + "', '" + t + "contact_id_seq', 'USAGE'), has_schema_privilege('" + APP + "', '" + s + "', 'USAGE')"));
        assertEquals(List.of("t|f"), citus.rows("select has_function_privilege('" + APP + "', '" + t + "sum_sq_step(numeric, numeric)', 'EXECUTE'),"
                + " exists (select 1 from aclexplode((select proacl from pg_proc where oid = '" + t + "sum_sq_step(numeric, numeric)'::regprocedure))"
                + " where grantee = 0)"));
        assertEquals(List.of("t|t"), citus.rows("select relrowsecurity, relforcerowsecurity from pg_class where oid = '" + t + "contact'::regclass"));
        assertEquals(List.of("tenant_isolation"), citus.rows("select polname from pg_policy where polrelid = '" + t + "contact'::regclass"));
        assertEquals(1, citus.rows("select 1 from pg_default_acl d join pg_namespace n on n.oid = d.defaclnamespace where n.nspname = '" + s + "'").size());

        // as the application: one tenant's rows only, and no row written for another tenant
        String perTenant = pg.rows(sourceDb, "select count(*) from crm.contact where tenant_id = 2").get(0);
        assertEquals(List.of(perTenant), asApp("select count(*) from " + t + "contact", "2"));
        assertEquals(List.of("0"), asApp("select count(*) from " + t + "contact where tenant_id <> 2", "2"));
        SQLException refused = org.junit.jupiter.api.Assertions.assertThrows(SQLException.class,
                () -> asApp("insert into " + t + "contact (tenant_id, name) values (1, 'x') returning id", "2"));
        assertTrue(refused.getMessage().contains("row-level security"), refused.getMessage());

        // the routines answer as on the source
        assertEquals(pg.rows(sourceDb, "select crm.sum_sq(amount) from crm.deal"), citus.rows("select " + t + "sum_sq(amount) from " + t + "deal"));
        // a whole row of a distributed table is passed as row(c.*)::type: the plan warns why
        assertEquals(List.of("c3@1"), citus.rows("select " + t + "label(row(c.*)::" + t + "contact) from " + t + "contact c where tenant_id = 1 and id = 3"));
        assertTrue(plan.out().contains("label(c " + s + ".contact) takes the row type of distributed table " + s + ".contact"), plan.out());
        assertEquals(List.of("0"), citus.rows("select " + t + "zero()"));
        // the operator and the cast answer in queries the workers run (Citus does not send them there itself)
        assertEquals(pg.rows(sourceDb, "select count(*) from crm.contact where id operator(crm.=~=) 7"),
                citus.rows("select count(*) from " + t + "contact where id operator(" + t + "=~=) 7"));
        assertEquals(pg.rows(sourceDb, "select sum(mood::int) from crm.deal"), citus.rows("select sum(mood::int) from " + t + "deal"));
        // a type's privileges: USAGE for the application's role, none for PUBLIC, as on the source
        assertEquals(List.of("t|f"), citus.rows("select has_type_privilege('" + APP + "', '" + t + "mood', 'USAGE'),"
                + " exists (select 1 from aclexplode((select typacl from pg_type where oid = '" + t + "mood'::regtype)) where grantee = 0)"));
        assertEquals(1, citus.rows("select 1 from pg_proc where oid = '" + t + "touch()'::regprocedure").size());
        // the trigger is there, after the data, and fires on the target: an UPDATE sets updated_at
        assertTrue(load.out().contains("  triggers: 1 statements"), load.out());
        assertEquals(List.of("0"), citus.rows("select count(*) from " + t + "contact where updated_at is not null"), "it did not fire on the load");
        try (Connection c = citus.connect(); Statement st = c.createStatement()) {
            c.setAutoCommit(false); // rolled back: verify compares the rows below
            st.executeUpdate("update " + t + "contact set name = 'renamed' where tenant_id = 1 and id = 3");
            try (java.sql.ResultSet rs = st.executeQuery("select count(*) from " + t + "contact where tenant_id = 1 and id = 3 and updated_at is not null")) {
                rs.next();
                assertEquals(1, rs.getInt(1), "the trigger set updated_at");
            }
            c.rollback();
        }

        Run verify = Run.of("verify", file(s, ""));
        assertEquals(0, verify.code(), verify.out() + verify.err());
        assertTrue(verify.out().contains("SCHEMA (privileges, row-level security, triggers, routines): ok"), verify.out());

        exec("revoke delete on " + t + "deal from " + APP);
        Run revoked = Run.of("verify", file(s, ""));
        assertEquals(1, revoked.code(), revoked.out() + revoked.err());
        assertTrue(revoked.err().contains("verification failed: schema: " + t + "deal: privilege " + APP + " DELETE only on the source"), revoked.err());
        exec("grant delete on " + t + "deal to " + APP);

        exec("set citus.enable_unsafe_triggers = on; drop trigger contact_touch on " + t + "contact"); // Citus refuses the DROP without it
        Run noTrigger = Run.of("verify", file(s, ""));
        assertEquals(1, noTrigger.code(), noTrigger.out() + noTrigger.err());
        assertTrue(noTrigger.err().contains("verification failed: schema: " + t + "contact: trigger contact_touch only on the source"), noTrigger.err());

        exec("drop policy tenant_isolation on " + t + "contact");
        Run dropped = Run.of("verify", file(s, ""));
        assertEquals(1, dropped.code(), dropped.out() + dropped.err());
        assertTrue(dropped.err().contains("verification failed: schema: " + t + "contact: policy tenant_isolation * to " + APP), dropped.err());
        assertTrue(dropped.err().contains("only on the source"), dropped.err());
    }

    @Test
    void aPolicyWithASubqueryStopsThePlan() throws IOException, SQLException {
        String db = pg.createDatabase("accsub");
        pg.exec(db, """
                create schema crm;
                create table crm.tenant (id int primary key, owner name not null);
                create table crm.item (id int primary key, tenant_id int not null references crm.tenant);
                alter table crm.item enable row level security;
                create policy mine on crm.item using (tenant_id in (select id from crm.tenant where owner = current_user));
                """);
        String s = citus.newSchema("accsub");
        Path f = dir.resolve("sub.load");
        Files.writeString(f, """
                load database from %s into %s with include drop, snapshot only
                   alter schema 'crm' rename to '%s'
                   distribute crm.tenant using id;
                """.formatted(pg.url(db), citus.url(), s));
        Run r = Run.of("migrate", f.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("crm.item: policy mine holds a subquery, which Citus rejects on a distributed table"), r.err());
        assertEquals(List.of(), citus.rows("select 1 from pg_namespace where nspname = '" + s + "'"), "the target was not touched");
    }

    @Test
    void aRoleMissingOnTheTargetStopsThePlanUnlessCreateRoles() throws IOException, SQLException {
        Assumptions.assumeFalse(citus.isStandIn(), "the stand-in shares the source's cluster, and so its roles");
        String db = pg.createDatabase("accghost");
        pg.exec("postgres", "create role " + GHOST + " login");
        pg.exec(db, """
                create table tenant (id int primary key);
                grant select on tenant to ghost_i20;
                """);
        String s = citus.newSchema("accghost");
        Path f = dir.resolve("ghost.load");
        String text = """
                load database from %s into %s with include drop, snapshot only%%s
                   alter schema 'public' rename to '%s'
                   distribute tenant using id;
                """.formatted(pg.url(db), citus.url(), s);
        Files.writeString(f, text.formatted(""));
        Run plan = Run.of("plan", f.toString());
        assertEquals(1, plan.code(), plan.out() + plan.err());
        assertTrue(plan.out().contains("roles missing on the target"), plan.out());
        assertTrue(plan.out().contains("Roles missing on the target: " + GHOST), plan.out());
        Run refused = Run.of("migrate", f.toString());
        assertEquals(1, refused.code(), refused.out() + refused.err());
        assertEquals(List.of(), citus.rows("select 1 from pg_namespace where nspname = '" + s + "'"), "the target was not touched");

        Files.writeString(f, text.formatted(", create roles"));
        Run created = Run.of("migrate", f.toString());
        assertEquals(0, created.code(), created.out() + created.err());
        assertEquals(List.of("t|t"), citus.rows("select rolcanlogin, has_table_privilege('" + GHOST + "', '" + s + ".tenant', 'SELECT')"
                + " from pg_roles where rolname = '" + GHOST + "'"));
    }

    /** A query as the application role with app.tenant set, in one transaction (Citus sends SET LOCAL on to the shards). */
    static List<String> asApp(String sql, String tenant) throws SQLException {
        try (Connection c = citus.connect()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                if (!citus.isStandIn()) st.execute("set local citus.propagate_set_commands = 'local'");
                st.execute("set local role " + APP);
                st.execute("set local app.tenant = '" + tenant + "'");
                List<String> out = new ArrayList<>();
                try (ResultSet rs = st.executeQuery(sql)) {
                    while (rs.next()) out.add(rs.getString(1));
                }
                c.commit();
                return out;
            } finally {
                if (!c.getAutoCommit()) c.rollback();
            }
        }
    }

    static void exec(String sql) throws SQLException {
        try (Connection c = citus.connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
