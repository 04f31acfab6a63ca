package io.citusmigrate.plan;

import io.citusmigrate.catalog.Catalog;
import io.citusmigrate.catalog.Column;
import io.citusmigrate.catalog.Constraint;
import io.citusmigrate.catalog.ForeignKey;
import io.citusmigrate.catalog.Index;
import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.catalog.Routine;
import io.citusmigrate.catalog.Sequence;
import io.citusmigrate.catalog.Table;
import io.citusmigrate.catalog.TypeRef;
import io.citusmigrate.catalog.UserType;
import io.citusmigrate.catalog.View;
import io.citusmigrate.sql.Sql;
import io.citusmigrate.load.DistributeRule;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.NamePattern;
import io.citusmigrate.load.LoadFileException;
import io.citusmigrate.load.Option;
import io.citusmigrate.load.TableRef;
import io.citusmigrate.plan.TablePlan.Kind;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Decides how every table is distributed and rewrites the schema for Citus.
 *
 * <p>Explicit DISTRIBUTE rules come first. Then, level by level from the distributed tables,
 * every table with a foreign key to a distributed table is distributed too: on its own column
 * when the key points at the parent's distribution column, else on a new column (the tenant
 * key) back-filled along the key. Tables that distributed tables reference but that have no
 * path to the tenant become reference tables. Every rule of CITUS-RULES.md is then checked and
 * either rewritten (and said so in the plan) or reported as an error.
 */
public final class Planner {
    private final LoadCommand cmd;
    private final Catalog catalog;
    private final List<PlanIssue> issues = new ArrayList<>();
    private final List<LoadCommand.Warning> fileWarnings = new ArrayList<>();

    /** How one table is distributed, while planning. */
    private static final class Dist {
        final Table table;
        String column;          // source-side name of the distribution column (new name when added)
        boolean added;
        Table parent;           // the table the tenant key comes from (one hop), null for a root
        ForeignKey via;         // the key to the parent
        List<Hop> explicitPath; // a rule's FROM chain, when given
        String derivation;
        Table colocateWith;     // explicit colocate with

        Dist(Table table) {
            this.table = table;
        }
    }

    private final Map<QualifiedName, Table> included = new LinkedHashMap<>();
    private final Map<QualifiedName, Dist> dist = new LinkedHashMap<>();
    private final Map<QualifiedName, String> reference = new LinkedHashMap<>(); // table -> derivation
    private final Map<String, String> distributedSchemas = new LinkedHashMap<>(); // source schema -> the rule that takes it
    private Naming naming;
    private Casts casts;

    private final java.util.Optional<io.citusmigrate.catalog.TargetFacts> target;

    /** Tenant databases consolidated: each matched database's catalog, by name; null otherwise. */
    private final java.util.SortedMap<String, Catalog> databases;

    /** While streaming: a table rolled out to the tenant schemas one after the other is planned from the first that has it. */
    private boolean rollout;

    private Planner(LoadCommand cmd, Catalog catalog, java.util.Optional<io.citusmigrate.catalog.TargetFacts> target) {
        this(cmd, catalog, target, null);
    }

    /**
     * The plan of the source as it is now, made while streaming: a table created in some of the
     * consolidated tenant schemas (a schema change rolled out to them one after the other) is a
     * consolidated table already, planned from the first tenant schema that has it, and the
     * tenants without it yet are no difference.
     */
    public static Plan planWhileStreaming(LoadCommand cmd, Catalog catalog, io.citusmigrate.catalog.TargetFacts target) {
        Planner p = new Planner(cmd, catalog, java.util.Optional.of(target));
        p.rollout = true;
        return p.run();
    }

    private Planner(LoadCommand cmd, Catalog catalog, java.util.Optional<io.citusmigrate.catalog.TargetFacts> target,
                    java.util.SortedMap<String, Catalog> databases) {
        this.cmd = cmd;
        this.catalog = catalog;
        this.target = target;
        this.databases = databases;
    }

    /**
     * Tenant databases consolidated ({@code distribute databases matching ... into ...}): the plan
     * of the first database's catalog, whose tables stand for all; every database's tables become
     * its shares. The target's facts, where known, keep the tenant keys it recorded.
     */
    public static Plan plan(LoadCommand cmd, java.util.SortedMap<String, Catalog> databases,
                            java.util.Optional<io.citusmigrate.catalog.TargetFacts> target) {
        if (databases.isEmpty()) {
            DistributeRule r = cmd.distribute().stream().filter(DistributeRule::databases).findFirst().orElseThrow();
            throw new LoadFileException(r.at(), "no database of the source's server matches "
                    + r.schemas().stream().map(NamePattern::toString).collect(Collectors.joining(", ")));
        }
        return new Planner(cmd, databases.get(databases.firstKey()), target, databases).run();
    }

    /** A plan whose roles are not checked against the target (a warning says so when the source names any). */
    public static Plan plan(LoadCommand cmd, Catalog catalog) {
        return new Planner(cmd, catalog, java.util.Optional.empty()).run();
    }

    /** A plan checked against the target: the roles its cluster has, the privileges its PostgreSQL has. */
    public static Plan plan(LoadCommand cmd, Catalog catalog, io.citusmigrate.catalog.TargetFacts target) {
        return new Planner(cmd, catalog, java.util.Optional.of(target)).run();
    }

    /**
     * The tenant schemas whose tables stand for the consolidated ones, each into the schema
     * named: the first; while streaming, every one (a table rolled out comes from the first that
     * has it, with its types and sequences, which then stand for every tenant's).
     */
    private Map<String, String> intoSchema() {
        if (!rollout) return Map.of(tenantSchemas.template, tenantSchemas.rule.intoSchema());
        Map<String, String> out = new java.util.HashMap<>();
        tenantSchemas.schemas.forEach(s -> out.put(s, tenantSchemas.rule.intoSchema()));
        return out;
    }

