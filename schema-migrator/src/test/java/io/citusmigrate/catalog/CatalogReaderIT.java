package io.citusmigrate.catalog;

import io.citusmigrate.SourceDb;
import io.citusmigrate.testing.EmbeddedPg;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CatalogReaderIT {
    static EmbeddedPg pg;
    static Catalog catalog;

    @BeforeAll
    static void start() {
        pg = EmbeddedPg.start();
        catalog = new SourceDb(pg, "rich").run("""
                create extension hstore;
                create schema "Sales";
                create type "Sales".mood as enum ('sad', 'ok', 'happy');
                create domain "Sales".positive as numeric(10,2) default 1 not null check (value > 0);
                create type "Sales".pair as (a int, b text);
                create type "Sales".floatrange as range (subtype = float8);
                create table "Sales"."Order" (
                    "Id" bigint generated always as identity primary key,
                    "select" text not null default 'x',
                    amounts numeric(20,10)[],
                    feeling "Sales".mood,
                    feelings "Sales".mood[],
                    price "Sales".positive,
                    p "Sales".pair,
                    r "Sales".floatrange,
                    attrs hstore,
                    name varchar(40) collate "C",
                    total numeric generated always as (price * 2) stored,
                    during tsrange,
                    created timestamptz(3) not null default now(),
                    constraint order_name_check check (length(name) > 1),
                    constraint no_overlap exclude using gist (during with &&),
                    constraint uq unique nulls not distinct ("select", name) deferrable initially deferred
                );
                comment on table "Sales"."Order" is 'orders, mixed case';
                comment on column "Sales"."Order"."select" is 'a reserved word';
                create table "Sales".line (
                    order_id bigint, n int, serial_no serial,
                    primary key (order_id, n),
                    foreign key (order_id) references "Sales"."Order" ("Id") match full on delete cascade on update restrict deferrable
                );
                create table "Sales".ship (
                    order_id bigint, n int, ref int,
                    foreign key (order_id, n) references "Sales".line (order_id, n) on delete set null (n)
                );
                create index line_partial on "Sales".line (n desc nulls last) include (serial_no) where n > 0;
                create index order_expr on "Sales"."Order" (lower(name) text_pattern_ops);
                create table events (id int, at date not null, primary key (id, at)) partition by range (at);
                create table events_2024 partition of events for values from ('2024-01-01') to ('2025-01-01');
                create sequence standalone_seq as int increment by 5 start with 100;
                create function touch() returns trigger language plpgsql as $$ begin return new; end $$;
                create trigger line_touch before update on "Sales".line for each row execute function touch();
                create view "Sales".big_orders as select "Id", name from "Sales"."Order" where total > 100;
                create table never_analyzed (id int, pad text) with (autovacuum_enabled = false);
                insert into never_analyzed select g, repeat('x', 100) from generate_series(1, 5000) g;
                create table analyzed_empty (id int);
                analyze analyzed_empty;
                """).catalog();
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    private static Table table(String schema, String name) {
        return catalog.table(QualifiedName.of(schema, name)).orElseThrow();
    }

    private static Column column(Table t, String name) {
        return t.column(name).orElseThrow();
    }

    @Test
    void columnsKeepExactTypesDefaultsAndFlags() {
        Table o = table("Sales", "Order");
        assertEquals(List.of("Id", "select", "amounts", "feeling", "feelings", "price", "p", "r", "attrs", "name", "total", "during", "created"),
                o.columns().stream().map(Column::name).toList());
        assertEquals('a', column(o, "Id").identity());
        assertTrue(column(o, "select").notNull());
        assertEquals("'x'::text", column(o, "select").defaultExpr());
        assertEquals("numeric(20,10)[]", column(o, "amounts").type().sql());
        assertEquals(QualifiedName.of("Sales", "mood"), column(o, "feeling").type().userType());
        assertEquals('e', column(o, "feeling").type().typtype());
        assertTrue(column(o, "feelings").type().array());
        assertEquals("\"Sales\".mood[]", column(o, "feelings").type().sql());
        assertEquals('d', column(o, "price").type().typtype());
        assertEquals("public.hstore", column(o, "attrs").type().sql());
        assertEquals("character varying(40)", column(o, "name").type().sql());
        assertEquals("pg_catalog.\"C\"", column(o, "name").collation());
        assertEquals("((price)::numeric * (2)::numeric)", column(o, "total").generated());
        assertNull(column(o, "total").defaultExpr(), "a generated column has no default");
        assertEquals("timestamp(3) with time zone", column(o, "created").type().sql());
        assertEquals("now()", column(o, "created").defaultExpr());
        assertEquals("orders, mixed case", o.comment());
        assertEquals("a reserved word", column(o, "select").comment());
    }

    /** Work on tables is ordered by it (biggest first, small ones over one connection per worker): never 0 for a table with rows. */
    @Test
    void rowEstimatesOfTablesNeverAnalyzedComeFromTheirSize() {
        long guessed = table("public", "never_analyzed").estimatedRows();
        assertTrue(guessed > 1000 && guessed < 20_000, "5,000 rows of about 130 bytes estimated as " + guessed);
        assertEquals(0, table("public", "analyzed_empty").estimatedRows());
    }

    @Test
    void constraintsOfEveryKind() {
        Table o = table("Sales", "Order");
        assertEquals(List.of("Id"), o.primaryKey().orElseThrow().columns());
        Constraint uq = o.constraints().stream().filter(c -> c.name().equals("uq")).findFirst().orElseThrow();
        assertEquals(Constraint.Kind.UNIQUE, uq.kind());
        assertEquals(List.of("select", "name"), uq.columns());
        assertTrue(uq.deferrable() && uq.initiallyDeferred());
        assertTrue(uq.definition().contains("NULLS NOT DISTINCT"), uq.definition());
        assertTrue(o.constraints().stream().anyMatch(c -> c.kind() == Constraint.Kind.EXCLUDE && c.name().equals("no_overlap")));
        assertTrue(o.constraints().stream().anyMatch(c -> c.kind() == Constraint.Kind.CHECK && c.definition().equals("CHECK ((length((name)::text) > 1))")));
    }

    @Test
    void foreignKeysWithSeveralColumnsActionsAndMatch() {
        ForeignKey l = table("Sales", "line").foreignKeys().get(0);
        assertEquals(QualifiedName.of("Sales", "Order"), l.refTable());
        assertEquals(List.of("Id"), l.refColumns());
        assertEquals('c', l.onDelete());
        assertEquals('r', l.onUpdate());
        assertEquals('f', l.match());
        assertTrue(l.deferrable());
        ForeignKey s = table("Sales", "ship").foreignKeys().get(0);
        assertEquals(List.of("order_id", "n"), s.columns());
        assertEquals(List.of("order_id", "n"), s.refColumns());
        assertEquals('n', s.onDelete());
        assertEquals(List.of("n"), s.onDeleteSetColumns());
    }

    @Test
    void indexesPartialExpressionOpclassInclude() {
        Index partial = table("Sales", "line").indexes().get(0);
        assertEquals("line_partial", partial.name());
        assertEquals(" DESC NULLS LAST", partial.keys().get(0).ordering());
        assertEquals(List.of("serial_no"), partial.include());
        assertEquals("(n > 0)", partial.predicate());
        Index expr = table("Sales", "Order").indexes().get(0);
        assertEquals("lower(name::text)", expr.keys().get(0).expression());
        assertEquals("pg_catalog.text_pattern_ops", expr.keys().get(0).opclass());
        assertTrue(expr.keyColumns().isEmpty());
        // indexes behind constraints are not listed twice
        assertFalse(table("Sales", "Order").indexes().stream().anyMatch(i -> i.name().equals("Order_pkey")));
    }

    @Test
    void partitionsSequencesTriggersTypesViews() {
        Table events = table("public", "events");
        assertEquals("RANGE (at)", events.partitionKey());
        Table p = table("public", "events_2024");
        assertEquals(QualifiedName.of("public", "events"), p.partitionOf());
        assertEquals("FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')", p.partitionBound());
        assertTrue(p.constraints().isEmpty(), "the partition's inherited primary key belongs to its parent");

        Sequence serial = catalog.sequences().stream().filter(s -> s.name().name().equals("line_serial_no_seq")).findFirst().orElseThrow();
        assertEquals(QualifiedName.of("Sales", "line"), serial.ownedByTable());
        assertEquals("serial_no", serial.ownedByColumn());
        assertFalse(serial.identity());
        assertTrue(catalog.sequences().stream().anyMatch(s -> s.identity() && s.ownedByColumn().equals("Id")));
        Sequence standalone = catalog.sequences().stream().filter(s -> s.name().name().equals("standalone_seq")).findFirst().orElseThrow();
        assertEquals(5, standalone.increment());
        assertEquals(100, standalone.start());
        assertEquals("integer", standalone.type());

        assertEquals(List.of("line_touch"), table("Sales", "line").triggers().stream().map(Trigger::name).toList());

        List<UserType> types = catalog.types();
        UserType mood = types.stream().filter(t -> t.name().name().equals("mood")).findFirst().orElseThrow();
        assertEquals(List.of("sad", "ok", "happy"), mood.labels());
        UserType positive = types.stream().filter(t -> t.name().name().equals("positive")).findFirst().orElseThrow();
        assertEquals("numeric(10,2)", positive.baseType());
        assertTrue(positive.domainNotNull());
        assertEquals(List.of("CHECK ((VALUE > (0)::numeric))"), positive.checks());
        assertEquals(List.of("a integer", "b text"), types.stream().filter(t -> t.name().name().equals("pair")).findFirst().orElseThrow().attributes());
        assertEquals("double precision", types.stream().filter(t -> t.name().name().equals("floatrange")).findFirst().orElseThrow().rangeSubtype());
        assertFalse(types.stream().anyMatch(t -> t.name().name().equals("hstore")), "extension types belong to the extension");
        assertEquals(List.of("hstore"), catalog.extensions().stream().map(Catalog.Extension::name).toList());

        View v = catalog.views().get(0);
        assertEquals(QualifiedName.of("Sales", "big_orders"), v.name());
        assertEquals(List.of(QualifiedName.of("Sales", "Order")), v.dependsOn());
    }
}
