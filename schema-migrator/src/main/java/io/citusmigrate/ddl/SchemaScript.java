package io.citusmigrate.ddl;

import io.citusmigrate.sql.Sql;
import io.citusmigrate.catalog.Catalog.Extension;
import io.citusmigrate.catalog.Column;
import io.citusmigrate.catalog.Constraint;
import io.citusmigrate.catalog.ForeignKey;
import io.citusmigrate.catalog.Index;
import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.catalog.Sequence;
import io.citusmigrate.catalog.UserType;
import io.citusmigrate.catalog.View;
import io.citusmigrate.ddl.Statement.Step;
import io.citusmigrate.load.Option;
import io.citusmigrate.load.Options;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.TablePlan;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The target schema as ordered DDL: schemas, types, routines and sequences; bare tables (tenant
 * column first); the Citus distribution calls (reference tables first, then distributed tables
 * parents first, colocated with their root); routines that need tables; then keys, indexes and
 * foreign keys, views; last, who may do what ({@link AccessScript}).
 */
public final class SchemaScript {
    private SchemaScript() {}

    /** For a cutover's last line: the triggers it created, by name, or empty. */
    public static String triggersCreated(List<Statement> script, int created) {
        if (created == 0) return "";
        return ", " + created + " trigger" + (created == 1 ? "" : "s") + " created (" + script.stream().filter(s -> s.step() == Step.TRIGGERS)
                .map(Statement::what).collect(Collectors.joining(", ")) + ")";
    }

