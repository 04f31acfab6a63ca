package io.citusmigrate.plan;

import io.citusmigrate.catalog.Column;
import io.citusmigrate.catalog.Constraint;
import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.catalog.Table;
import io.citusmigrate.catalog.TypeRef;
import io.citusmigrate.load.DistributeRule;
import io.citusmigrate.load.LoadFileException;
import io.citusmigrate.load.NamePattern;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The tenant schemas a consolidation rule takes (or its tenant databases): which they are (sorted
 * by name, so each gets the same tenant key on every run: 1, 2, ...), the first of them whose
 * tables stand for all, and every way another tenant's tables differ from those (reported before
 * anything is written). A tenant schema's table is known by its name; a tenant database's by its
 * schema-qualified name, which it keeps on the target.
 */
final class TenantSchemas {
    final DistributeRule rule;
    final List<String> schemas;                             // the tenants' names: schemas, or databases
    final String template;                                  // the first tenant: its tables stand for all
    final Map<String, Map<String, Table>> tables = new TreeMap<>(); // tenant -> table key -> table
    /**
     * While streaming: a table created in the tenant schemas one after the other (a schema change
     * rolled out) is one of theirs from the first tenant that has it, which stands for it; the
     * tenants without it yet are no difference.
     */
    private boolean rollout;

    TenantSchemas(DistributeRule rule, Collection<Table> included, boolean rollout) {
        this(rule, included);
        this.rollout = rollout && !rule.databases();
    }

    TenantSchemas(DistributeRule rule, Collection<Table> included) {
        this.rule = rule;
        for (Table t : included) {
            String s = t.name().schema();
            if (rule.schemas().stream().anyMatch(p -> p.matches(s))) tables.computeIfAbsent(s, k -> new LinkedHashMap<>()).put(key(t), t);
        }
        if (tables.isEmpty()) {
            throw new LoadFileException(rule.at(), "no schema of the source's migrated tables matches "
                    + rule.schemas().stream().map(NamePattern::toString).collect(Collectors.joining(", ")));
        }
        schemas = List.copyOf(tables.keySet());
        template = schemas.get(0);
    }

    /** Tenant databases: each database's migrated tables (the databases matched, read by the caller). */
    TenantSchemas(DistributeRule rule, Map<String, ? extends Collection<Table>> byDatabase) {
        this.rule = rule;
        byDatabase.forEach((db, ts) -> {
            Map<String, Table> mine = tables.computeIfAbsent(db, k -> new LinkedHashMap<>());
            ts.forEach(t -> mine.put(key(t), t));
        });
        if (tables.isEmpty()) {
            throw new LoadFileException(rule.at(), "no database of the source's server matches "
                    + rule.schemas().stream().map(NamePattern::toString).collect(Collectors.joining(", ")));
        }
        schemas = List.copyOf(tables.keySet());
        template = schemas.get(0);
    }

    /** How a tenant's table is matched with the first tenant's: by name in a tenant schema, by qualified name in a tenant database. */
    String key(Table t) {
        return rule.databases() ? t.name().toString() : t.name().name();
    }

    private String kind() {
        return rule.databases() ? "tenant database " : "tenant schema ";
    }

    /** Where a difference is, before what it is: a tenant database's tables have the first's names. */
    private String in(String tenant) {
        return rule.databases() ? "(in tenant database " + tenant + ") " : "";
    }

    /** The first tenant's table, as a difference names it. */
    private String first(Table f) {
        return rule.databases() ? f.name() + " of " + template : f.name().toString();
    }

    boolean contains(String schema) {
        return tables.containsKey(schema);
    }

    /**
     * The tables that stand for the consolidated ones, by key: the first tenant's; while streaming
     * (a table rolled out) a table the first tenant lacks yet from the first tenant that has it.
     */
    Map<String, Table> templates() {
        Map<String, Table> out = new LinkedHashMap<>(tables.get(template));
        if (!rollout) return out;
        for (String s : schemas) {
            for (Table t : tables.get(s).values()) {
                if (out.containsKey(key(t))) continue;
                // its foreign keys to its own schema's tables point at the tables that stand for those
                List<io.citusmigrate.catalog.ForeignKey> fks = t.foreignKeys().stream().map(fk -> {
                    Table ref = fk.refTable().schema().equals(s) ? out.get(fk.refTable().name()) : null;
                    return ref == null ? fk : fk.with(fk.columns(), ref.name(), fk.refColumns(), fk.onUpdate(), fk.onDelete(), fk.onDeleteSetColumns());
                }).toList();
                out.put(key(t), new Table(t.oid(), t.name(), t.columns(), t.constraints(), fks, t.indexes(), t.triggers(), t.partitionKey(),
                        t.partitionOf(), t.partitionBound(), t.comment(), t.estimatedRows(), t.unlogged()));
            }
        }
        return out;
    }

    /** Whether a table stands for its consolidated table (see {@link #templates}). */
    boolean isTemplate(Table t) {
        Table f = templates().get(key(t));
        return f != null && f.name().equals(t.name());
    }

