package io.citusmigrate.plan;

import io.citusmigrate.catalog.Catalog.Extension;
import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.catalog.Routine;
import io.citusmigrate.catalog.Sequence;
import io.citusmigrate.catalog.UserType;
import io.citusmigrate.catalog.View;

import java.util.List;
import java.util.Optional;

/**
 * The whole migration plan: target schemas, types, sequences, tables (in creation order:
 * reference tables, then distributed tables parents first, then local ones), views, routines,
 * who may do what (privileges, owners, row-level security), and every error and warning. It is
 * computed before anything touches the target.
 */
public record Plan(List<String> schemas, List<Extension> extensions, List<UserType> types, List<Sequence> sequences,
                   List<TablePlan> tables, List<View> views, List<PlanIssue> issues, List<Routine> routines, AccessPlan access,
                   List<io.citusmigrate.catalog.Statistic> statistics, List<io.citusmigrate.catalog.OperatorOrCast> operatorsAndCasts,
                   Consolidation consolidation) {

    public Plan(List<String> schemas, List<Extension> extensions, List<UserType> types, List<Sequence> sequences,
                List<TablePlan> tables, List<View> views, List<PlanIssue> issues, List<Routine> routines, AccessPlan access,
                List<io.citusmigrate.catalog.Statistic> statistics, List<io.citusmigrate.catalog.OperatorOrCast> operatorsAndCasts) {
        this(schemas, extensions, types, sequences, tables, views, issues, routines, access, statistics, operatorsAndCasts, null);
    }

    public Plan(List<String> schemas, List<Extension> extensions, List<UserType> types, List<Sequence> sequences,
                List<TablePlan> tables, List<View> views, List<PlanIssue> issues, List<Routine> routines, AccessPlan access) {
        this(schemas, extensions, types, sequences, tables, views, issues, routines, access, List.of(), List.of());
    }

    public Plan(List<String> schemas, List<Extension> extensions, List<UserType> types, List<Sequence> sequences,
                List<TablePlan> tables, List<View> views, List<PlanIssue> issues) {
        this(schemas, extensions, types, sequences, tables, views, issues, List.of(), AccessPlan.none());
    }

    /** This plan with one table's plan (by its source oid) replaced. */
    public Plan withTable(long oid, TablePlan table) {
        List<TablePlan> ts = tables.stream().map(t -> t.source().oid() == oid ? table : t).toList();
        return new Plan(schemas, extensions, types, sequences, ts, views, issues, routines, access, statistics, operatorsAndCasts, consolidation);
    }

    /** This plan with a table's plan added, with the sequences it owns. */
    public Plan withTableAdded(TablePlan table, List<Sequence> owned) {
        List<TablePlan> ts = new java.util.ArrayList<>(tables);
        ts.add(table);
        List<Sequence> qs = new java.util.ArrayList<>(sequences);
        qs.addAll(owned);
        return new Plan(schemas, extensions, types, List.copyOf(qs), List.copyOf(ts), views, issues, routines, access, statistics, operatorsAndCasts, consolidation);
    }

    /** This plan with one more share of a consolidated table (a table created in a tenant schema while streaming), its tenant added if new. */
    public Plan withShareAdded(TablePlan share, Consolidation.Tenant tenant) {
        List<Consolidation.Tenant> ts = new java.util.ArrayList<>(consolidation.tenants());
        if (consolidation.tenant(tenant.name()).isEmpty()) ts.add(tenant);
        List<TablePlan> shares = new java.util.ArrayList<>(consolidation.shares());
        shares.add(share);
        Consolidation c = consolidation.with(ts, shares);
        return new Plan(schemas, extensions, types, sequences, tables, views, issues, routines, access, statistics, operatorsAndCasts, c);
    }

    /**
     * This plan with a consolidated table's target renamed (the last tenant renamed its table while
     * streaming): its plan, its shares, the foreign keys that point at it and the sequences it owns.
     */
    public Plan withConsolidatedTableRenamed(QualifiedName was, QualifiedName now) {
        java.util.function.UnaryOperator<TablePlan> renamed = t -> {
            TablePlan r = t.target().equals(was) ? t.withNames(t.source().name(), now) : t;
            if (r.foreignKeys().stream().noneMatch(k -> k.refTable().equals(was))) return r;
            return r.withForeignKeys(r.foreignKeys().stream().map(k -> k.refTable().equals(was)
                    ? k.with(k.columns(), now, k.refColumns(), k.onUpdate(), k.onDelete(), k.onDeleteSetColumns()) : k).toList());
        };
        Consolidation c = consolidation.with(consolidation.tenants(), consolidation.shares().stream().map(renamed).toList());
        return new Plan(schemas, extensions, types, sequences, tables.stream().map(renamed).toList(), views, issues, routines, access, statistics,
                operatorsAndCasts, c).withSequencesOwnedBy(was, now);
    }

    /** This plan without a share of a consolidated table (by its source oid, of its tenant): its tenant's table dropped while streaming. */
    public Plan withShareRemoved(TablePlan share) {
        List<TablePlan> shares = consolidation.shares().stream().filter(x -> !(x.source().oid() == share.source().oid()
                && java.util.Objects.equals(x.tenantValue(), share.tenantValue()))).toList();
        return new Plan(schemas, extensions, types, sequences, tables, views, issues, routines, access, statistics, operatorsAndCasts,
                consolidation.with(consolidation.tenants(), shares));
    }

    /** This plan with a share of a consolidated table (by its source oid) replaced: its tenant's table altered while streaming. */
    public Plan withShareReplaced(TablePlan share) {
        // a tenant database's oids may be another database's too: the same tenant's share alone
        List<TablePlan> shares = consolidation.shares().stream().map(x -> x.source().oid() == share.source().oid()
                && java.util.Objects.equals(x.tenantValue(), share.tenantValue()) ? share : x).toList();
        return new Plan(schemas, extensions, types, sequences, tables, views, issues, routines, access, statistics, operatorsAndCasts,
                consolidation.with(consolidation.tenants(), shares));
    }

    /** Tenant databases consolidated: this plan as a step that reads one of them sees it, with that database's tenant and shares alone. */
    public Plan forDatabase(String database) {
        return new Plan(schemas, extensions, types, sequences, tables, views, issues, routines, access, statistics, operatorsAndCasts,
                consolidation.forDatabase(database));
    }

    /** The tenant databases of a consolidation of databases, in tenant-key order; empty otherwise. */
    public List<String> tenantDatabases() {
        if (consolidation == null || !consolidation.databases()) return List.of();
        return consolidation.tenants().stream().map(Consolidation.Tenant::name).toList();
    }

    /** This plan with the sequences a table owns owned by it under another name (the table renamed). */
    public Plan withSequencesOwnedBy(QualifiedName was, QualifiedName now) {
        List<Sequence> qs = sequences.stream().map(q -> was.equals(q.ownedByTable()) ? q.ownedBy(now) : q).toList();
        return new Plan(schemas, extensions, types, qs, tables, views, issues, routines, access, statistics, operatorsAndCasts, consolidation);
    }

    /** This plan with more sequences (a serial column added while streaming). */
    public Plan withSequencesAdded(List<Sequence> more) {
        if (more.isEmpty()) return this;
        List<Sequence> qs = new java.util.ArrayList<>(sequences);
        qs.addAll(more);
        return new Plan(schemas, extensions, types, List.copyOf(qs), tables, views, issues, routines, access, statistics, operatorsAndCasts, consolidation);
    }

    /** This plan without a table's plan (by its source oid) and the sequences it owns. */
    public Plan withoutTable(long oid) {
        TablePlan gone = tables.stream().filter(t -> t.source().oid() == oid).findFirst().orElse(null);
        if (gone == null) return this;
        return new Plan(schemas, extensions, types, sequences.stream().filter(q -> !gone.target().equals(q.ownedByTable())).toList(),
                tables.stream().filter(t -> t != gone).toList(), views, issues, routines, access, statistics, operatorsAndCasts, consolidation);
    }

    public boolean ok() {
        return errors().isEmpty();
    }

    public List<PlanIssue> errors() {
        return issues.stream().filter(i -> i.severity() == PlanIssue.Severity.ERROR).toList();
    }

    public List<PlanIssue> warnings() {
        return issues.stream().filter(i -> i.severity() == PlanIssue.Severity.WARNING).toList();
    }

    /** A source table's plan: a tenant schema's table's share of its consolidated table included. */
    public Optional<TablePlan> table(QualifiedName sourceName) {
        return sourceTables().stream().filter(t -> t.source().name().equals(sourceName)).findFirst()
                .or(() -> tables.stream().filter(t -> t.source().name().equals(sourceName)).findFirst());
    }

    /**
     * Every source table whose rows the migration moves, with the plan of its rows: {@link #tables}
     * itself, except that a consolidated table comes once per tenant schema (each share with its
     * tenant key) and the tenants table, whose rows the plan makes, not at all.
     */
    public List<TablePlan> sourceTables() {
        if (consolidation == null) return tables;
        List<TablePlan> out = new java.util.ArrayList<>();
        for (TablePlan t : tables) {
            if (t.target().equals(consolidation.tenantsTable())) continue;
            List<TablePlan> shares = consolidation.sharesOf(t.target());
            if (shares.isEmpty()) out.add(t);
            else out.addAll(shares);
        }
        return List.copyOf(out);
    }

    public Optional<TablePlan> tableByTarget(QualifiedName targetName) {
        return tables.stream().filter(t -> t.target().equals(targetName)).findFirst();
    }

    /**
     * The source's estimate of the rows each target table gets: its partitions' and, consolidated,
     * every share's included. What parallel work on tables is ordered by (biggest first); made in
     * one pass, as a plan may hold many thousands of tables.
     */
    public java.util.Map<QualifiedName, Long> estimatedRows() {
        java.util.Map<QualifiedName, Long> own = new java.util.HashMap<>();
        // a partitioned table's own estimate (once analyzed) is already its partitions': counted from them alone
        for (TablePlan t : sourceTables()) own.merge(t.target(), t.source().isPartitioned() ? 0 : Math.max(0, t.source().estimatedRows()), Long::sum);
        java.util.Map<QualifiedName, QualifiedName> parentOf = new java.util.HashMap<>();
        for (TablePlan t : tables) if (t.partitionOf() != null) parentOf.put(t.target(), t.partitionOf());
        java.util.Map<QualifiedName, Long> out = new java.util.HashMap<>(own);
        // each partition's rows count for every table above it too
        own.forEach((table, rows) -> {
            java.util.Set<QualifiedName> seen = new java.util.HashSet<>();
            for (QualifiedName p = parentOf.get(table); p != null && seen.add(p); p = parentOf.get(p)) out.merge(p, rows, Long::sum);
        });
        return out;
    }
}