    public static List<Statement> of(Plan plan, Options options) {
        List<Statement> out = new ArrayList<>();
        boolean createTables = options.flag(Option.CREATE_TABLES);
        if (createTables) {
            if (options.flag(Option.INCLUDE_DROP)) drops(plan, options, out);
            if (options.flag(Option.CREATE_SCHEMA)) {
                for (String s : plan.schemas()) {
                    out.add(new Statement(Step.SCHEMAS, "schema " + Sql.ident(s), "CREATE SCHEMA IF NOT EXISTS " + Sql.ident(s)));
                }
            }
            for (Extension e : plan.extensions()) {
                out.add(new Statement(Step.SCHEMAS, "extension " + e.name(), "CREATE SCHEMA IF NOT EXISTS " + Sql.ident(e.schema())));
                out.add(new Statement(Step.SCHEMAS, "extension " + e.name(),
                        "CREATE EXTENSION IF NOT EXISTS " + Sql.ident(e.name()) + " WITH SCHEMA " + Sql.ident(e.schema())));
            }
            plan.types().forEach(t -> out.add(new Statement(Step.TYPES, "type " + t.name(), type(t))));
            out.addAll(AccessScript.routines(plan, false));
            plan.sequences().forEach(s -> out.add(new Statement(Step.SEQUENCES, "sequence " + s.name(), sequence(s))));
            plan.tables().forEach(t -> out.add(new Statement(Step.TABLES, "table " + t.target(), createTable(t))));
            // before the distribution calls: Citus then treats these as distributed sequences,
            // which cannot be altered (OWNED BY, RESTART); setval() still works on them
            for (Sequence s : plan.sequences()) {
                if (s.ownedByTable() != null && plan.tableByTarget(s.ownedByTable()).isPresent()) {
                    out.add(new Statement(Step.TABLES, "sequence owner " + s.name(), "ALTER SEQUENCE " + s.name().sql()
                            + " OWNED BY " + s.ownedByTable().sql() + "." + Sql.ident(s.ownedByColumn())));
                }
            }
            out.addAll(distribution(plan));
            out.addAll(AccessScript.routines(plan, true));
            out.addAll(AccessScript.operatorsAndCasts(plan));
        }
        for (TablePlan t : plan.tables()) {
            if (t.isPartition()) continue;
            for (Constraint c : t.constraints()) {
                if (c.kind() == Constraint.Kind.CHECK) continue; // created with the table
                out.add(new Statement(Step.KEYS, describe(c) + " " + Sql.ident(c.name()) + " on " + t.target(),
                        "ALTER TABLE " + t.target().sql() + " ADD CONSTRAINT " + Sql.ident(c.name()) + " " + c.definition(), t.target()));
            }
        }
        if (options.flag(Option.CREATE_INDEXES)) {
            for (TablePlan t : plan.tables()) {
                for (Index ix : t.indexes()) {
                    out.add(new Statement(Step.INDEXES, "index " + Sql.ident(ix.name()) + " on " + t.target(), index(t, ix), t.target()));
                }
            }
        }
        if (options.flag(Option.FOREIGN_KEYS)) {
            for (TablePlan t : plan.tables()) {
                for (ForeignKey fk : t.foreignKeys()) {
                    // added NOT VALID (a brief lock), then validated: validations of keys to the same
                    // parent do not block each other, so they can run in parallel
                    // (PostgreSQL has no NOT VALID foreign keys on partitioned tables)
                    String what = "foreign key " + Sql.ident(fk.name()) + " on " + t.target();
                    String def = foreignKey(fk);
                    boolean later = fk.validated() && !t.source().isPartitioned();
                    out.add(new Statement(Step.FOREIGN_KEYS, what, "ALTER TABLE " + t.target().sql() + " ADD CONSTRAINT "
                            + Sql.ident(fk.name()) + " " + (later ? def + " NOT VALID" : def), t.target()));
                    if (later) {
                        out.add(new Statement(Step.VALIDATE, what, "ALTER TABLE " + t.target().sql() + " VALIDATE CONSTRAINT " + Sql.ident(fk.name()), t.target()));
                    }
                }
            }
        }
        if (createTables) {
            for (TablePlan t : plan.tables()) {
                for (io.citusmigrate.catalog.Trigger tr : t.deferredTriggers()) {
                    // Citus takes a row trigger on a distributed or reference table only with this set (in the same statement's session)
                    String unsafe = t.kind() == TablePlan.Kind.LOCAL ? "" : "SET citus.enable_unsafe_triggers = on; ";
                    out.add(new Statement(Step.TRIGGERS, "trigger " + Sql.ident(tr.name()) + " on " + t.target(), unsafe + tr.definition()));
                }
            }
        }
        if (createTables) {
            for (TablePlan t : plan.tables()) comments(t, out);
            for (View v : plan.views()) {
                if (!v.materialized()) {
                    out.add(new Statement(Step.POST_DATA, "view " + v.name(), "CREATE VIEW " + v.name().sql() + " AS " + stripSemicolon(v.definition())));
                    continue;
                }
                // after the data, so that it holds what the bulk load brought
                out.add(new Statement(Step.POST_DATA, "materialized view " + v.name(), "CREATE MATERIALIZED VIEW " + v.name().sql() + " AS "
                        + stripSemicolon(v.definition()) + " WITH DATA"));
                for (String ix : v.indexes()) out.add(new Statement(Step.POST_DATA, "index on materialized view " + v.name(), ix));
            }
            for (io.citusmigrate.catalog.Statistic st : plan.statistics()) {
                out.add(new Statement(Step.POST_DATA, "statistics " + st.name(), st.definition()));
            }
            for (TablePlan t : plan.tables()) {
                if (!t.isPartition()) out.add(new Statement(Step.ANALYZE, "analyze " + t.target(), "ANALYZE " + t.target().sql(), t.target()));
            }
            for (View v : plan.views()) {
                if (v.materialized()) out.add(new Statement(Step.REFRESH, "refresh " + v.name(), "REFRESH MATERIALIZED VIEW " + v.name().sql()));
            }
            out.addAll(AccessScript.access(plan));
        }
        return out;
    }

    /** The Citus calls, in an order Citus accepts. */
    public static List<Statement> distribution(Plan plan) {
        List<Statement> out = new ArrayList<>();
        for (TablePlan t : plan.tables()) {
            if (t.isPartition()) continue;
            if (t.kind() == TablePlan.Kind.REFERENCE) {
                out.add(new Statement(Step.DISTRIBUTE, "reference table " + t.target(),
                        "SELECT create_reference_table(" + Sql.literal(t.target().sql()) + ")"));
            }
        }
        // a distributed schema once its tables are there: Citus makes each a single-shard table, all on one node
        plan.tables().stream().filter(t -> t.kind() == TablePlan.Kind.SCHEMA).map(t -> t.target().schema()).distinct()
                .forEach(s -> out.add(new Statement(Step.DISTRIBUTE, "distributed schema " + Sql.ident(s),
                        "SELECT citus_schema_distribute(" + Sql.literal(Sql.ident(s)) + ")")));
        for (TablePlan t : plan.tables()) {
            if (t.isPartition() || t.kind() != TablePlan.Kind.DISTRIBUTED) continue;
            String call = "SELECT create_distributed_table(" + Sql.literal(t.target().sql()) + ", " + Sql.literal(t.distributionColumn())
                    + (t.colocateWith() != null ? ", colocate_with => " + Sql.literal(t.colocateWith().sql()) : "") + ")";
            out.add(new Statement(Step.DISTRIBUTE, "distributed table " + t.target(), call));
        }
        return out;
    }

