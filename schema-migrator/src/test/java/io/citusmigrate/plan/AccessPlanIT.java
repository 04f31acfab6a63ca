package io.citusmigrate.plan;

import io.citusmigrate.SourceDb;
import io.citusmigrate.catalog.TargetFacts;
import io.citusmigrate.ddl.SchemaScript;
import io.citusmigrate.ddl.Statement;
import io.citusmigrate.ddl.Statement.Step;
import io.citusmigrate.load.Options;
import io.citusmigrate.testing.EmbeddedPg;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Routines and access in the plan and the schema script: missing roles, `create roles`, policies Citus cannot take, order. */
class AccessPlanIT {
    static EmbeddedPg pg;
    static SourceDb db;

    @BeforeAll
    static void start() {
        pg = EmbeddedPg.start();
        pg.exec("postgres", "create role i20_reader login; create role i20_owner nologin noinherit; grant i20_reader to i20_owner");
        db = new SourceDb(pg, "access").run("""
                create function next_code() returns int language sql as $$ select 7 $$;
                create table tenant (id int primary key, code int default next_code());
                create table item (id int primary key, tenant_id int not null references tenant, v int);
                create function item_label(i item) returns text language sql as $$ select i.id::text $$;
                alter table item owner to i20_owner;
                grant select on tenant, item to i20_reader;
                alter table item enable row level security;
                create policy positive on item as restrictive for select to i20_reader using (v > 0);
                create policy everyone on item using (true);
                """);
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    @Test
    void rolesMissingOnTheTargetStopThePlanUnlessCreateRoles() {
        String rules = "with include drop\ndistribute tenant using id\n";
        Plan refused = Planner.plan(db.command("pgsql://localhost/target", rules), db.catalog(), onPg17(Set.of("postgres")));
        assertTrue(refused.errors().stream().anyMatch(e -> e.message().startsWith("roles missing on the target ")
                && e.message().contains(": i20_owner, i20_reader (")), refused.errors().toString());
        assertEquals(List.of("i20_owner", "i20_reader"), refused.access().missingRoles());

        Plan created = Planner.plan(db.command("pgsql://localhost/target", "with include drop, create roles\ndistribute tenant using id\n"),
                db.catalog(), onPg17(Set.of("postgres")));
        assertTrue(created.errors().stream().noneMatch(e -> e.message().contains("roles missing")), created.errors().toString());
        List<String> access = SchemaScript.of(created, Options.defaults()).stream().filter(s -> s.step() == Step.ACCESS).map(Statement::sql).toList();
        assertTrue(access.contains("CREATE ROLE i20_owner NOLOGIN NOINHERIT"), access.toString());
        assertTrue(access.contains("CREATE ROLE i20_reader LOGIN INHERIT"), access.toString());
        assertTrue(access.contains("GRANT i20_reader TO i20_owner"), access.toString());
        assertTrue(access.contains("ALTER TABLE public.item OWNER TO i20_owner"), access.toString());
        assertTrue(access.contains("GRANT SELECT ON TABLE public.item TO i20_reader"), access.toString());
        assertTrue(access.contains("ALTER TABLE public.item ENABLE ROW LEVEL SECURITY"), access.toString());
        assertTrue(access.contains("CREATE POLICY everyone ON public.item FOR ALL TO PUBLIC USING (true)"), access.toString());
        assertFalse(access.stream().anyMatch(s -> s.toUpperCase().contains("PASSWORD")), access.toString());

        // with the target's roles unknown the plan says so instead of guessing
        Plan unchecked = Planner.plan(db.command("pgsql://localhost/target", rules), db.catalog());
        assertTrue(unchecked.warnings().stream().anyMatch(w -> w.message().contains("were not checked against the target")), unchecked.warnings().toString());
    }

    @Test
    void aRestrictivePolicyOnADistributedTableStopsThePlan() {
        Plan p = Planner.plan(db.command("pgsql://localhost/target", "with create roles\ndistribute tenant using id\n"), db.catalog(), onPg17(Set.of()));
        assertTrue(p.errors().stream().anyMatch(e -> e.message().startsWith("policy positive is RESTRICTIVE")), p.errors().toString());
        // on a local table it is kept as it is
        Plan local = Planner.plan(db.command("pgsql://localhost/target", "with create roles\n"), db.catalog(), onPg17(Set.of()));
        assertTrue(local.ok(), local.errors().toString());
    }

    @Test
    void routinesComeBeforeTheTablesOrAfterTheDistributionAndAccessComesLast() {
        Plan p = Planner.plan(db.command("pgsql://localhost/target", "with include drop\n"), db.catalog(), onPg17(Set.of("i20_reader", "i20_owner")));
        List<Statement> script = SchemaScript.of(p, Options.defaults());
        List<String> what = script.stream().map(s -> s.step() == Step.DROP ? "drop" : s.what()).toList();
        int early = what.indexOf("function public.next_code()");
        int late = what.indexOf("function public.item_label(i public.item)");
        int tenant = what.indexOf("table public.tenant");
        assertTrue(early >= 0 && early < tenant, what.toString());
        assertTrue(late > what.indexOf("table public.item"), what.toString());
        assertEquals(Step.SCHEMAS.compareTo(Step.ROUTINES) < 0, true);
        assertEquals(Step.ACCESS, script.get(script.size() - 1).step());
        assertTrue(script.stream().anyMatch(s -> s.step() == Step.ROUTINES && s.sql().equals("SET check_function_bodies = off")));
        assertTrue(script.stream().anyMatch(s -> s.step() == Step.DROP && s.sql().equals("DROP FUNCTION IF EXISTS public.next_code()")));
    }

    @Test
    void aPrivilegeTheTargetsPostgresqlLacksStopsThePlanNamingIt() {
        SourceDb maint = new SourceDb(pg, "maint").run("""
                create table tenant (id int primary key);
                grant all on tenant to i20_reader;
                """);
        String rules = "distribute tenant using id\n";
        Plan on15 = Planner.plan(maint.command("pgsql://localhost/target", rules), maint.catalog(), new TargetFacts(Set.of("i20_reader"), 150004));
        assertTrue(on15.errors().stream().anyMatch(e -> e.message().startsWith("MAINTAIN on table public.tenant to i20_reader: the target's"
                + " PostgreSQL (15) has no such privilege")), on15.errors().toString());
        assertTrue(Planner.plan(maint.command("pgsql://localhost/target", rules), maint.catalog(), onPg17(Set.of("i20_reader"))).ok());
    }

    /** The target's roles, on a PostgreSQL as new as the source (every privilege the source grants exists there). */
    private static TargetFacts onPg17(Set<String> roles) {
        return new TargetFacts(roles, 170000);
    }
}
