package io.citusmigrate.plan;

import io.citusmigrate.SourceDb;
import io.citusmigrate.catalog.Constraint;
import io.citusmigrate.catalog.ForeignKey;
import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.load.LoadFileException;
import io.citusmigrate.testing.EmbeddedPg;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlannerIT {
    static EmbeddedPg pg;
    static SourceDb example;

    @BeforeAll
    static void start() {
        pg = EmbeddedPg.start();
        example = new SourceDb(pg, "example").runResource("/examples/multitenant-schema.sql");
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    private static QualifiedName pub(String t) {
        return QualifiedName.of("public", t);
    }

    private static TablePlan table(Plan p, String name) {
        return p.table(pub(name)).orElseThrow();
    }

    @Test
    void theRootRuleDerivesTheWholeTree() {
        Plan p = example.plan("""
                with include drop, reset no sequences
                cast column impressions.seen_at to "timestamp with time zone"
                distribute companies using id
                """);
        assertTrue(p.ok(), () -> p.errors().toString());
        for (String t : List.of("companies", "campaigns", "ads", "clicks", "impressions")) {
            assertEquals(TablePlan.Kind.DISTRIBUTED, table(p, t).kind(), t);
        }
        TablePlan companies = table(p, "companies");
        assertEquals("id", companies.distributionColumn());
        assertNull(companies.colocateWith());
        assertTrue(companies.backfillPath().isEmpty());

        TablePlan campaigns = table(p, "campaigns");
        assertEquals("company_id", campaigns.distributionColumn());
        assertFalse(campaigns.tenantColumnAdded());
        assertEquals(pub("companies"), campaigns.colocateWith());
        assertTrue(campaigns.backfillPath().isEmpty(), "campaigns carries company_id itself");

        TablePlan ads = table(p, "ads");
        assertEquals("company_id", ads.distributionColumn());
        assertTrue(ads.tenantColumnAdded());
        assertEquals(pub("companies"), ads.colocateWith());
        assertEquals(List.of("ads(campaign_id) -> campaigns(id)"), ads.backfillPath().stream().map(Hop::toString).toList());

        for (String t : List.of("clicks", "impressions")) {
            TablePlan x = table(p, t);
            assertEquals("company_id", x.distributionColumn());
            assertTrue(x.tenantColumnAdded());
            assertEquals(pub("companies"), x.colocateWith());
            assertEquals(List.of(t + "(ad_id) -> ads(id)", "ads(campaign_id) -> campaigns(id)"),
                    x.backfillPath().stream().map(Hop::toString).toList(), t);
        }
        // parents before children
        List<String> order = p.tables().stream().map(t -> t.source().name().name()).toList();
        assertTrue(order.indexOf("companies") < order.indexOf("campaigns"));
        assertTrue(order.indexOf("campaigns") < order.indexOf("ads"));
        assertTrue(order.indexOf("ads") < order.indexOf("clicks"));
    }

    @Test
    void theRewriteExtendsKeysAndAddsTheTenantColumnFirst() {
        Plan p = example.plan("cast column impressions.seen_at to \"timestamp with time zone\"\ndistribute companies using id");
        TablePlan clicks = table(p, "clicks");
        assertEquals("company_id", clicks.columns().get(0).name());
        assertEquals("bigint", clicks.columns().get(0).type().sql());
        assertTrue(clicks.columns().get(0).notNull());
        Constraint pk = clicks.constraints().stream().filter(c -> c.kind() == Constraint.Kind.PRIMARY_KEY).findFirst().orElseThrow();
        assertEquals(List.of("company_id", "id"), pk.columns());
        ForeignKey fk = clicks.foreignKeys().get(0);
        assertEquals(List.of("company_id", "ad_id"), fk.columns());
        assertEquals(List.of("company_id", "id"), fk.refColumns());
        // campaigns already carries the key: its foreign key to companies stays as it is
        ForeignKey cfk = table(p, "campaigns").foreignKeys().get(0);
        assertEquals(List.of("company_id"), cfk.columns());
        assertEquals(List.of("id"), cfk.refColumns());
        assertTrue(table(p, "campaigns").columns().stream().filter(c -> c.name().equals("company_id")).findFirst().orElseThrow().notNull(),
                "the distribution column becomes NOT NULL");
        assertEquals("timestamp with time zone",
                table(p, "impressions").columns().stream().filter(c -> c.name().equals("seen_at")).findFirst().orElseThrow().type().sql());
        assertTrue(table(p, "impressions").columns().stream().filter(c -> c.name().equals("seen_at")).findFirst().orElseThrow().notNull());
    }

    @Test
    void explicitRulesWinOverDerivedOnes() {
        Plan p = example.plan("""
                distribute companies using id
                distribute clicks using company_id from ads, campaigns
                distribute impressions as reference table
                """);
        assertEquals("rule at test.load:3:1", table(p, "clicks").derivation());
        assertEquals(TablePlan.Kind.REFERENCE, table(p, "impressions").kind());
        // a reference table may not point at a distributed one: Citus rejects that key
        assertFalse(p.ok());
        assertTrue(p.errors().get(0).message().contains("foreign keys from reference tables and local tables to distributed tables are not supported"),
                p.errors().toString());
    }

    /** What keys and checksums are ordered by: a partitioned table counts its partitions' rows, at every level. */
    @Test
    void aPartitionedTablesRowEstimateIsItsPartitions() {
        SourceDb s = new SourceDb(pg, "estimates").run("""
                create table tenants (id int primary key);
                create table events (tenant_id int not null references tenants, id int, at date not null,
                                     primary key (tenant_id, id, at)) partition by range (at);
                create table events_2024 partition of events for values from ('2024-01-01') to ('2025-01-01')
                    partition by range (at);
                create table events_2024_h1 partition of events_2024 for values from ('2024-01-01') to ('2024-07-01');
                create table events_2025 partition of events for values from ('2025-01-01') to ('2026-01-01');
                insert into tenants select g from generate_series(1, 10) g;
                insert into events select g % 10 + 1, g, '2024-02-01' from generate_series(1, 3000) g;
                insert into events select g % 10 + 1, g, '2025-02-01' from generate_series(1, 1000) g;
                analyze;
                """);
        java.util.Map<QualifiedName, Long> rows = s.plan("distribute tenants using id").estimatedRows();
        assertEquals(10L, rows.get(pub("tenants")));
        assertEquals(3000L, rows.get(pub("events_2024")));
        assertEquals(4000L, rows.get(pub("events")));
    }

    @Test
    void aRuleNamingAMissingTableOrColumnPointsAtTheFile() {
        LoadFileException e = assertThrows(LoadFileException.class, () -> example.plan("distribute companys using id"));
        assertEquals("test.load:2:12: table companys does not exist in the source database", e.getMessage());
        LoadFileException c = assertThrows(LoadFileException.class, () -> example.plan("distribute companies using tenant"));
        assertTrue(c.getMessage().startsWith("test.load:2:28: table public.companies has no column tenant"), c.getMessage());
        LoadFileException f = assertThrows(LoadFileException.class, () -> example.plan("distribute companies using id\ndistribute ads using company_id from companies"));
        assertEquals("test.load:3:38: table public.ads has no foreign key to public.companies", f.getMessage());
    }

    @Test
    void twoRoutesToTheTenantAreReportedAndARuleSettlesThem() {
        SourceDb s = new SourceDb(pg, "routes").run("""
                create table tenants (id int primary key);
                create table projects (id int primary key, tenant_id int not null references tenants);
                create table users (id int primary key, tenant_id int not null references tenants);
                create table tasks (id int primary key, project_id int references projects, owner_id int references users);
                """);
        Plan p = s.plan("distribute tenants using id");
        assertFalse(p.ok());
        String msg = p.errors().get(0).toString();
        assertTrue(msg.contains("public.tasks: 2 foreign-key routes to the tenant: via ") && msg.contains("via users") && msg.contains("via projects"), msg);
        Plan settled = s.plan("distribute tenants using id\ndistribute tasks using tenant_id from users");
        assertTrue(settled.ok(), settled.errors().toString());
        assertEquals(List.of("tasks(owner_id) -> users(id)"),
                settled.table(pub("tasks")).orElseThrow().backfillPath().stream().map(Hop::toString).toList());
    }

    @Test
    void aCycleIsReportedWithTheRouteTaken() {
        SourceDb s = new SourceDb(pg, "cycle").run("""
                create table org (id int primary key);
                create table dept (id int primary key, org_id int not null references org, head int);
                create table emp (id int primary key, dept_id int references dept, boss int references emp);
                alter table dept add foreign key (head) references emp;
                """);
        Plan p = s.plan("distribute org using id");
        assertTrue(p.ok(), p.errors().toString());
        TablePlan emp = p.table(pub("emp")).orElseThrow();
        assertEquals(List.of("emp(dept_id) -> dept(id)"), emp.backfillPath().stream().map(Hop::toString).toList());
        // the self-reference becomes (org_id, boss) -> (org_id, id)
        ForeignKey self = emp.foreignKeys().stream().filter(f -> f.refTable().name().equals("emp")).findFirst().orElseThrow();
        assertEquals(List.of("org_id", "boss"), self.columns());
        assertEquals(List.of("org_id", "id"), self.refColumns());
    }

    @Test
    void colocationTypeMismatchIsAPlanErrorThatACastFixes() {
        SourceDb s = new SourceDb(pg, "coloc").run("""
                create table accounts (id bigint primary key);
                create table notes (id int primary key, account_id int not null references accounts);
                """);
        // an int column cannot reference a bigint one in PostgreSQL? it can: int -> bigint keys are allowed
        Plan p = s.plan("distribute accounts using id");
        assertFalse(p.ok());
        assertTrue(p.errors().get(0).message().startsWith("cannot colocate tables notes and accounts"), p.errors().toString());
        Plan fixed = s.plan("cast column notes.account_id to bigint\ndistribute accounts using id");
        assertTrue(fixed.ok(), fixed.errors().toString());
    }

    @Test
    void citusRulesAreRewrittenVisiblyOrReported() {
        SourceDb s = new SourceDb(pg, "rules").run("""
                create table shop (id int primary key);
                create table item (id int primary key, shop_id int not null references shop,
                                   sku text unique, parent int references item on delete set null on update cascade);
                create unique index item_lower_sku on item (lower(sku)) where sku is not null;
                create table booking (id int primary key, item_id int references item,
                                      during tsrange, exclude using gist (during with &&));
                create function noop() returns trigger language plpgsql as $$ begin return new; end $$;
                create trigger item_touch before update on item for each row execute function noop();
                """);
        Plan p = s.plan("distribute shop using id");
        TablePlan item = p.table(pub("item")).orElseThrow();
        List<String> rw = item.rewrites();
        assertTrue(rw.stream().anyMatch(r -> r.startsWith("unique constraint item_sku_key (sku) extended to (shop_id, sku)")), rw.toString());
        assertTrue(rw.stream().anyMatch(r -> r.startsWith("unique index item_lower_sku extended with shop_id")), rw.toString());
        assertTrue(rw.stream().anyMatch(r -> r.contains("ON DELETE SET NULL rewritten to NO ACTION")), rw.toString());
        assertTrue(p.warnings().stream().anyMatch(w -> w.message().startsWith("foreign key item_parent_fkey ON DELETE SET NULL becomes NO ACTION")
                && w.message().contains("instead of setting parent to NULL")), p.warnings().toString());
        assertTrue(rw.stream().anyMatch(r -> r.contains("ON UPDATE CASCADE rewritten to NO ACTION")), rw.toString());
        ForeignKey self = item.foreignKeys().stream().filter(f -> f.name().equals("item_parent_fkey")).findFirst().orElseThrow();
        assertEquals('a', self.onUpdate());
        assertEquals('a', self.onDelete());
        assertEquals(List.of(), self.onDeleteSetColumns());
        assertEquals(List.of("item_touch"), item.deferredTriggers().stream().map(t -> t.name()).toList());
        // created after the data (at a live cutover), with what Citus asks of it said
        assertTrue(p.warnings().stream().anyMatch(w -> w.message().startsWith("trigger item_touch created after the data")
                && w.message().contains("citus.enable_unsafe_triggers")), p.warnings().toString());
        // an exclusion constraint without the distribution column cannot be rewritten: an error
        assertFalse(p.ok());
        assertTrue(p.errors().stream().anyMatch(e -> e.table().name().equals("booking") && e.message().startsWith("exclusion constraint booking_during_excl")),
                p.errors().toString());
    }

    @Test
    void aTableOnlyTheRootReferencesBecomesAReferenceTable() {
        SourceDb s = new SourceDb(pg, "refs").run("""
                create table countries (code text primary key, name text not null);
                create table company (id int primary key, country text references countries);
                create table audit_log (id int primary key, note text);
                """);
        Plan p = s.plan("distribute company using id");
        assertTrue(p.ok(), p.errors().toString());
        TablePlan countries = p.table(pub("countries")).orElseThrow();
        assertEquals(TablePlan.Kind.REFERENCE, countries.kind());
        assertTrue(countries.rewrites().get(0).startsWith("reference table: referenced by distributed table company"), countries.rewrites().toString());
        assertEquals(TablePlan.Kind.LOCAL, p.table(pub("audit_log")).orElseThrow().kind());
        // reference tables are created before distributed ones
        List<String> order = p.tables().stream().map(t -> t.source().name().name()).toList();
        assertTrue(order.indexOf("countries") < order.indexOf("company"));
    }

    @Test
    void filtersAndRenamesApply() {
        Plan p = example.plan("""
                excluding table names matching 'impressions'
                alter schema 'public' rename to 'ads_app'
                alter table names matching 'clicks' rename to 'ad_clicks'
                distribute companies using id
                """);
        assertTrue(p.table(pub("impressions")).isEmpty());
        assertEquals(QualifiedName.of("ads_app", "ad_clicks"), table(p, "clicks").target());
        assertEquals(QualifiedName.of("ads_app", "ads"), table(p, "clicks").foreignKeys().get(0).refTable());
        assertTrue(table(p, "companies").columns().get(0).defaultExpr().contains("ads_app.companies_id_seq"),
                table(p, "companies").columns().get(0).defaultExpr());
    }

    @Test
    void typeCastRulesMatchAliasesDefaultsAndSerials() {
        SourceDb s = new SourceDb(pg, "casts").run("""
                create table t (id serial primary key, code varchar(12) not null default 'none',
                                n int4 default 0, at timestamp, other varchar(5));
                """);
        Plan p = s.plan("""
                cast type int with extra auto_increment to bigint,
                     type varchar when default 'none' to text drop typemod drop not null,
                     type varchar to varchar keep typemod,
                     type timestamp to timestamptz,
                     type money to numeric
                """);
        TablePlan t = p.table(pub("t")).orElseThrow();
        java.util.function.Function<String, io.citusmigrate.catalog.Column> col =
                n -> t.columns().stream().filter(c -> c.name().equals(n)).findFirst().orElseThrow();
        assertEquals("bigint", col.apply("id").type().sql(), "serial matches with extra auto_increment");
        assertEquals("integer", col.apply("n").type().sql(), "a plain int is not auto_increment");
        assertEquals("text", col.apply("code").type().sql());
        assertFalse(col.apply("code").notNull());
        assertEquals("varchar(5)", col.apply("other").type().sql(), "keep typemod carries (5) over");
        assertEquals("timestamptz", col.apply("at").type().sql());
        assertTrue(p.warnings().stream().anyMatch(w -> w.toString().equals("test.load:6:6: warning: cast rule for type money matches no column")),
                p.warnings().toString());
    }

    @Test
    void aUserDefinedRangeTypeIsAPlanErrorWithTheCastThatFixesIt() {
        SourceDb s = new SourceDb(pg, "ranges").run("""
                create type floatrange as range (subtype = float8);
                create table account (id int primary key);
                create table slot (id int primary key, account_id int not null references account, span floatrange);
                """);
        Plan p = s.plan("distribute account using id");
        assertFalse(p.ok());
        assertTrue(p.errors().stream().anyMatch(e -> e.message().startsWith("column span has the user-defined range type public.floatrange")
                && e.message().contains("cast column slot.span to text")), p.errors().toString());
        Plan fixed = s.plan("cast column slot.span to text\ndistribute account using id");
        assertTrue(fixed.ok(), fixed.errors().toString());
    }
}