    private static void drops(Plan plan, Options options, List<Statement> out) {
        if (options.flag(Option.DROP_SCHEMA)) {
            for (String s : plan.schemas()) {
                out.add(new Statement(Step.DROP, "schema " + Sql.ident(s), "DROP SCHEMA IF EXISTS " + Sql.ident(s) + " CASCADE"));
            }
            return;
        }
        for (View v : plan.views()) {
            String kind = v.materialized() ? "MATERIALIZED VIEW" : "VIEW";
            out.add(new Statement(Step.DROP, kind.toLowerCase() + " " + v.name(), "DROP " + kind + " IF EXISTS " + v.name().sql() + " CASCADE"));
        }
        for (TablePlan t : plan.tables()) {
            if (!t.isPartition()) out.add(new Statement(Step.DROP, "table " + t.target(), "DROP TABLE IF EXISTS " + t.target().sql() + " CASCADE"));
        }
        for (Sequence s : plan.sequences()) out.add(new Statement(Step.DROP, "sequence " + s.name(), "DROP SEQUENCE IF EXISTS " + s.name().sql() + " CASCADE"));
        out.addAll(AccessScript.drops(plan));
        List<UserType> types = new ArrayList<>(plan.types());
        java.util.Collections.reverse(types);
        for (UserType t : types) {
            out.add(new Statement(Step.DROP, "type " + t.name(), (t.kind() == UserType.Kind.DOMAIN ? "DROP DOMAIN" : "DROP TYPE")
                    + " IF EXISTS " + t.name().sql() + " CASCADE"));
        }
    }

    static String type(UserType t) {
        return switch (t.kind()) {
            case ENUM -> "CREATE TYPE " + t.name().sql() + " AS ENUM (" + t.labels().stream().map(Sql::literal).collect(Collectors.joining(", ")) + ")";
            case COMPOSITE -> "CREATE TYPE " + t.name().sql() + " AS (" + String.join(", ", t.attributes()) + ")";
            case RANGE -> "CREATE TYPE " + t.name().sql() + " AS RANGE (SUBTYPE = " + t.rangeSubtype() + ")";
            case DOMAIN -> "CREATE DOMAIN " + t.name().sql() + " AS " + t.baseType()
                    + (t.domainDefault() != null ? " DEFAULT " + t.domainDefault() : "")
                    + (t.domainNotNull() ? " NOT NULL" : "")
                    + t.checks().stream().map(c -> " " + c).collect(Collectors.joining());
        };
    }

    public static String sequence(Sequence s) {
        return "CREATE SEQUENCE IF NOT EXISTS " + s.name().sql() + " AS " + s.type() + " INCREMENT BY " + s.increment()
                + " MINVALUE " + s.min() + " MAXVALUE " + s.max() + " START WITH " + s.start() + " CACHE " + s.cache()
                + (s.cycle() ? " CYCLE" : " NO CYCLE");
    }

    public static String createTable(TablePlan t) {
        StringBuilder b = new StringBuilder("CREATE TABLE ").append(t.target().sql());
        if (t.isPartition()) {
            b.append(" PARTITION OF ").append(t.partitionOf().sql()).append(' ').append(t.source().partitionBound());
        } else {
            b.append(" (\n");
            List<String> items = new ArrayList<>();
            for (Column c : t.columns()) items.add("  " + column(c));
            for (Constraint c : t.constraints()) {
                if (c.kind() == Constraint.Kind.CHECK) items.add("  CONSTRAINT " + Sql.ident(c.name()) + " " + c.definition());
            }
            b.append(String.join(",\n", items)).append("\n)");
        }
        if (t.source().partitionKey() != null) b.append(" PARTITION BY ").append(t.source().partitionKey());
        if (!t.storageParams().isEmpty()) {
            b.append(" WITH (").append(t.storageParams().entrySet().stream()
                    .map(e -> Sql.ident(e.getKey()) + " = " + Sql.literal(e.getValue())).collect(Collectors.joining(", "))).append(')');
        }
        if (t.tablespace() != null) b.append(" TABLESPACE ").append(Sql.ident(t.tablespace()));
        return b.toString();
    }