    /** Warnings about the command file found while planning (cast rules that match nothing). */
    private Plan run() {
        select();
        consolidate();
        Set<QualifiedName> userTypes = catalog.types().stream().map(UserType::name).collect(Collectors.toSet());
        naming = new Naming(cmd, List.copyOf(included.values()), userTypes,
                tenantSchemas == null || databases != null ? Map.of() : intoSchema());
        casts = new Casts(cmd.casts());
        applyRules();
        derive();
        referenceTables();
        List<TablePlan> tables = buildTables();
        checkDistributedSchemas(tables);
        checkColocation(tables);
        checkRangeTypes(tables);
        Consolidation consolidation = consolidation(tables);
        for (LoadCommand.Warning w : casts.unused()) issues.add(new PlanIssue(PlanIssue.Severity.WARNING, null, w.message(), w.at()));
        issues.addAll(0, fileWarnings.stream().map(w -> new PlanIssue(PlanIssue.Severity.WARNING, null, w.message(), w.at())).toList());

        Set<String> schemas = new LinkedHashSet<>();
        tables.forEach(t -> schemas.add(t.target().schema()));
        List<UserType> types = catalog.types().stream()
                .map(t -> new UserType(naming.object(t.name()), t.kind(), t.labels(), naming.expression(t.baseType()),
                        t.domainDefault(), t.domainNotNull(), t.checks(), t.attributes().stream().map(naming::expression).toList(),
                        t.rangeSubtype()))
                .filter(t -> schemas.contains(t.name().schema()) || referenced(t, tables))
                .filter(distinctNames()) // while streaming every tenant schema's types are the consolidation's: the first tenant's stand for all
                .toList();
        types.forEach(t -> schemas.add(t.name().schema()));
        List<Sequence> sequences = new ArrayList<>();
        for (Sequence s : catalog.sequences()) {
            if (s.identity()) continue;
            if (s.ownedByTable() != null && !included.containsKey(s.ownedByTable())) continue;
            if (s.ownedByTable() == null && !schemas.contains(naming.schema(s.name().schema()))) continue;
            sequences.add(new Sequence(naming.object(s.name()), s.type(), s.start(), s.increment(), s.min(), s.max(), s.cache(),
                    s.cycle(), s.ownedByTable() == null ? null : naming.table(s.ownedByTable()), s.ownedByColumn(), false));
            schemas.add(naming.schema(s.name().schema()));
        }
        List<View> views = views();
        views.forEach(v -> schemas.add(v.name().schema()));
        AccessPlanner access = new AccessPlanner(cmd, catalog, naming, issues);
        List<Routine> routines = access.routines(schemas);
        routines.forEach(r -> schemas.add(r.name().schema()));
        AccessPlan accessPlan = sharedGrants(access.plan(schemas, tables, types, sequences, views, routines,
                target.map(io.citusmigrate.catalog.TargetFacts::roles)), consolidation);
        target.ifPresent(t -> issues.addAll(TargetPrivileges.unknownOn(accessPlan, t.versionNum())));
        // extended statistics of the migrated tables, in target names (Citus creates them on every shard)
        List<io.citusmigrate.catalog.Statistic> statistics = catalog.statistics().stream().filter(st -> included.containsKey(st.table()))
                .map(st -> new io.citusmigrate.catalog.Statistic(naming.object(st.name()), naming.table(st.table()), naming.expression(st.definition())))
                .toList();
        // operators and casts touching a migrated schema, in target names
        List<io.citusmigrate.catalog.OperatorOrCast> operators = catalog.operatorsAndCasts().stream()
                .filter(o -> o.schemas().stream().anyMatch(s -> !s.equals("pg_catalog") && schemas.contains(naming.schema(s))))
                .map(o -> new io.citusmigrate.catalog.OperatorOrCast(o.kind(), naming.expression(o.name()), naming.expression(o.definition()),
                        naming.expression(o.dropStatement()), o.schemas().stream().map(naming::schema).toList()))
                .toList();
        return new Plan(List.copyOf(schemas), catalog.extensions(), types, List.copyOf(sequences), tables, views, List.copyOf(issues),
                routines, accessPlan, statistics, operators, consolidation);
    }

    /**
     * A consolidated table holds every tenant's rows: a privilege granted on it is one every
     * tenant's table grants (each grant of the first tenant's kept only if every other tenant's
     * table has it too), so that a role granted one tenant's table sees no other tenant's rows.
     * Each grant left out is a warning naming the tenants without it.
     */
    private AccessPlan sharedGrants(AccessPlan plan, Consolidation consolidation) {
        if (consolidation == null) return plan;
        List<io.citusmigrate.catalog.Access.Privilege> kept = new ArrayList<>();
        for (io.citusmigrate.catalog.Access.Privilege p : plan.privileges()) {
            List<TablePlan> shares = p.object() == null || !p.grant() ? List.of() : consolidation.sharesOf(p.object());
            List<String> without = shares.stream().filter(sh -> tenantAccess(sh).privileges().stream().noneMatch(q -> q.grant()
                    && sh.source().name().equals(q.object()) && q.kind() == p.kind() && Objects.equals(q.column(), p.column())
                    && Objects.equals(q.grantee(), p.grantee()) && q.privilege().equals(p.privilege()) && q.grantable() == p.grantable()))
                    .map(TablePlan::tenantName).toList();
            if (without.isEmpty()) {
                kept.add(p);
                continue;
            }
            issues.add(PlanIssue.warning(p.object(), p.privilege() + (p.column() == null ? "" : " (" + p.column() + ")") + " to "
                    + (p.grantee() == null ? "PUBLIC" : p.grantee()) + " is not granted on the consolidated table: " + without.size() + " tenant"
                    + (without.size() == 1 ? " has" : "s have") + " it not (" + String.join(", ", without.subList(0, Math.min(3, without.size())))
                    + (without.size() > 3 ? ", ..." : "") + "), and the table holds every tenant's rows"));
        }
        return new AccessPlan(plan.rolesToCreate(), plan.memberships(), plan.owners(), List.copyOf(kept), plan.defaultPrivileges(), plan.rowSecurity(),
                plan.policies(), plan.missingRoles(), plan.rolesChecked());
    }

    /** The privileges of the source a share's table is read from: its tenant database's, or the one source's. */
    private io.citusmigrate.catalog.Access tenantAccess(TablePlan share) {
        return databases != null && databases.containsKey(share.tenantName()) ? databases.get(share.tenantName()).access() : catalog.access();
    }

    private static java.util.function.Predicate<UserType> distinctNames() {
        Set<QualifiedName> seen = new java.util.HashSet<>();
        return t -> seen.add(t.name());
    }

    private static boolean referenced(UserType t, List<TablePlan> tables) {
        return tables.stream().flatMap(p -> p.columns().stream()).anyMatch(c -> t.name().equals(c.type().userType()));
    }

    // ---- selection ----------------------------------------------------------------------

    private void select() {
        included.putAll(selected(catalog));
    }

    /** A catalog's tables that the command file's INCLUDING and EXCLUDING filters take. */
    private Map<QualifiedName, Table> selected(Catalog catalog) {
        Map<QualifiedName, Table> included = new LinkedHashMap<>();
        Map<QualifiedName, Table> all = new LinkedHashMap<>();
        catalog.tables().forEach(t -> all.put(t.name(), t));
        for (Table t : catalog.tables()) {
            Table top = t;
            while (top.partitionOf() != null && all.containsKey(top.partitionOf())) top = all.get(top.partitionOf());
            Table topF = top;
            boolean in = cmd.including().isEmpty() || cmd.including().stream().anyMatch(f -> f.matches(topF.name().schema(), topF.name().name()));
            if (cmd.excluding().stream().anyMatch(f -> f.matches(topF.name().schema(), topF.name().name()))) in = false;
            if (in) included.put(t.name(), t);
        }
        return included;
    }