    /**
     * The tenants: a schema the target has recorded keeps its tenant key (its rows are there
     * under it); the others are numbered after the highest recorded, in schema-name order (1, 2,
     * ... on a first run), or, with a mapping ({@code from T (N, K)}), take the key it gives.
     * A mapping must give every tenant a key of its own, and the key the target recorded: each
     * way it does not is a plan error naming the tenant.
     */
    List<Consolidation.Tenant> tenants(Map<String, Long> recorded, Map<String, Long> mapped, List<PlanIssue> issues) {
        List<Consolidation.Tenant> out = new ArrayList<>();
        long next = recorded.values().stream().mapToLong(Long::longValue).max().orElse(0) + 1;
        DistributeRule.TenantMap map = rule.tenantMap();
        Map<Long, String> taken = new TreeMap<>();
        recorded.forEach((name, key) -> taken.put(key, name));
        for (String s : schemas) {
            Long key = recorded.get(s);
            if (map != null) {
                Long given = mapped.get(s);
                String said = null;
                if (given == null) {
                    said = Consolidation.NOT_MAPPED + " " + map + " (" + map.nameColumn() + " = '" + s + "'): the mapping gives each tenant its tenant key";
                } else if (key != null && !key.equals(given)) {
                    said = "is recorded on the target under tenant key " + key + " (its rows are there under it), but the tenant mapping " + map
                            + " gives it " + given;
                } else if (key == null && taken.containsKey(given)) {
                    said = "gets tenant key " + given + " from the tenant mapping " + map + ", which " + taken.get(given) + " has already";
                }
                if (said != null) issues.add(PlanIssue.error(at(s), kind() + s + " " + said));
                if (key == null && given != null && !taken.containsKey(given)) key = given;
                if (key != null) taken.putIfAbsent(key, s);
            }
            out.add(new Consolidation.Tenant(s, key != null ? key : next++));
        }
        return List.copyOf(out);
    }

    /** Where a tenant's plan error is told: its first table (its tenants-table row for a database, whose tables have the first's names). */
    private QualifiedName at(String tenant) {
        Table first = tables.get(tenant).values().stream().findFirst().orElse(null);
        return first == null || rule.databases() ? QualifiedName.of(rule.intoSchema(), Consolidation.TENANTS_TABLE) : first.name();
    }

    /** Each schema's table of the same name as a template table. */
    List<Table> sharesOf(Table templateTable) {
        return schemas.stream().map(s -> tables.get(s).get(templateTable.name().name())).filter(Objects::nonNull).toList();
    }

    /** Every difference between a tenant schema's tables and the first schema's, one line each. */
    List<PlanIssue> differences() {
        List<PlanIssue> out = new ArrayList<>();
        Map<String, Table> first = rollout ? templates() : tables.get(template);
        for (String s : schemas) {
            Map<String, Table> mine = tables.get(s);
            for (String name : first.keySet()) {
                if (s.equals(template) || rollout) continue;
                if (!mine.containsKey(name)) out.add(PlanIssue.error(rule.databases() ? first.get(name).name() : QualifiedName.of(s, name), "is missing: " + kind() + s
                        + " has no table " + name + ", which " + template + " has; the tenants must hold the same tables to become one set"));
            }
            for (Table t : mine.values()) {
                Table f = first.get(key(t));
                if (f == t) continue;
                String in = in(s);
                if (f == null) {
                    out.add(PlanIssue.error(t.name(), "is only in " + kind() + s + ", not in " + template
                            + "; the tenants must hold the same tables to become one set"));
                    continue;
                }
                for (Column c : f.columns()) {
                    Column mc = t.column(c.name()).orElse(null);
                    if (mc == null) out.add(PlanIssue.error(t.name(), in + "has no column " + c.name() + ", which " + first(f) + " has"));
                    else if (!type(mc.type(), s).equals(type(c.type(), rule.databases() ? template : f.name().schema()))) {
                        out.add(PlanIssue.error(t.name(), in + "column " + c.name() + " is " + mc.type().sql() + " but " + c.type().sql() + " in " + first(f)));
                    } else if (mc.generated() == null != (c.generated() == null)) {
                        out.add(PlanIssue.error(t.name(), in + "column " + c.name() + (mc.generated() == null ? " is not" : " is") + " generated, unlike in " + first(f)));
                    }
                }
                for (Column mc : t.columns()) {
                    if (f.column(mc.name()).isEmpty()) out.add(PlanIssue.error(t.name(), in + "has a column " + mc.name() + " that " + first(f) + " has not"));
                }
                List<String> pk = t.primaryKey().map(Constraint::columns).orElse(List.of());
                List<String> fpk = f.primaryKey().map(Constraint::columns).orElse(List.of());
                if (!pk.equals(fpk)) out.add(PlanIssue.error(t.name(), in + "has the primary key (" + String.join(", ", pk) + "), " + first(f)
                        + " (" + String.join(", ", fpk) + ")"));
                if (t.isPartitioned() != f.isPartitioned() || t.isPartition() != f.isPartition()) {
                    out.add(PlanIssue.error(t.name(), in + "is partitioned otherwise than " + first(f)));
                }
            }
        }
        return out;
    }

    /** A type as compared across schemas: a type of the tenant's own schema by its name alone. */
    private static String type(TypeRef t, String schema) {
        if (t.userType() != null && t.userType().schema().equals(schema)) return t.userType().name() + (t.array() ? "[]" : "");
        return t.sql();
    }
}