    static String column(Column c) {
        StringBuilder b = new StringBuilder(Sql.ident(c.name())).append(' ').append(c.type().sql());
        if (c.collation() != null) b.append(" COLLATE ").append(c.collation());
        if (c.generated() != null) b.append(" GENERATED ALWAYS AS (").append(c.generated()).append(") STORED");
        else if (c.identity() == 'a') b.append(" GENERATED ALWAYS AS IDENTITY");
        else if (c.identity() == 'd') b.append(" GENERATED BY DEFAULT AS IDENTITY");
        else if (c.defaultExpr() != null) b.append(" DEFAULT ").append(c.defaultExpr());
        if (c.notNull()) b.append(" NOT NULL");
        return b.toString();
    }

    private static String describe(Constraint c) {
        return switch (c.kind()) {
            case PRIMARY_KEY -> "primary key";
            case UNIQUE -> "unique constraint";
            case EXCLUDE -> "exclusion constraint";
            case CHECK -> "check constraint";
        };
    }

    static String index(TablePlan t, Index ix) {
        StringBuilder b = new StringBuilder(ix.unique() ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
        b.append(Sql.ident(ix.name())).append(" ON ").append(t.target().sql()).append(" USING ").append(ix.method()).append(" (");
        b.append(ix.keys().stream().map(k -> k.expression() + (k.opclass() != null ? " " + k.opclass() : "") + k.ordering())
                .collect(Collectors.joining(", "))).append(')');
        if (!ix.include().isEmpty()) b.append(" INCLUDE (").append(String.join(", ", ix.include())).append(')');
        if (ix.nullsNotDistinct()) b.append(" NULLS NOT DISTINCT");
        if (ix.predicate() != null) b.append(" WHERE ").append(ix.predicate());
        return b.toString();
    }

    /** A foreign key as its ADD CONSTRAINT says it. */
    public static String foreignKeyText(ForeignKey fk) {
        return foreignKey(fk);
    }

    static String foreignKey(ForeignKey fk) {
        StringBuilder b = new StringBuilder("FOREIGN KEY (").append(Sql.idents(fk.columns())).append(") REFERENCES ")
                .append(fk.refTable().sql()).append(" (").append(Sql.idents(fk.refColumns())).append(')');
        if (fk.match() == 'f') b.append(" MATCH FULL");
        if (fk.onUpdate() != 'a') b.append(" ON UPDATE ").append(ForeignKey.action(fk.onUpdate()));
        if (fk.onDelete() != 'a') {
            b.append(" ON DELETE ").append(ForeignKey.action(fk.onDelete()));
            if ((fk.onDelete() == 'n' || fk.onDelete() == 'd') && !fk.onDeleteSetColumns().isEmpty()
                    && !fk.onDeleteSetColumns().equals(fk.columns())) {
                b.append(" (").append(Sql.idents(fk.onDeleteSetColumns())).append(')');
            }
        }
        if (fk.deferrable()) b.append(" DEFERRABLE").append(fk.initiallyDeferred() ? " INITIALLY DEFERRED" : "");
        if (!fk.validated()) b.append(" NOT VALID");
        return b.toString();
    }

    private static void comments(TablePlan t, List<Statement> out) {
        if (t.source().comment() != null) {
            out.add(new Statement(Step.POST_DATA, "comment on " + t.target(), "COMMENT ON TABLE " + t.target().sql() + " IS " + Sql.literal(t.source().comment())));
        }
        for (Column c : t.columns()) {
            if (c.comment() != null && !t.isPartition()) {
                out.add(new Statement(Step.POST_DATA, "comment on " + t.target() + "." + Sql.ident(c.name()),
                        "COMMENT ON COLUMN " + t.target().sql() + "." + Sql.ident(c.name()) + " IS " + Sql.literal(c.comment())));
            }
        }
    }

    private static String stripSemicolon(String s) {
        String t = s.strip();
        return t.endsWith(";") ? t.substring(0, t.length() - 1) : t;
    }

}