    private Table resolve(TableRef ref) {
        List<Table> found = included.values().stream()
                .filter(t -> t.name().name().equals(ref.name()) && (ref.schema() == null || t.name().schema().equals(ref.schema())))
                .toList();
        if (found.size() > 1) {
            found = found.stream().filter(t -> t.name().schema().equals("public")).toList();
            if (found.size() != 1) {
                throw new LoadFileException(ref.at(), "table " + ref + " is ambiguous: it exists in several schemas; qualify it");
            }
        }
        if (found.isEmpty()) {
            boolean exists = catalog.tables().stream().anyMatch(t -> t.name().name().equals(ref.name())
                    && (ref.schema() == null || t.name().schema().equals(ref.schema())));
            throw new LoadFileException(ref.at(), exists
                    ? "table " + ref + " is excluded by the INCLUDING/EXCLUDING filters"
                    : "table " + ref + " does not exist in the source database");
        }
        Table t = found.get(0);
        if (t.isPartition()) throw new LoadFileException(ref.at(), "table " + ref + " is a partition: distribute its parent " + t.partitionOf());
        return t;
    }

    // ---- tenant schemas consolidated -----------------------------------------------------

    private TenantSchemas tenantSchemas;
    private Table tenantsTable;

    /**
     * Tenant schemas into rows: the first schema's tables stand for all (renamed into the rule's
     * schema, the tenant key added first and leading to the tenants table); the other schemas'
     * tables leave the plan's tables and come back as their shares.
     */
    private void consolidate() {
        List<DistributeRule> rules = cmd.distribute().stream().filter(DistributeRule::isConsolidation).toList();
        if (rules.isEmpty()) return;
        if (rules.size() > 1) {
            throw new LoadFileException(rules.get(1).at(), "tenant schemas are consolidated by one rule: give all their patterns to the first");
        }
        DistributeRule r = rules.get(0);
        if (r.databases() != (databases != null)) {
            throw new LoadFileException(r.at(), r.databases() ? "tenant databases are consolidated by `citus-migrate` itself: it reads each database"
                    : "tenant schemas are consolidated from one database");
        }
        String key = r.column();
        List<Table> templates;
        if (r.databases()) {
            // every table of a tenant database is a tenant's, under its own name
            Map<String, List<Table>> byDatabase = new LinkedHashMap<>();
            databases.forEach((db, c) -> byDatabase.put(db, List.copyOf(selected(c).values())));
            tenantSchemas = new TenantSchemas(r, byDatabase);
            issues.addAll(tenantSchemas.differences());
            templates = List.copyOf(included.values());
        } else {
            tenantSchemas = new TenantSchemas(r, included.values(), rollout);
            issues.addAll(tenantSchemas.differences());
            templates = List.copyOf(tenantSchemas.templates().values());
            Map<QualifiedName, Table> byName = new LinkedHashMap<>();
            templates.forEach(t -> byName.put(t.name(), t));
            included.values().removeIf(t -> tenantSchemas.contains(t.name().schema()) && !byName.containsKey(t.name()));
            included.replaceAll((n, t) -> byName.getOrDefault(n, t));
        }
        String kind = r.databases() ? "database" : "schema";
        QualifiedName tenantsName = QualifiedName.of(r.intoSchema(), Consolidation.TENANTS_TABLE);
        for (Table t : r.databases() ? List.<Table>of() : templates) {
            QualifiedName into = QualifiedName.of(r.intoSchema(), t.name().name());
            if (into.equals(tenantsName) || included.containsKey(into) && !r.intoSchema().equals(tenantSchemas.template)) {
                throw new LoadFileException(r.at(), "the tenant schemas' table " + t.name().name() + " would become " + into
                        + (into.equals(tenantsName) ? ", the tenants table" : ", which the source has already") + "; consolidate into another schema");
            }
        }
        if (included.containsKey(tenantsName)) {
            throw new LoadFileException(r.at(), "the tenants table " + tenantsName + " exists on the source already; consolidate into another schema");
        }
        TypeRef bigint = TypeRef.builtin("bigint");
        tenantsTable = new Table(-1, tenantsName,
                List.of(new Column(1, key, bigint, null, true, (char) 0, null, null, null),
                        new Column(2, r.databases() ? Consolidation.DATABASE_COLUMN : Consolidation.SCHEMA_COLUMN, TypeRef.builtin("text"), null, true,
                                (char) 0, null, null, null)),
                List.of(new Constraint("tenants_pkey", Constraint.Kind.PRIMARY_KEY, List.of(key), "PRIMARY KEY (" + Sql.ident(key) + ")", false, false)),
                List.of(), List.of(), List.of(), null, null, null,
                "The tenants: each source " + kind + " that became one, by its tenant key " + key + " (citus-migrate)", tenantSchemas.schemas.size());
        included.put(tenantsName, tenantsTable);
        Dist root = new Dist(tenantsTable);
        root.column = key;
        root.derivation = "the tenants of the rule at " + r.at() + ": one row per tenant " + kind;
        dist.put(tenantsName, root);
        for (Table t : templates) {
            if (t.column(key).isPresent()) {
                throw new LoadFileException(r.columnAt(), "table " + t.name() + " has a column " + Sql.ident(key) + " already; name another tenant key");
            }
            if (t.isPartition()) continue;
            ForeignKey fk = new ForeignKey(t.name().name() + "_" + key + "_fkey", List.of(key), tenantsName, List.of(key), 'a', 'a', List.of(),
                    's', false, false, true);
            List<ForeignKey> fks = new ArrayList<>(t.foreignKeys());
            fks.add(0, fk);
            Table withKey = new Table(t.oid(), t.name(), t.columns(), t.constraints(), List.copyOf(fks), t.indexes(), t.triggers(),
                    t.partitionKey(), t.partitionOf(), t.partitionBound(), t.comment(), t.estimatedRows(), t.unlogged());
            included.put(t.name(), withKey);
            Dist d = new Dist(withKey);
            d.column = key;
            d.added = true;
            d.parent = tenantsTable;
            d.via = fk;
            d.explicitPath = List.of();
            List<String> all = tenantSchemas.schemas;
            d.derivation = all.size() + " tenant " + kind + (all.size() == 1 ? " " + all.get(0) : "s (" + all.get(0) + (all.size() > 2 ? ", ..., " : ", ")
                    + all.get(all.size() - 1) + ")") + " consolidated (rule at " + r.at() + "): each row's tenant key is its " + kind + "'s"
                    + (r.tenantMap() == null ? "" : ", as the tenant mapping " + r.tenantMap() + " gives it");
            dist.put(t.name(), d);
        }
    }

    /** Each tenant schema's tables as shares of the consolidated tables; null without consolidation. */
    private Consolidation consolidation(List<TablePlan> tables) {
        if (tenantSchemas == null) return null;
        Map<String, Long> recorded = target.map(io.citusmigrate.catalog.TargetFacts::tenantKeys).orElse(Map.of());
        List<Consolidation.Tenant> tenants = tenantSchemas.tenants(recorded, catalog.tenantMap(), issues);
        recorded.keySet().stream().filter(s -> !tenantSchemas.contains(s)).sorted().forEach(s -> issues.add(PlanIssue.warning(tenantsTable.name(),
                "tenant " + s + " (tenant key " + recorded.get(s) + ") is recorded on the target but the source has no such tenant schema"
                        + " any more: its rows on the target are left as they are, and not compared")));
        List<TablePlan> shares = new ArrayList<>();
        for (TablePlan t : tables) {
            if (t.isPartition() || t.source() == tenantsTable) continue;
            if (!tenantSchemas.rule.databases() && !tenantSchemas.isTemplate(t.source())) continue;
            for (Consolidation.Tenant tenant : tenants) {
                Table source = tenantSchemas.tables.get(tenant.name()).get(tenantSchemas.key(t.source()));
                if (source != null) shares.add(t.forTenant(source, Long.toString(tenant.key()), tenant.name()));
            }
        }
        return new Consolidation(tenantSchemas.rule.intoSchema(), tenantSchemas.rule.column(), tenantsTable.name(), tenants, List.copyOf(shares),
                tenantSchemas.rule.schemas(), tenantSchemas.rule.databases());
    }

    // ---- explicit rules -----------------------------------------------------------------

    private void applyRules() {
        Set<QualifiedName> ruled = new HashSet<>();
        for (DistributeRule r : cmd.distribute()) {
            if (!r.isSchemaRule()) continue;
            int before = distributedSchemas.size();
            included.keySet().stream().map(QualifiedName::schema).distinct().filter(n -> r.schemas().stream().anyMatch(p -> p.matches(n)))
                    .forEach(n -> distributedSchemas.putIfAbsent(n, "rule at " + r.at()));
            if (distributedSchemas.size() == before) {
                throw new LoadFileException(r.at(), "no schema of the source's migrated tables matches " + r.schemas().stream()
                        .map(NamePattern::toString).collect(Collectors.joining(", ")));
            }
        }
        for (DistributeRule r : cmd.distribute()) {
            if (!r.schemas().isEmpty()) continue;
            Table t = resolve(r.table());
            if (tenantSchemas != null && tenantSchemas.rule.databases()) {
                throw new LoadFileException(r.at(), "table " + r.table() + " is a tenant database's, which the rule at " + tenantSchemas.rule.at()
                        + " consolidates: every table of the tenant databases is distributed by " + tenantSchemas.rule.column());
            }
            if (tenantSchemas != null && tenantSchemas.contains(t.name().schema())) {
                throw new LoadFileException(r.at(), "table " + r.table() + " is in the tenant schema " + t.name().schema()
                        + ", which the rule at " + tenantSchemas.rule.at() + " consolidates: its tables are distributed by " + tenantSchemas.rule.column());
            }
            if (distributedSchemas.containsKey(t.name().schema())) {
                throw new LoadFileException(r.at(), "table " + r.table() + " is in the distributed schema " + t.name().schema() + " ("
                        + distributedSchemas.get(t.name().schema()) + "): its tables are kept whole, distributed with their schema");
            }
            if (!ruled.add(t.name())) throw new LoadFileException(r.at(), "table " + r.table() + " is distributed twice: each table takes one rule");
            if (r.reference()) {
                reference.put(t.name(), "rule at " + r.at());
                continue;
            }
            Dist d = new Dist(t);
            d.column = r.column();
            d.derivation = "rule at " + r.at();
            if (r.colocateWith() != null) d.colocateWith = resolve(r.colocateWith());
            if (r.from().isEmpty()) {
                if (t.column(r.column()).isEmpty()) {
                    throw new LoadFileException(r.columnAt(), "table " + t.name() + " has no column " + Sql.ident(r.column())
                            + "; to add it and fill it from a parent table, name the path: using " + r.column() + " from <parent>, ...");
                }
            } else {
                List<Hop> path = new ArrayList<>();
                Table child = t;
                for (TableRef pr : r.from()) {
                    Table parent = resolve(pr);
                    Table from = child;
                    ForeignKey fk = from.foreignKeys().stream().filter(k -> k.refTable().equals(parent.name())).findFirst()
                            .orElseThrow(() -> new LoadFileException(pr.at(), "table " + from.name() + " has no foreign key to " + parent.name()));
                    path.add(new Hop(child.name(), fk.columns(), parent.name(), fk.refColumns(), fk.name()));
                    if (child == t) {
                        d.parent = parent;
                        d.via = fk;
                    }
                    child = parent;
                }
                Table last = child;
                if (last.column(r.column()).isEmpty()) {
                    throw new LoadFileException(r.columnAt(), "table " + last.name() + ", the end of the path, has no column " + Sql.ident(r.column()));
                }
                d.explicitPath = path;
                d.added = t.column(r.column()).isEmpty();
                // the tables on the path carry the tenant key too
                for (int i = 0; i < path.size(); i++) {
                    Table mid = included.get(path.get(i).parent());
                    if (ruled.contains(mid.name()) || dist.containsKey(mid.name())) continue;
                    Dist md = new Dist(mid);
                    md.column = r.column();
                    md.derivation = "on the path of rule at " + r.at();
                    if (i + 1 < path.size()) {
                        Hop next = path.get(i + 1);
                        md.parent = included.get(next.parent());
                        md.via = mid.foreignKeys().stream().filter(k -> k.name().equals(next.foreignKey())).findFirst().orElseThrow();
                        md.explicitPath = path.subList(i + 1, path.size());
                        md.added = mid.column(r.column()).isEmpty();
                    }
                    dist.put(mid.name(), md);
                }
            }
            dist.put(t.name(), d);
        }
        // a rule on a table whose column already points at a distributed table's column joins that group
        for (Dist d : dist.values()) {
            if (d.parent != null || d.added) continue;
            for (ForeignKey fk : d.table.foreignKeys()) {
                int i = fk.columns().indexOf(d.column);
                Dist p = dist.get(fk.refTable());
                if (i >= 0 && p != null && p != d && fk.refColumns().get(i).equals(p.column)) {
                    d.parent = p.table;
                    d.via = fk;
                    break;
                }
            }
        }
    }

    // ---- derivation along foreign keys --------------------------------------------------

    private void derive() {
        while (true) {
            Map<Table, List<ForeignKey>> frontier = new LinkedHashMap<>();
            for (Table t : included.values()) {
                if (t.isPartition() || dist.containsKey(t.name()) || reference.containsKey(t.name())) continue;
                List<ForeignKey> cands = t.foreignKeys().stream()
                        .filter(fk -> !fk.refTable().equals(t.name()) && dist.containsKey(fk.refTable())).toList();
                if (!cands.isEmpty()) frontier.put(t, cands);
            }
            if (frontier.isEmpty()) break;
            frontier.forEach(this::choose);
        }
        // further keys to distributed tables are further routes: an explicit rule must choose
        for (Dist d : dist.values()) {
            if (!d.derivation.startsWith("derived") || d.via == null || !d.added && isDirect(d.via, d)) continue;
            List<ForeignKey> others = d.table.foreignKeys().stream()
                    .filter(fk -> fk != d.via && !fk.refTable().equals(d.table.name()) && dist.containsKey(fk.refTable())).toList();
            List<String> routes = new ArrayList<>();
            for (ForeignKey fk : others) {
                if (routePasses(dist.get(fk.refTable()), d.table.name())) {
                    issues.add(PlanIssue.warning(d.table.name(), "foreign-key cycle through " + fk.refTable()
                            + " (key " + fk.name() + "); the tenant key comes via " + d.parent.name()));
                } else {
                    routes.add(fk.refTable().name());
                }
            }
            if (!routes.isEmpty()) {
                routes.add(0, d.parent.name().name());
                issues.add(PlanIssue.error(d.table.name(), routes.size() + " foreign-key routes to the tenant: via "
                        + String.join(" or via ", routes) + "; choose one with: distribute " + d.table.name().name()
                        + " using " + tenantName(dist.get(d.parent.name())) + " from <" + String.join("|", routes) + ">"));
            }
        }
    }

    private boolean routePasses(Dist d, QualifiedName through) {
        Set<QualifiedName> seen = new HashSet<>();
        while (d != null && d.parent != null && seen.add(d.table.name())) {
            if (d.parent.name().equals(through)) return true;
            d = dist.get(d.parent.name());
        }
        return false;
    }

    private boolean isDirect(ForeignKey fk, Dist child) {
        Dist p = dist.get(fk.refTable());
        if (p == null || p.added) return false;
        int i = fk.refColumns().indexOf(p.column);
        return i >= 0 && (child == null || fk.columns().get(i).equals(child.column));
    }

    private void choose(Table t, List<ForeignKey> cands) {
        Dist d = new Dist(t);
        List<ForeignKey> direct = cands.stream().filter(fk -> isDirect(fk, null)).toList();
        if (!direct.isEmpty()) {
            ForeignKey fk = direct.get(0);
            Set<String> cols = direct.stream().map(k -> k.columns().get(k.refColumns().indexOf(dist.get(k.refTable()).column)))
                    .collect(Collectors.toCollection(TreeSet::new));
            if (cols.size() > 1) {
                issues.add(PlanIssue.error(t.name(), "several columns carry the tenant key (" + String.join(", ", cols)
                        + "); choose one with: distribute " + t.name().name() + " using <column>"));
            }
            d.column = fk.columns().get(fk.refColumns().indexOf(dist.get(fk.refTable()).column));
            d.parent = included.get(fk.refTable());
            d.via = fk;
            d.derivation = "derived: " + fk.name() + " references " + fk.refTable().name() + "(" + dist.get(fk.refTable()).column + ")";
        } else {
            ForeignKey fk = cands.get(0);
            Dist p = dist.get(fk.refTable());
            d.parent = p.table;
            d.via = fk;
            d.column = tenantName(p);
            d.added = t.column(d.column).isEmpty();
            if (!d.added) {
                issues.add(PlanIssue.warning(t.name(), "uses its existing column " + d.column + " as the tenant key; the foreign key "
                        + fk.name() + " to " + p.table.name() + " is extended with it, so the two must agree"));
            }
            d.derivation = "derived: " + fk.name() + " references " + p.table.name().name();
            // several candidates at the same level are reported with the other routes below
        }
        dist.put(t.name(), d);
    }

    /** The name of the tenant key that a child of this table gets. */
    private String tenantName(Dist p) {
        return p.column;
    }

    // ---- reference tables ---------------------------------------------------------------

    private void referenceTables() {
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Table t : included.values()) {
                if (t.isPartition() || !dist.containsKey(t.name()) && !reference.containsKey(t.name())) continue;
                for (ForeignKey fk : t.foreignKeys()) {
                    QualifiedName r = fk.refTable();
                    if (!included.containsKey(r) || dist.containsKey(r) || reference.containsKey(r)) continue;
                    reference.put(r, "referenced by " + (dist.containsKey(t.name()) ? "distributed" : "reference") + " table "
                            + t.name().name() + " and has no foreign-key path to the tenant");
                    changed = true;
                }
            }
        }
    }

    // ---- rewriting ----------------------------------------------------------------------

    private Dist root(Dist d) {
        Set<QualifiedName> seen = new HashSet<>();
        while (d.parent != null && dist.containsKey(d.parent.name()) && seen.add(d.table.name())) d = dist.get(d.parent.name());
        return d;
    }

    private Dist colocationRoot(Dist d) {
        Set<QualifiedName> seen = new HashSet<>();
        while (seen.add(d.table.name())) {
            if (d.colocateWith != null && dist.containsKey(d.colocateWith.name())) d = dist.get(d.colocateWith.name());
            else if (d.parent != null && dist.containsKey(d.parent.name())) d = dist.get(d.parent.name());
            else break;
        }
        return d;
    }

    private List<Hop> path(Dist d) {
        if (d.explicitPath != null) return d.explicitPath;
        List<Hop> out = new ArrayList<>();
        Set<QualifiedName> seen = new HashSet<>();
        while (d != null && d.added && d.via != null && seen.add(d.table.name())) {
            out.add(new Hop(d.table.name(), d.via.columns(), d.parent.name(), d.via.refColumns(), d.via.name()));
            d = dist.get(d.parent.name());
        }
        return out;
    }

    private int depth(Dist d) {
        int n = 0;
        Set<QualifiedName> seen = new HashSet<>();
        while (d.parent != null && dist.containsKey(d.parent.name()) && seen.add(d.table.name())) {
            d = dist.get(d.parent.name());
            n++;
        }
        return n;
    }

    /** The type of a distribution column after casts; an added column copies its parent's. */
    private TypeRef distType(Dist d) {
        Set<QualifiedName> seen = new HashSet<>();
        while (d.added && d.parent != null && dist.containsKey(d.parent.name()) && seen.add(d.table.name())) d = dist.get(d.parent.name());
        Dist fin = d;
        Column c = d.table.column(d.column).orElse(null);
        if (c == null) return TypeRef.builtin("bigint");
        return naming.type(casts.apply(fin.table, c).column().type());
    }

    private List<TablePlan> buildTables() {
        List<TablePlan> refs = new ArrayList<>();
        List<TablePlan> dists = new ArrayList<>();
        List<TablePlan> locals = new ArrayList<>();
        List<TablePlan> partitions = new ArrayList<>();
        for (Table t : included.values()) {
            Table owner = t;
            while (owner.isPartition() && included.containsKey(owner.partitionOf())) owner = included.get(owner.partitionOf());
            Kind kind = distributedSchemas.containsKey(owner.name().schema()) ? Kind.SCHEMA : dist.containsKey(owner.name()) ? Kind.DISTRIBUTED
                    : reference.containsKey(owner.name()) ? Kind.REFERENCE : Kind.LOCAL;
            TablePlan p = table(t, owner, kind);
            if (t.isPartition()) partitions.add(p);
            else if (kind == Kind.REFERENCE) refs.add(p);
            else if (kind == Kind.DISTRIBUTED) dists.add(p);
            else locals.add(p);
        }
        List<TablePlan> out = new ArrayList<>(sortReferences(refs));
        dists.sort(Comparator.comparingInt(p -> depth(dist.get(p.source().name()))));
        out.addAll(dists);
        out.addAll(locals);
        partitions.sort(Comparator.comparingInt(p -> partitionDepth(p.source())));
        out.addAll(partitions);
        return List.copyOf(out);
    }

    private int partitionDepth(Table t) {
        int n = 0;
        while (t.isPartition() && included.containsKey(t.partitionOf())) {
            t = included.get(t.partitionOf());
            n++;
        }
        return n;
    }

    /** Reference tables referenced by other reference tables go first. */
    private List<TablePlan> sortReferences(List<TablePlan> refs) {
        List<TablePlan> out = new ArrayList<>();
        Set<QualifiedName> done = new HashSet<>();
        List<TablePlan> left = new ArrayList<>(refs);
        while (!left.isEmpty()) {
            TablePlan next = left.stream().filter(p -> p.source().foreignKeys().stream()
                            .allMatch(fk -> done.contains(fk.refTable()) || fk.refTable().equals(p.source().name())
                                    || !reference.containsKey(fk.refTable())))
                    .findFirst().orElse(left.get(0)); // a cycle: keys are created after distribution anyway
            out.add(next);
            done.add(next.source().name());
            left.remove(next);
        }
        return out;
    }

    private TablePlan table(Table t, Table owner, Kind kind) {
        QualifiedName target = naming.table(t.name());
        List<String> rewrites = new ArrayList<>();
        Dist d = kind == Kind.DISTRIBUTED ? dist.get(owner.name()) : null;
        String tenantKey = d == null ? null : d.column;

        List<Column> columns = new ArrayList<>();
        for (Column c : t.columns()) {
            Casts.Result r = casts.apply(t, c);
            if (r.note() != null) rewrites.add(r.note());
            Column col = r.column();
            col = col.withType(naming.type(col.type())).withDefault(naming.expression(col.defaultExpr()));
            if (col.generated() != null) {
                col = new Column(col.num(), col.name(), col.type(), col.defaultExpr(), col.notNull(), col.identity(),
                        naming.expression(col.generated()), col.collation(), col.comment());
            }
            if (d != null && !t.isPartition() && c.name().equals(tenantKey) && !col.notNull()) {
                col = col.withNotNull(true);
                rewrites.add("column " + c.name() + " set NOT NULL: Citus rejects NULL in the distribution column");
            }
            columns.add(col);
        }
        if (d != null && d.added && !t.isPartition()) {
            TypeRef type = distType(d);
            columns.add(0, new Column(0, tenantKey, type, null, true, (char) 0, null, null, null));
            rewrites.add("added column " + tenantKey + " " + type.sql() + " NOT NULL as the first column, " + (d.parent == tenantsTable
                    ? "holding the tenant key of the row's source " + (tenantSchemas.rule.databases() ? "database" : "schema") + " (as " + tenantsTable.name() + " records it)"
                    : "back-filled along " + path(d).stream().map(Hop::toString).collect(Collectors.joining(", "))));
        }

        List<Constraint> constraints = new ArrayList<>();
        for (Constraint c : t.constraints()) {
            String def = naming.expression(c.definition());
            Constraint con = new Constraint(c.name(), c.kind(), c.columns(), def, c.deferrable(), c.initiallyDeferred());
            if (d != null && !c.columns().contains(tenantKey)) {
                switch (c.kind()) {
                    case PRIMARY_KEY, UNIQUE -> {
                        List<String> cols = new ArrayList<>(c.columns());
                        cols.add(0, tenantKey);
                        con = con.withColumns(List.copyOf(cols), replaceFirstGroup(def, Sql.idents(cols)));
                        rewrites.add((c.kind() == Constraint.Kind.PRIMARY_KEY ? "primary key " : "unique constraint ") + c.name()
                                + " (" + String.join(", ", c.columns()) + ") extended to (" + String.join(", ", cols) + ")"
                                + (c.kind() == Constraint.Kind.UNIQUE ? ": now unique per tenant" : ""));
                    }
                    case EXCLUDE -> issues.add(PlanIssue.error(t.name(), "exclusion constraint " + c.name()
                            + " does not include the distribution column " + tenantKey
                            + "; Citus rejects it (Distributed relations cannot have UNIQUE, EXCLUDE, or PRIMARY KEY constraints that do not include the partition column)"));
                    default -> { }
                }
            }
            constraints.add(con);
        }
        if (d != null && !t.isPartition() && t.primaryKey().isEmpty()) {
            issues.add(PlanIssue.warning(t.name(), "has no primary key: a live migration streams it under REPLICA IDENTITY FULL on the source (its own"
                    + " setting put back after the cutover) and matches its rows on the target by all their columns"));
        }

        if (t.unlogged()) {
            issues.add(PlanIssue.warning(t.name(), "is UNLOGGED: logical decoding never sees its changes. The bulk load copies it, and a live"
                    + " migration's cutover copies it once more while writes are stopped (its rows add to the write downtime); leave it out"
                    + " with EXCLUDING TABLE NAMES MATCHING. On the target it is an ordinary (logged) table"));
        }
        List<String> objectColumns = t.columns().stream()
                .filter(c -> "oid".equals(c.type().withoutTypmod()) || (c.type().userType() != null && "lo".equals(c.type().userType().name())))
                .map(Column::name).toList();
        if (!objectColumns.isEmpty()) {
            issues.add(PlanIssue.warning(t.name(), "column" + (objectColumns.size() > 1 ? "s " : " ") + String.join(", ", objectColumns)
                    + " hold" + (objectColumns.size() > 1 ? "" : "s") + " large object oids: the bulk load copies every large object with its oid"
                    + " (on the coordinator), a live migration copies new ones every 10 s and compares them all at the cutover while writes are"
                    + " stopped, which adds the time to read them to the write downtime"));
        }

        List<ForeignKey> fks = new ArrayList<>();
        for (ForeignKey fk : t.foreignKeys()) {
            ForeignKey out = foreignKey(t, kind, d, fk, rewrites);
            if (out != null) fks.add(out);
        }

        List<Index> indexes = new ArrayList<>();
        String uniquify = cmd.options().string(Option.INDEX_NAMES);
        for (Index ix : t.indexes()) {
            Index out = new Index(ix.name(), ix.unique(), ix.method(),
                    ix.keys().stream().map(k -> new Index.Key(naming.expression(k.expression()), k.opclass(), k.ordering())).toList(),
                    ix.keyColumns(), ix.include(), naming.expression(ix.predicate()), ix.nullsNotDistinct(), ix.definition());
            if ("uniquify".equals(uniquify)) out = out.withName("idx_" + t.oid() + "_" + ix.name());
            if (d != null && ix.unique() && !ix.keyColumns().contains(tenantKey)) {
                List<Index.Key> keys = new ArrayList<>(out.keys());
                keys.add(0, new Index.Key(Sql.ident(tenantKey), null, ""));
                List<String> kc = new ArrayList<>(ix.keyColumns());
                kc.add(0, tenantKey);
                out = out.withKeys(List.copyOf(keys), List.copyOf(kc));
                rewrites.add("unique index " + ix.name() + " extended with " + tenantKey + " as its first key: now unique per tenant");
            }
            indexes.add(out);
        }

        // Row triggers are created once the rows are there (after the bulk load's data, at a live migration's
        // cutover: before, they would fire again on replicated rows), in target names; Citus takes them on
        // distributed and reference tables with citus.enable_unsafe_triggers, which holds only for a trigger that
        // touches its own row. Statement triggers it would run on every shard: they are named, not created.
        List<io.citusmigrate.catalog.Trigger> triggers = new ArrayList<>();
        for (io.citusmigrate.catalog.Trigger tr : t.triggers()) {
            boolean rowLevel = tr.definition().contains(" FOR EACH ROW ");
            if (rowLevel || kind == Kind.LOCAL) triggers.add(new io.citusmigrate.catalog.Trigger(tr.name(), naming.expression(tr.definition())));
            else issues.add(PlanIssue.warning(t.name(), "statement trigger " + tr.name() + " not created: Citus would fire it on every"
                    + " shard; create it on the target yourself if that is right (" + tr.definition() + ")"));
        }
        if (!triggers.isEmpty() && kind != Kind.LOCAL) {
            issues.add(PlanIssue.warning(t.name(), "trigger" + (triggers.size() > 1 ? "s " : " ") + triggers.stream().map(x -> x.name())
                    .collect(Collectors.joining(", ")) + " created after the data (a live migration: at the cutover) with"
                    + " citus.enable_unsafe_triggers: Citus runs a row trigger on the row's shard, so it must touch only its own row"));
        }
        if (kind == Kind.REFERENCE && !t.isPartition() && reference.get(t.name()).startsWith("referenced")) {
            rewrites.add("reference table: " + reference.get(t.name()));
        }

        String derivation = switch (kind) {
            case DISTRIBUTED -> d.derivation;
            case REFERENCE -> reference.get(owner.name());
            case LOCAL -> "no distribute rule and no foreign-key path to the tenant: stays on the coordinator";
            case SCHEMA -> "in the distributed schema " + owner.name().schema() + " (" + distributedSchemas.get(owner.name().schema())
                    + "): kept whole, with the schema's other tables, on one node";
        };
        if (t.isPartition()) derivation = "partition of " + t.partitionOf().name();
        QualifiedName colocate = null;
        if (d != null) {
            Dist r = colocationRoot(d);
            if (r != d) colocate = naming.table(r.table.name());
        }
        return new TablePlan(t, target, t.isPartition() ? naming.table(t.partitionOf()) : null, kind, tenantKey, d != null && d.added, colocate,
                d == null || t.isPartition() ? List.of() : path(d), derivation, List.copyOf(columns), List.copyOf(constraints),
                List.copyOf(fks), List.copyOf(indexes), List.copyOf(triggers), naming.storageParams(t), naming.tablespace(t), List.copyOf(rewrites));
    }

    private ForeignKey foreignKey(Table t, Kind kind, Dist d, ForeignKey fk, List<String> rewrites) {
        QualifiedName ref = fk.refTable();
        if (!included.containsKey(ref)) {
            issues.add(PlanIssue.warning(t.name(), "foreign key " + fk.name() + " not created: it references " + ref + ", which is not migrated"));
            return null;
        }
        Dist pd = dist.get(ref);
        QualifiedName refTarget = naming.table(ref);
        if (kind != Kind.DISTRIBUTED && pd != null) {
            issues.add(PlanIssue.error(t.name(), "foreign key " + fk.name() + " references distributed table " + ref.name()
                    + " from a " + kind.label() + " table: cannot create foreign key constraint since foreign keys from reference"
                    + " tables and local tables to distributed tables are not supported"));
            return fk.with(fk.columns(), refTarget, fk.refColumns(), fk.onUpdate(), fk.onDelete(), fk.onDeleteSetColumns());
        }
        if (d == null || pd == null) {
            return fk.with(fk.columns(), refTarget, fk.refColumns(), fk.onUpdate(), fk.onDelete(), fk.onDeleteSetColumns());
        }
        if (colocationRoot(d) != colocationRoot(pd)) {
            issues.add(PlanIssue.error(t.name(), "foreign key " + fk.name() + " joins tables that are not colocated ("
                    + t.name().name() + " and " + ref.name() + "): cannot create foreign key constraint"));
        }
        List<String> cols = new ArrayList<>(fk.columns());
        List<String> refCols = new ArrayList<>(fk.refColumns());
        int ci = cols.indexOf(d.column);
        int pi = refCols.indexOf(pd.column);
        if (ci < 0 && pi < 0) {
            cols.add(0, d.column);
            refCols.add(0, pd.column);
            rewrites.add("foreign key " + fk.name() + " (" + String.join(", ", fk.columns()) + ") -> " + ref.name() + " ("
                    + String.join(", ", fk.refColumns()) + ") extended to (" + String.join(", ", cols) + ") -> ("
                    + String.join(", ", refCols) + ")");
        } else if (ci != pi) {
            issues.add(PlanIssue.error(t.name(), "foreign key " + fk.name() + " holds the distribution column in another position"
                    + " than in " + ref.name() + ": cannot create foreign key constraint"));
        }
        char del = fk.onDelete();
        List<String> delCols = fk.onDeleteSetColumns();
        if (del == 'n' || del == 'd') {
            // Citus rejects SET NULL / SET DEFAULT on a key that holds the distribution column, in
            // the column-list form too: the closest it accepts is NO ACTION, which the user must know
            String action = ForeignKey.action(del);
            String set = (delCols.isEmpty() ? fk.columns() : delCols).stream().filter(c -> !c.equals(d.column))
                    .collect(java.util.stream.Collectors.joining(", "));
            issues.add(PlanIssue.warning(t.name(), "foreign key " + fk.name() + " ON DELETE " + action + " becomes NO ACTION on Citus"
                    + " (Citus rejects SET NULL and SET DEFAULT when the key includes the distribution column): deleting a row of "
                    + ref.name() + " that rows of " + t.name().name() + " still reference fails with a foreign-key violation instead of"
                    + " setting " + (set.isEmpty() ? "the key" : set) + " to " + (del == 'n' ? "NULL" : "its default")
                    + "; the application must do that before the delete"));
            rewrites.add("foreign key " + fk.name() + " ON DELETE " + action + " rewritten to NO ACTION");
            del = 'a';
            delCols = List.of();
        }
        char upd = fk.onUpdate();
        if (upd == 'c' || upd == 'n' || upd == 'd') {
            issues.add(PlanIssue.warning(t.name(), "foreign key " + fk.name() + " ON UPDATE " + ForeignKey.action(upd)
                    + " rewritten to NO ACTION: Citus rejects it when the key includes the distribution column"));
            rewrites.add("foreign key " + fk.name() + " ON UPDATE " + ForeignKey.action(upd) + " rewritten to NO ACTION");
            upd = 'a';
        }
        return fk.with(List.copyOf(cols), refTarget, List.copyOf(refCols), upd, del, delCols);
    }

    /**
     * A table of a distributed schema is kept whole with its schema's other tables: it cannot be
     * distributed by a tenant key too, and Citus takes foreign keys between such a table and
     * another only within the schema or to a reference table.
     */
    private void checkDistributedSchemas(List<TablePlan> tables) {
        if (distributedSchemas.isEmpty()) return;
        Map<QualifiedName, TablePlan> byTarget = new java.util.HashMap<>();
        tables.forEach(t -> byTarget.put(t.target(), t));
        for (TablePlan t : tables) {
            if (t.kind() == Kind.SCHEMA && (dist.containsKey(t.source().name()) || reference.containsKey(t.source().name()))) {
                String why = dist.containsKey(t.source().name()) ? dist.get(t.source().name()).derivation : reference.get(t.source().name());
                issues.add(PlanIssue.error(t.source().name(), "is in the distributed schema " + t.source().name().schema() + " and would also be "
                        + (dist.containsKey(t.source().name()) ? "distributed by a tenant key" : "a reference table") + " (" + why + "); a table is distributed once"));
            }
            for (ForeignKey fk : t.foreignKeys()) {
                TablePlan ref = byTarget.get(fk.refTable());
                if (ref == null) continue;
                boolean fromSchema = t.kind() == Kind.SCHEMA;
                boolean toSchema = ref.kind() == Kind.SCHEMA;
                boolean sameSchema = fromSchema && toSchema && t.target().schema().equals(ref.target().schema());
                if ((fromSchema || toSchema) && !sameSchema && !(fromSchema && ref.kind() == Kind.REFERENCE)) {
                    issues.add(PlanIssue.error(t.source().name(), "foreign key " + fk.name() + " to " + ref.target() + ": Citus takes a foreign key"
                            + " of a table in a distributed schema only to a table of the same schema or to a reference table"));
                }
            }
        }
    }

    /**
     * Seen on Citus 13.2.2: a table that uses a user-defined range type can be neither
     * distributed nor a reference table ("has dependency on unsupported object").
     */
    private void checkRangeTypes(List<TablePlan> tables) {
        for (TablePlan p : tables) {
            if (p.isPartition() || p.kind() == Kind.LOCAL) continue;
            for (io.citusmigrate.catalog.Column c : p.columns()) {
                TypeRef type = c.type();
                if (type.userType() == null || type.typtype() != 'r') continue;
                issues.add(PlanIssue.error(p.source().name(), "column " + c.name() + " has the user-defined range type "
                        + type.userType() + ": Citus cannot make " + p.target().name() + " a " + p.kind().label()
                        + " table (\"has dependency on unsupported object\"); give the column another type, e.g. cast column "
                        + p.source().name().name() + "." + c.name() + " to text"));
            }
        }
    }

    /** Colocated tables need the same distribution column type: Citus refuses otherwise. */
    private void checkColocation(List<TablePlan> tables) {
        for (TablePlan p : tables) {
            if (p.kind() != Kind.DISTRIBUTED || p.isPartition()) continue;
            Dist d = dist.get(p.source().name());
            Dist r = colocationRoot(d);
            if (r == d) continue;
            TypeRef mine = distType(d);
            TypeRef theirs = distType(r);
            if (!Casts.normalize(mine.sql()).equals(Casts.normalize(theirs.sql()))) {
                issues.add(PlanIssue.error(p.source().name(), "cannot colocate tables " + p.target().name() + " and "
                        + naming.table(r.table.name()).name() + ": " + d.column + " is " + mine.sql() + " but " + r.column + " is "
                        + theirs.sql() + "; make them equal, e.g. with: cast column " + p.source().name().name() + "." + d.column
                        + " to " + theirs.sql()));
            }
        }
    }

    private List<View> views() {
        List<View> out = new ArrayList<>();
        Set<QualifiedName> available = new HashSet<>(included.keySet());
        for (View v : catalog.views()) {
            List<QualifiedName> missing = v.dependsOn().stream().filter(q -> !available.contains(q)).toList();
            if (!missing.isEmpty()) {
                issues.add(PlanIssue.warning(v.name(), "view not created: it reads " + missing.stream().map(Objects::toString)
                        .collect(Collectors.joining(", ")) + ", which is not migrated"));
                continue;
            }
            available.add(v.name());
            QualifiedName target = naming.object(v.name());
            if (tenantSchemas != null && (tenantSchemas.rule.databases() || v.name().schema().equals(tenantSchemas.template))) {
                issues.add(PlanIssue.warning(v.name(), "view of the first tenant " + (tenantSchemas.rule.databases() ? "database" : "schema")
                        + ": created as " + target + " over the consolidated"
                        + " tables, where it shows every tenant's rows; the application must filter it by " + tenantSchemas.rule.column()));
            }
            if (v.materialized()) {
                issues.add(PlanIssue.warning(v.name(), "materialized view: created with its data after the bulk load, with its "
                        + v.indexes().size() + " index" + (v.indexes().size() == 1 ? "" : "es") + "; a live migration refreshes it after the cutover"));
            }
            // an index's rendering names the view in full: ON schema.view
            List<String> indexes = v.indexes().stream().map(ix -> naming.expression(ix.replace(" ON " + v.name().sql() + " ", " ON " + target.sql() + " ")))
                    .toList();
            out.add(new View(target, v.materialized(), naming.expression(v.definition()), v.dependsOn().stream().map(naming::table).toList(), indexes));
        }
        return List.copyOf(out);
    }

    /** Replaces the first parenthesised group of a constraint definition, respecting quotes. */
    public static String replaceFirstGroup(String def, String inner) {
        int open = def.indexOf('(');
        if (open < 0) return def;
        int depth = 0;
        boolean quoted = false;
        for (int i = open; i < def.length(); i++) {
            char c = def.charAt(i);
            if (c == '"') quoted = !quoted;
            if (quoted) continue;
            if (c == '(') depth++;
            if (c == ')' && --depth == 0) return def.substring(0, open + 1) + inner + def.substring(i);
        }
        return def;
    }
}
