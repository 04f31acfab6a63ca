package io.citusmigrate.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.citusmigrate.UserError;
import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.TablePlan;
import io.citusmigrate.sql.Sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Schema changes on the source while streaming, as {@link SchemaCapture} writes them into the WAL,
 * carried to the target at their place among the row changes: column changes of a migrated table
 * by comparing its columns as the command left them with the target's, in one transaction; indexes
 * and constraints by the plan's rules; tables created, dropped, renamed or keyed otherwise by a plan
 * made again. A change that cannot be carried stops the stream before any later change is applied,
 * naming it and what to do.
 */
public final class SchemaChanges {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A captured DDL command: its tag (ALTER TABLE), object type and identity, and the statement. */
    public record Change(String tag, String type, String identity, long oid, String schema, String query, Map<String, Column> columns, String table,
                         JsonNode index, JsonNode constraints, JsonNode security) {
        static Change of(String content) {
            try {
                JsonNode n = JSON.readTree(content);
                Map<String, Column> cols = new LinkedHashMap<>();
                for (JsonNode c : n.path("columns")) {
                    boolean generated = c.path("generated").asBoolean();
                    String expr = c.path("default").isNull() ? null : c.path("default").asText(null);
                    cols.put(c.path("name").asText(), new Column(c.path("num").asInt(), c.path("name").asText(), c.path("type").asText(),
                            generated ? null : expr, c.path("notnull").asBoolean(), c.path("identity").asBoolean(), generated,
                            generated ? expr : null, c.path("hasmissing").asBoolean(), c.path("missing").isNull() ? null : c.path("missing").asText(null)));
                }
                return new Change(n.path("tag").asText(), n.path("type").asText(), n.path("identity").asText(), n.path("oid").asLong(0), n.path("schema").asText(),
                        n.path("query").asText(), cols, n.path("table").isNull() ? null : n.path("table").asText(null), n.path("index"),
                        n.path("constraints"), n.path("security"));
            } catch (java.io.IOException e) {
                throw new IllegalStateException("not a schema change message: " + content, e);
            }
        }

        String said() {
            return tag + " " + identity + " (" + query.strip() + ")";
        }
    }

    /**
     * Carrying it failed for a reason the user must settle: {@code undoable} when, undone on the
     * source, the stream goes on with {@code --resume}; otherwise only a new start takes it in.
     */
    public static final class NotCarried extends UserError {
        private final boolean undoable;
        private final String waitingFor;

        NotCarried(String message, boolean undoable) {
            this(message, undoable, null);
        }

        NotCarried(String message, boolean undoable, String waitingFor) {
            super(message);
            this.undoable = undoable;
            this.waitingFor = waitingFor;
        }

        public boolean undoable() {
            return undoable;
        }

        /** What the source may yet do that lets it be carried (a new tenant's row in the tenant mapping), said while waiting; null when nothing. */
        public String waitingFor() {
            return waitingFor;
        }
    }

    private SchemaChanges() {}

    /**
     * Whether a captured change changes the plan, so that the stream goes on with a plan made
     * again (and its sink with the new plan's rules): a table created, dropped or renamed, or a
     * primary, unique, exclusion or foreign key added to or dropped from a migrated table.
     */
    public static boolean replans(String content, Plan plan) {
        Change ch = Change.of(content);
        // consolidated tenant schemas: a table created in one is taken in as a share; their ALTERs are carried share by share
        if (plan.consolidation() != null && plan.consolidation().isTenantSchema(ch.schema())) {
            return ch.tag().equals("CREATE TABLE") && "table".equals(ch.type()) || ch.tag().equals("DROP TABLE") && "table".equals(ch.type())
                    || ch.tag().equals("ALTER TABLE") || tenantIndex(ch);
        }
        // a tenant database's: its tables' changes are rolled out as a tenant schema's
        if (plan.consolidation() != null && plan.consolidation().databases()) return ch.tag().equals("ALTER TABLE") || tenantIndex(ch);
        if ((ch.tag().equals("CREATE TABLE") || ch.tag().equals("DROP TABLE")) && "table".equals(ch.type())) return true;
        if (!ch.tag().equals("ALTER TABLE")) return false;
        TablePlan t = table(plan, ch);
        if (t == null) return false;
        if ("table".equals(ch.type()) && !named(t, ch.identity())) return true; // renamed
        // an identity or serial column added: its sequence joins the plan
        if (ch.columns().values().stream().anyMatch(c -> (c.identity() || c.defaultExpr() != null && c.defaultExpr().contains("nextval("))
                && t.source().columns().stream().noneMatch(p -> p.num() == c.num()))) {
            return true;
        }
        if (!ch.constraints().isArray() && !ch.constraints().isNull()) return false; // an older message, without them
        return !keys(ch).equals(plannedKeys(t));
    }

    /** A table created, dropped, renamed or keyed otherwise: carried by the plan made now, from here on the stream's, with what was done. */
    public static Replanned replan(String content, Plan plan, io.citusmigrate.catalog.Catalog streamed, Connection target,
                                   io.citusmigrate.load.LoadCommand cmd) throws SQLException {
        return replan(content, plan, streamed, target, cmd, null);
    }

    /**
     * The same for a tenant database's stream: {@code plan} is the whole migration's (every
     * tenant's shares, which decide when a change rolled out reaches the target), {@code database}
     * the tenant whose change it is; the plan returned is the whole migration's too.
     */
    public static Replanned replan(String content, Plan plan, io.citusmigrate.catalog.Catalog streamed, Connection target,
                                   io.citusmigrate.load.LoadCommand cmd, String database) throws SQLException {
        Change ch = Change.of(content);
        // a consolidated tenant's table altered: carried from the stream's own plan, the source not read again
        boolean tenants = plan.consolidation() != null && (database != null || plan.consolidation().isTenantSchema(ch.schema()));
        String tenant = database != null ? database : ch.schema();
        if (tenants && "ALTER TABLE".equals(ch.tag())) return consolidatedAlter(ch, plan, streamed, target, cmd, tenant);
        if (tenants && tenantIndex(ch)) return consolidatedIndex(ch, plan, streamed, target, cmd, tenant);
        if (tenants && database == null && "DROP TABLE".equals(ch.tag())) return tenantTableDropped(ch, plan, streamed, target, cmd);
        // the source read and planned again, as at the start
        io.citusmigrate.catalog.Catalog catalog;
        char identity;
        try (Connection source = io.citusmigrate.db.Databases.connect("source", cmd.source())) {
            catalog = new io.citusmigrate.catalog.CatalogReader(source).read(cmd);
            identity = replicaIdentity(source, ch.oid());
        }
        Plan now = io.citusmigrate.plan.Planner.plan(cmd, catalog, new io.citusmigrate.catalog.CatalogReader(target).targetFacts(cmd));
        if (plan.consolidation() != null && "CREATE TABLE".equals(ch.tag()) && plan.consolidation().isTenantSchema(ch.schema())) {
            return tenantTableCreated(ch, plan, now, catalog, target, cmd);
        }
        return switch (ch.tag()) {
            case "DROP TABLE" -> dropTable(ch, plan, now, catalog, target, cmd);
            case "CREATE TABLE" -> createTable(ch, plan, now, catalog, target, cmd);
            default -> alterTable(ch, plan, now, catalog, identity, target, cmd);
        };
    }

    /** A table's replica identity on the source now (d, n, f or i), or d when it is gone. */
    private static char replicaIdentity(Connection source, long oid) throws SQLException {
        try (PreparedStatement ps = source.prepareStatement("SELECT relreplident FROM pg_catalog.pg_class WHERE oid = ?::pg_catalog.oid")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1).charAt(0) : 'd';
            }
        }
    }

    /**
     * A migrated table renamed, or its keys changed: the table as the plan made now takes it. Its
     * kind and tenant key must stay, and no other table's; a new primary, unique or exclusion
     * constraint is made on the target by the plan's rules (with the tenant key), a new foreign key
     * at the cutover with the others. The sink then matches rows by the new primary key, or by all
     * their columns once the table has none (the capture gave it REPLICA IDENTITY FULL).
     */
    private static Replanned alterTable(Change ch, Plan plan, Plan now, io.citusmigrate.catalog.Catalog catalog, char identity, Connection target,
                                        io.citusmigrate.load.LoadCommand cmd) throws SQLException {
        TablePlan was = table(plan, ch);
        TablePlan t = was == null ? null : now.tables().stream().filter(x -> x.source().oid() == was.source().oid()).findFirst()
                .orElseGet(() -> table(now, ch));
        if (t == null) throw notCarried(ch, "the plan made now does not take the table", cmd.file());
        List<String> errors = errorsOf(now, t);
        if (!errors.isEmpty()) throw notCarried(ch, String.join("; ", errors), cmd.file());
        if (t.kind() != was.kind() || !java.util.Objects.equals(t.distributionColumn(), was.distributionColumn())) {
            throw notCarried(ch, "the plan would make " + was.target() + " " + t.kind().label()
                    + (t.distributionColumn() == null ? "" : " by " + t.distributionColumn()) + " instead", cmd.file());
        }
        List<String> changed = otherwisePlanned(plan, now, was);
        if (!changed.isEmpty()) throw notCarried(ch, "with it the plan takes other tables otherwise: " + String.join("; ", changed), cmd.file());
        if (was.source().primaryKey().isPresent() && t.source().primaryKey().isEmpty()) {
            // from here on its rows are matched by all their columns: the WAL must hold old rows whole
            List<String> why = new ArrayList<>(ReplicaIdentities.unmatchable(now, t));
            if (identity != 'f') why.add("its replica identity is not FULL (" + identity + "), so the WAL does not hold its old rows whole");
            if (!why.isEmpty()) throw notCarried(ch, "its primary key was dropped, and " + String.join("; ", why), cmd.file());
        }
        // the plan made now reads the source as it is now, which may be ahead of the stream (a table renamed or created
        // since): the stream goes on with its own plan, this one table in it as the plan made now takes it, under its name
        // at this change
        boolean renamed = "table".equals(ch.type()) && !named(was, ch.identity());
        Plan next = plan;
        if (renamed) {
            if (!named(t, ch.identity())) throw notCarried(ch, "it was renamed again since; carry one rename at a time", cmd.file());
            if (!t.target().schema().equals(was.target().schema())) throw notCarried(ch, "the plan would move it to schema " + t.target().schema(), cmd.file());
            next = renamedThrough(ch, plan, now, was, cmd.file());
        } else {
            t = t.withNames(was.source().name(), was.target());
        }
        List<String> first = new ArrayList<>();
        // read again after a restart, the rename is there already
        if (renamed && exists(target, was.target().schema(), was.target().name())) first.add("RENAME TO " + Sql.ident(t.target().name()));
        String done = alter(ch, was, t, first, target, cmd, now.sequences());
        // a serial column added: its sequence is the plan's from here on, so that the cutover sets it
        QualifiedName owner = t.target();
        List<io.citusmigrate.catalog.Sequence> owned = now.sequences().stream()
                .filter(q -> owner.equals(q.ownedByTable()) && plan.sequences().stream().noneMatch(p -> p.name().equals(q.name()))).toList();
        return new Replanned(next.withTable(was.source().oid(), t).withSequencesAdded(owned), catalog, done);
    }

    /**
     * A table renamed that other tables lead through (their tenant key's path, a foreign key, a
     * partition's parent): those take it under its new name as the plan made now has them, and the
     * sequences it owns name it so too. Each must be under the name the stream has for it (not
     * renamed since itself): one rename at a time.
     */
    private static Plan renamedThrough(Change ch, Plan plan, Plan now, TablePlan was, String file) {
        Plan next = plan;
        for (TablePlan o : plan.tables()) {
            if (o == was || !(o.leadsThrough(was.target()) || o.backfillPath().stream()
                    .anyMatch(h -> h.parent().equals(was.source().name()) || h.child().equals(was.source().name())))) {
                continue;
            }
            TablePlan n = now.tables().stream().filter(x -> x.source().oid() == o.source().oid()).findFirst().orElse(null);
            if (n == null || !n.source().name().equals(o.source().name()) || !n.target().equals(o.target())) {
                throw notCarried(ch, o.target() + ", which leads through it, was renamed or dropped since; carry one rename at a time", file);
            }
            next = next.withTable(o.source().oid(), n);
        }
        QualifiedName renamedTo = now.tables().stream().filter(x -> x.source().oid() == was.source().oid()).map(TablePlan::target).findFirst()
                .orElse(was.target());
        return next.withSequencesOwnedBy(was.target(), renamedTo);
    }

    private static List<String> errorsOf(Plan plan, TablePlan t) {
        return plan.issues().stream().filter(i -> i.severity() == io.citusmigrate.plan.PlanIssue.Severity.ERROR
                && t.source().name().equals(i.table())).map(io.citusmigrate.plan.PlanIssue::message).toList();
    }

    /** The message's primary, unique, exclusion and foreign keys, by name. */
    private static java.util.Set<String> keys(Change ch) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (JsonNode k : ch.constraints()) if (!"c".equals(k.path("type").asText())) out.add(k.path("name").asText());
        return out;
    }

    /** The keys the plan's catalog has for a table, by name. */
    private static java.util.Set<String> plannedKeys(TablePlan t) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        t.source().constraints().stream().filter(k -> k.kind() != io.citusmigrate.catalog.Constraint.Kind.CHECK).forEach(k -> out.add(k.name()));
        t.source().foreignKeys().forEach(k -> out.add(k.name()));
        return out;
    }

    /**
     * A table dropped on the source: dropped on the target (its rows went without row changes),
     * by the plan made now, which no longer has it. Refused when that plan takes another table
     * otherwise (a child whose path to its tenant went through it).
     */
    private static Replanned dropTable(Change ch, Plan plan, Plan now, io.citusmigrate.catalog.Catalog catalog, Connection target,
                                       io.citusmigrate.load.LoadCommand cmd) throws SQLException {
        TablePlan t = table(plan, ch);
        if (t == null) return new Replanned(plan, null, ""); // not migrated
        if (!t.backfillPath().isEmpty()) { // the sink finds a row's tenant through its parent's key
            var parent = plan.table(t.backfillPath().get(0).parent());
            if (parent.isPresent() && parent.get().source().primaryKey().isEmpty()) {
                throw notCarried(ch, "it takes its tenant key from " + parent.get().source().name().sql() + ", which has no primary key", cmd.file());
            }
        }
        List<String> changed = otherwisePlanned(plan, now, t);
        if (!changed.isEmpty()) throw notCarried(ch, "without it the plan takes other tables otherwise: " + String.join("; ", changed), cmd.file());
        try (Statement s = target.createStatement()) {
            // what depends on it on the target (a view, a foreign key) went with it on the source too
            s.execute("DROP TABLE IF EXISTS " + t.target().sql() + " CASCADE");
        }
        return new Replanned(plan.withoutTable(t.source().oid()), catalog, "table dropped on the target as on the source: " + t.target());
    }

    /** The tables both plans hold whose kind or distribution differ, one line each (the one carried left out). */
    private static List<String> otherwisePlanned(Plan was, Plan now, TablePlan carried) {
        List<String> out = new ArrayList<>();
        for (TablePlan a : was.tables()) {
            if (a.source().name().equals(carried.source().name())) continue;
            now.table(a.source().name()).ifPresent(b -> {
                if (a.kind() != b.kind() || !java.util.Objects.equals(a.distributionColumn(), b.distributionColumn())) {
                    out.add(a.target() + " would be " + b.kind().label() + (b.distributionColumn() == null ? "" : " by " + b.distributionColumn())
                            + " instead of " + a.kind().label() + (a.distributionColumn() == null ? "" : " by " + a.distributionColumn()));
                }
            });
        }
        return out;
    }

    /** A table created or dropped: the plan it was carried by, and what was done. */
    public record Replanned(Plan plan, io.citusmigrate.catalog.Catalog catalog, String said) {}

    /**
     * A table created on the source while streaming, planned by the same rules as at the start
     * (the source read and planned again: a foreign key leading to a distributed table makes it
     * distributed and colocated, its tenant key back-filled), then created, distributed, keyed and
     * granted on the target. The plan made now is the stream's from here on. Refused, naming why:
     * a table the plan cannot take, a partitioned table or partition, one without a primary key.
     */
    private static Replanned createTable(Change ch, Plan plan, Plan planned, io.citusmigrate.catalog.Catalog catalog, Connection target,
                                         io.citusmigrate.load.LoadCommand cmd) throws SQLException {
        TablePlan found = table(planned, ch);
        if (found == null) {
            // left out by the command file's rules, or dropped again since (its DROP comes later in the stream)
            return new Replanned(plan, catalog, "new table " + ch.identity() + " on the source: not in the plan, not migrated");
        }
        // renamed since (its rename comes later in the stream): made under the name its first rows have, renamed with its rename
        boolean renamedSince = !named(found, ch.identity());
        TablePlan t = renamedSince ? asCreated(ch, found, cmd.file()) : found;
        Plan now = renamedSince ? planned.withTable(found.source().oid(), t).withSequencesOwnedBy(found.target(), t.target()) : planned;
        List<String> errors = errorsOf(now, t);
        if (!errors.isEmpty()) throw notCarried(ch, String.join("; ", errors), cmd.file());
        if (t.isPartition()) return createPartition(ch, plan, now, catalog, t, target, cmd);
        if (t.source().primaryKey().isEmpty() && t.source().isPartitioned()) throw notCarried(ch, "it is partitioned and has no primary key", cmd.file());
        if (t.source().primaryKey().isEmpty()) {
            List<String> why = ReplicaIdentities.unmatchable(now, t);
            if (!why.isEmpty()) throw notCarried(ch, "it has no primary key, and " + String.join("; ", why), cmd.file());
        }
        List<String> changed = otherwisePlanned(plan, now, t);
        if (!changed.isEmpty()) throw notCarried(ch, "with it the plan takes other tables otherwise: " + String.join("; ", changed), cmd.file());
        createOnTarget(t, now, target, cmd);
        // the plan made now reads the source as it is now, which may be ahead of the stream: the stream goes on with its own plan and this table
        Plan next = plan.withTableAdded(t, now.sequences().stream().filter(q -> t.target().equals(q.ownedByTable())).toList());
        return new Replanned(next, catalog, "new table carried to the target: " + t.target() + ", " + t.kind().label()
                + (t.distributionColumn() != null ? " by " + t.distributionColumn() + (t.tenantColumnAdded() ? " (added, back-filled)" : "") : "")
                + "; its rows stream from its creation on");
    }

    /**
     * A table created and renamed since, under the name it had when it was created (its rows up to
     * its rename have that name), as long as the plan gives it the same name on the target as on
     * the source and keeps it in its schema.
     */
    private static TablePlan asCreated(Change ch, TablePlan t, String file) {
        List<String> parts = io.citusmigrate.sink.SchemaChangeMessage.parts(ch.identity());
        if (parts.size() != 2 || !parts.get(0).equals(t.source().name().schema()) || !t.target().name().equals(t.source().name().name())) {
            throw notCarried(ch, "it was renamed since (to " + t.source().name().sql() + "), and the plan names it otherwise on the target or"
                    + " moved it to another schema; carry one change at a time", file);
        }
        return t.withNames(new QualifiedName(parts.get(0), parts.get(1)), new QualifiedName(t.target().schema(), parts.get(1)));
    }

    /** A table of the plan made now created on the target as that plan has it (with its owned sequences, keys, indexes and access), unless there already. */
    private static void createOnTarget(TablePlan t, Plan now, Connection target, io.citusmigrate.load.LoadCommand cmd) throws SQLException {
        if (exists(target, t.target().schema(), t.target().name())) return;
        Plan one = new Plan(List.of(t.target().schema()), List.of(), List.of(),
                now.sequences().stream().filter(q -> t.target().equals(q.ownedByTable())).toList(), List.of(t), List.of(), List.of(),
                List.of(), accessOf(now.access(), t));
        List<io.citusmigrate.ddl.Statement> script = io.citusmigrate.ddl.SchemaScript.of(one, cmd.options());
        var steps = java.util.EnumSet.of(io.citusmigrate.ddl.Statement.Step.SCHEMAS, io.citusmigrate.ddl.Statement.Step.SEQUENCES,
                io.citusmigrate.ddl.Statement.Step.TABLES, io.citusmigrate.ddl.Statement.Step.DISTRIBUTE, io.citusmigrate.ddl.Statement.Step.KEYS,
                io.citusmigrate.ddl.Statement.Step.INDEXES, io.citusmigrate.ddl.Statement.Step.POST_DATA, io.citusmigrate.ddl.Statement.Step.ACCESS);
        // a table created in a schema Citus already distributes is distributed by Citus as it is created, and its
        // sequences with it: Citus then refuses OWNED BY ("Altering a distributed sequence"), which only the
        // coordinator needs (pg_get_serial_sequence, DROP TABLE); it is set there alone, after the table
        List<io.citusmigrate.ddl.Statement> owners = List.of();
        if (t.kind() == TablePlan.Kind.SCHEMA && distributedSchema(target, t.target().schema())) {
            steps.remove(io.citusmigrate.ddl.Statement.Step.DISTRIBUTE);
            owners = script.stream().filter(s -> s.what().startsWith("sequence owner ")).toList();
            script = script.stream().filter(s -> !s.what().startsWith("sequence owner ")).toList();
        }
        new io.citusmigrate.ddl.SchemaCreator(target, line -> { }).run(script, steps, false);
        List<io.citusmigrate.ddl.Statement> ownedBy = owners;
        if (!ownedBy.isEmpty()) {
            io.citusmigrate.db.Databases.inTransaction(target, () -> {
                try (Statement s = target.createStatement()) {
                    s.execute("SET LOCAL citus.enable_ddl_propagation = off");
                    for (io.citusmigrate.ddl.Statement o : ownedBy) s.execute(o.sql());
                }
            });
        }
    }

    /**
     * A partition created on the source while streaming, of a partitioned table the plan takes:
     * created on the target as a partition of its parent there (Citus distributes it with its
     * parent). Its rows stream through the parent (the publication publishes through the root).
     */
    private static Replanned createPartition(Change ch, Plan plan, Plan now, io.citusmigrate.catalog.Catalog catalog, TablePlan t,
                                             Connection target, io.citusmigrate.load.LoadCommand cmd) throws SQLException {
        if (plan.tableByTarget(t.partitionOf()).isEmpty()) {
            throw notCarried(ch, "its parent " + t.partitionOf() + " is not a table the migration streams", cmd.file());
        }
        if (!exists(target, t.target().schema(), t.target().name())) {
            try (Statement s = target.createStatement()) {
                s.execute(io.citusmigrate.ddl.SchemaScript.createTable(t));
            }
        }
        return new Replanned(plan.withTableAdded(t, List.of()), catalog, "new partition carried to the target: " + t.target() + ", a partition of " + t.partitionOf()
                + "; its rows stream through it");
    }

    private static boolean distributedSchema(Connection target, String schema) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relname = 'pg_dist_schema' AND n.nspname = 'pg_catalog'");
             ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) return false; // not Citus
        }
        try (PreparedStatement ps = target.prepareStatement("SELECT 1 FROM pg_catalog.pg_dist_schema WHERE schemaid::pg_catalog.regnamespace::text = ?")) {
            ps.setString(1, Sql.ident(schema));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** The privileges, owners and row-level security of one table, and of its schema (a tenant schema new on the target). */
    private static io.citusmigrate.plan.AccessPlan accessOf(io.citusmigrate.plan.AccessPlan a, TablePlan t) {
        java.util.function.Predicate<io.citusmigrate.catalog.Access.ObjectKind> schema = k -> k == io.citusmigrate.catalog.Access.ObjectKind.SCHEMA;
        return new io.citusmigrate.plan.AccessPlan(List.of(), List.of(), a.owners().stream().filter(o -> t.target().equals(o.object())
                        || schema.test(o.kind()) && t.target().schema().equals(o.schema())).toList(),
                a.privileges().stream().filter(p -> t.target().equals(p.object()) || schema.test(p.kind()) && t.target().schema().equals(p.schema())).toList(),
                List.of(),
                a.rowSecurity().stream().filter(r -> t.target().equals(r.table())).toList(),
                a.policies().stream().filter(p -> t.target().equals(p.table())).toList(), List.of(), a.rolesChecked());
    }

    /**
     * Carries one captured change to the target; returns what it did, one line (empty when there
     * was nothing left to do: a change read again after a restart). Throws {@link NotCarried}
     * for a change this version cannot carry while streaming.
     */
    public static String carry(String content, Plan plan, Connection target, io.citusmigrate.load.LoadCommand cmd) throws SQLException {
        String file = cmd.file();
        Change ch = Change.of(content);
        // a serial column's sequence, made and owned by the CREATE TABLE it belongs to: that table's carry makes it
        if ("sequence".equals(ch.type()) && CREATES_TABLE.matcher(ch.query()).find()) return "";
        // an identity or serial column's sequence, made by the ALTER TABLE that adds the column: that command's message decides
        if ("sequence".equals(ch.type()) && ALTERS_TABLE.matcher(ch.query()).find()) return "";
        if ("index".equals(ch.type()) && ch.tag().equals("CREATE INDEX")) return createIndex(ch, plan, target, cmd);
        if ("index".equals(ch.type()) && ch.tag().equals("DROP INDEX")) return dropIndex(ch, plan, target);
        // no row changes with them: the target takes the source's state as it is now
        if (AccessChanges.TAGS.contains(ch.tag())) return accessSynced(ch, plan, target, cmd);
        TablePlan t = table(plan, ch);
        if (t == null && ch.tag().equals("ALTER TABLE") && ("table".equals(ch.type()) || "table column".equals(ch.type()))) {
            return notMigrated(ch, ch.type().equals("table") ? ch.identity() : ch.identity().substring(0, ch.identity().lastIndexOf('.')), target, cmd);
        }
        if (t == null || !ch.tag().equals("ALTER TABLE")) throw notCarried(ch, null, file);
        String done = alter(ch, t, t, List.of(), target, cmd, plan.sequences());
        if (!OWNER.matcher(ch.query()).find()) return done;
        String owners = accessSynced(ch, plan, target, cmd);
        return done.isEmpty() ? owners : done + "; " + owners;
    }

    /**
     * The target's privileges, owners, row-level security and policies made the source's (see
     * {@link AccessChanges}), unless the plan made now refuses something (a role or a privilege
     * the target lacks): then the stream stops on the change, naming it.
     */
    private static String accessSynced(Change ch, Plan plan, Connection target, io.citusmigrate.load.LoadCommand cmd) throws SQLException {
        Plan now = AccessChanges.planNow(target, cmd);
        if (!now.ok()) throw notCarried(ch, now.errors().stream().map(io.citusmigrate.plan.PlanIssue::message).collect(Collectors.joining("; ")), cmd.file());
        return AccessChanges.sync(plan, now, target);
    }

    /**
     * A change of a table in a migrated schema that the migration does not take (the command
     * file's rules leave it out): passed over, said in one line, as long as the plan made now
     * still leaves it out. A change that brings it into the plan (its rows were never streamed)
     * stops the stream.
     */
    private static String notMigrated(Change ch, String table, Connection target, io.citusmigrate.load.LoadCommand cmd) throws SQLException {
        Plan now = AccessChanges.planNow(target, cmd);
        boolean taken = ch.oid() > 0 && "table".equals(ch.type()) ? now.tables().stream().anyMatch(x -> x.source().oid() == ch.oid())
                : table(now, table) != null;
        if (taken) {
            throw notCarried(ch, "with it the plan takes " + table + ", which the migration left out, so its rows were never streamed", cmd.file());
        }
        return "schema change passed over: " + table + " is not migrated (the command file's rules leave it out)";
    }

    private static final java.util.regex.Pattern OWNER = java.util.regex.Pattern.compile("(?i)\\bowner\\s+to\\b");

    /**
     * An ALTER TABLE of a migrated table: the target's table (as {@code planned} took it) brought to
     * the table as the command left it on the source and as the plan {@code t} takes it, in one
     * transaction; {@code first} are actions that go before the others (a rename of the table).
     */
    private static String alter(Change ch, TablePlan planned, TablePlan t, List<String> first, Connection target, io.citusmigrate.load.LoadCommand cmd,
                                List<io.citusmigrate.catalog.Sequence> sequences) throws SQLException {
        String file = cmd.file();
        // rows that change table by these never pass through the WAL as row changes
        if (PARTITIONING.matcher(ch.query()).find()) {
            // undoing it is such a change too: only a new start copies the rows where they are now
            throw new NotCarried(prefix(ch, "attaching, detaching or inheriting moves rows without row changes") + " Start over to take it in"
                    + " with the schema: `citus-migrate cleanup " + file + "`, then `citus-migrate migrate " + file + "`", false);
        }
        // where the table is on the target now: under its old name until a rename is carried
        QualifiedName at = first.isEmpty() ? t.target() : planned.target();
        // what changed on the source since the plan was made, done to the target: the plan's own differences
        // between the two sides (casts, the added tenant key, NOT NULL on a distribution column) stay
        Map<String, Column> src = ch.columns();
        List<String> problems = new ArrayList<>();
        // a column keeps its number for life: the same number under another name is a rename, not a drop and an add
        List<String> renames = new ArrayList<>();
        Map<String, Column> before = columns(target, at.sql());
        Map<String, Column> tgt = new LinkedHashMap<>(before);
        for (Column c : src.values()) {
            io.citusmigrate.catalog.Column old = planned.source().columns().stream().filter(p -> p.num() == c.num()).findFirst().orElse(null);
            if (old == null || old.name().equals(c.name()) || !before.containsKey(old.name()) || before.containsKey(c.name())) continue;
            if (old.name().equals(t.distributionColumn())) problems.add("column " + old.name() + " is the tenant key, renamed to " + c.name());
            renames.add("RENAME COLUMN " + Sql.ident(old.name()) + " TO " + Sql.ident(c.name()));
            Column was = tgt.remove(old.name());
            tgt.put(c.name(), new Column(was.num(), c.name(), was.type(), was.defaultExpr(), was.notNull(), was.identity(), was.generated(), null, false, null));
        }
        List<String> actions = new ArrayList<>();
        List<ColumnBackfill.Fill> fills = new ArrayList<>();
        List<String> key = planned.source().primaryKey().map(io.citusmigrate.catalog.Constraint::columns).orElse(List.of());
        for (Column c : src.values()) {
            Column now = tgt.get(c.name());
            io.citusmigrate.catalog.Column was = planned.source().columns().stream().filter(p -> p.num() == c.num()).findFirst().orElse(null);
            if (now == null) {
                String problem = added(c, at, t, key.isEmpty() || !tgt.keySet().containsAll(key) ? null : key, target, actions, fills, sequences, cmd);
                if (problem != null) problems.add("column " + c.name() + " " + problem);
                continue;
            }
            String typeBefore = was != null ? was.type().sql() : now.type();
            String defaultBefore = was != null ? was.defaultExpr() : now.defaultExpr();
            boolean notNullBefore = was != null ? was.notNull() : now.notNull();
            if (!typeBefore.equals(c.type()) && !now.type().equals(c.type())) {
                String why = typeProblem(t, c, was);
                if (why != null) problems.add("column " + c.name() + " changed type (" + typeBefore + " to " + c.type() + "): " + why);
                // USING the cast PostgreSQL applies itself; the rows the source rewrote stream as updates only if changed
                else actions.add("ALTER COLUMN " + Sql.ident(c.name()) + " TYPE " + c.type() + " USING " + Sql.ident(c.name()) + "::" + c.type());
            }
            boolean defaultChanged = !java.util.Objects.equals(defaultBefore, c.defaultExpr()) && !java.util.Objects.equals(now.defaultExpr(), c.defaultExpr());
            if (defaultChanged && c.defaultExpr() != null && c.defaultExpr().contains("nextval(")) {
                problems.add("column " + c.name() + " got a sequence default (" + c.defaultExpr() + ")");
            } else if (defaultChanged) {
                actions.add("ALTER COLUMN " + Sql.ident(c.name()) + (c.defaultExpr() == null ? " DROP DEFAULT" : " SET DEFAULT " + c.defaultExpr()));
            }
            if (notNullBefore != c.notNull() && now.notNull() != c.notNull()) {
                actions.add("ALTER COLUMN " + Sql.ident(c.name()) + (c.notNull() ? " SET" : " DROP") + " NOT NULL");
            }
        }
        for (Column c : tgt.values()) {
            // not on the source any more (dropped since the plan, or added and dropped while streaming); the tenant key
            // the plan added is the one column only the target has
            boolean addedKey = t.tenantColumnAdded() && c.name().equals(t.distributionColumn());
            if (!src.containsKey(c.name()) && !addedKey) actions.add("DROP COLUMN " + Sql.ident(c.name()));
        }
        constraintChanges(ch, t, at, target, actions, problems);
        securityChanges(ch, at, target, actions);
        if (!problems.isEmpty()) throw notCarried(ch, String.join("; ", problems), file);
        List<String> done = new ArrayList<>(first);
        done.addAll(renames);
        done.addAll(actions);
        if (done.isEmpty()) return "";
        Map<String, String> keyTypes = new LinkedHashMap<>();
        key.forEach(k -> keyTypes.put(k, tgt.containsKey(k) ? tgt.get(k).type() : null));
        long[] filled = {0};
        // all of it or none: a rename is a statement of its own
        // Citus takes ADD CONSTRAINT only as the one subcommand of its ALTER TABLE; after the fills, so that a key on a
        // column just added holds its values
        List<String> together = actions.stream().filter(a -> !a.startsWith("ADD CONSTRAINT ")).toList();
        List<String> alone = actions.stream().filter(a -> a.startsWith("ADD CONSTRAINT ")).toList();
        io.citusmigrate.db.Databases.inTransaction(target, () -> {
            try (Statement s = target.createStatement()) {
                for (String f : first) s.execute("ALTER TABLE " + at.sql() + " " + f);
                for (String r : renames) s.execute("ALTER TABLE " + t.target().sql() + " " + r);
                if (!together.isEmpty()) s.execute("ALTER TABLE " + t.target().sql() + " " + String.join(", ", together));
            }
            if (!fills.isEmpty()) {
                try (Connection source = io.citusmigrate.db.Databases.connect("source", cmd.source())) {
                    for (ColumnBackfill.Fill f : fills) filled[0] += ColumnBackfill.run(f, t.target(), key, keyTypes, planned.source().oid(), source, target);
                }
            }
            try (Statement s = target.createStatement()) {
                for (String a : alone) s.execute("ALTER TABLE " + t.target().sql() + " " + a);
            }
        });
        String said = fills.isEmpty() ? "" : "; " + fills.stream().map(ColumnBackfill.Fill::column).collect(Collectors.joining(", "))
                + " filled from the source (" + filled[0] + " values)" + (src.values().stream().anyMatch(c -> c.identity() && !before.containsKey(c.name()))
                ? "; an identity column there, a column whose default is a sequence it owns here (Citus adds no identity column to a"
                + " distributed table), which the cutover sets" : "");
        return "schema change carried to " + t.target() + ": " + String.join(", ", done) + said;
    }

    /**
     * A column added on the source, added to the target with what the existing rows hold there:
     * a generated column computes it again from the row; a default PostgreSQL evaluated once
     * (now(), a constant) is added as the value the rows took, then set as the default; a default
     * evaluated for each row (random(), a sequence, an identity) gave values that never pass
     * through the WAL, so they are read from the source by the table's primary key
     * ({@link ColumnBackfill}; refused when there is none and the table has rows). Returns why
     * not, or null.
     */
    private static String added(Column c, QualifiedName at, TablePlan t, List<String> key, Connection target, List<String> actions,
                                List<ColumnBackfill.Fill> fills, List<io.citusmigrate.catalog.Sequence> sequences,
                                io.citusmigrate.load.LoadCommand cmd) throws SQLException {
        String add = "ADD COLUMN " + Sql.ident(c.name()) + " " + c.type();
        String notNull = c.notNull() ? " NOT NULL" : "";
        if (c.generated()) {
            actions.add(add + " GENERATED ALWAYS AS (" + c.generation() + ") STORED");
            return null;
        }
        if (!c.hasMissing() && c.defaultExpr() != null && !c.identity() && t.source().isPartitioned()) {
            // a partitioned table keeps no rows, so no value its rows took: its partitions' is the one (a default PostgreSQL
            // evaluated once), or there is none (evaluated for each row)
            try (Connection source = io.citusmigrate.db.Databases.connect("source", cmd.source())) {
                c = partitionsMissing(source, t.source().oid(), c);
            }
        }
        if (c.hasMissing()) {
            actions.add(add + " DEFAULT " + (c.missing() == null ? "NULL" : Sql.literal(c.missing()) + "::" + c.type()) + notNull);
            actions.add("ALTER COLUMN " + Sql.ident(c.name()) + " SET DEFAULT " + c.defaultExpr());
            return null;
        }
        boolean serial = c.defaultExpr() != null && c.defaultExpr().contains("nextval(");
        if (!c.identity() && c.defaultExpr() == null) {
            actions.add(add + notNull);
            return null;
        }
        if (key == null && hasRows(target, at)) {
            return (c.identity() ? "is an identity column" : "has a default (" + c.defaultExpr() + ") the source evaluated for each row")
                    + ": the values it gave the existing rows do not pass through the WAL, and without a primary key they cannot be read"
                    + " from the source row by row";
        }
        io.citusmigrate.catalog.Sequence planned = null;
        String sequence = null;
        if (c.identity() || serial) {
            try (Connection source = io.citusmigrate.db.Databases.connect("source", cmd.source())) {
                sequence = ColumnBackfill.ownedSequence(source, t.source().oid(), c.num());
            }
            if (sequence == null) return "has a sequence default (" + c.defaultExpr() + ") of a sequence the column does not own";
            String name = sequence;
            planned = sequences.stream().filter(q -> q.name().name().equals(name) && t.target().equals(q.ownedByTable())).findFirst().orElse(null);
            if (serial && planned == null) return "has a sequence default (" + c.defaultExpr() + ") the plan made now does not take";
        }
        QualifiedName seq = planned != null ? planned.name() : sequence != null ? new QualifiedName(at.schema(), sequence) : null;
        String create = planned != null ? io.citusmigrate.ddl.SchemaScript.sequence(planned)
                : seq != null ? "CREATE SEQUENCE IF NOT EXISTS " + seq.sql() + " AS " + c.type() : null;
        actions.add(add);
        fills.add(new ColumnBackfill.Fill(c.num(), c.name(), c.type(), c.defaultExpr(), c.notNull() || c.identity(), seq, create));
        return null;
    }

    /** A partitioned table's column as its first partition that has a value its existing rows took has it; else as it is. */
    private static Column partitionsMissing(Connection source, long parent, Column c) throws SQLException {
        try (PreparedStatement ps = source.prepareStatement("SELECT (a.attmissingval::text::text[])[1] FROM pg_catalog.pg_partition_tree(?::oid::regclass) p"
                + " JOIN pg_catalog.pg_attribute a ON a.attrelid = p.relid AND a.attname = ? AND NOT a.attisdropped WHERE p.isleaf AND a.atthasmissing"
                + " ORDER BY p.level, p.relid LIMIT 1")) {
            ps.setLong(1, parent);
            ps.setString(2, c.name());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return c;
                return new Column(c.num(), c.name(), c.type(), c.defaultExpr(), c.notNull(), c.identity(), c.generated(), c.generation(), true,
                        rs.getString(1));
            }
        }
    }

    private static boolean hasRows(Connection target, QualifiedName table) throws SQLException {
        try (Statement s = target.createStatement(); ResultSet rs = s.executeQuery("SELECT EXISTS (SELECT 1 FROM " + table.sql() + ")")) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    /** Why a column's new type cannot be carried, or null: the tenant key, a type the plan casts, or a user-defined type. */
    private static String typeProblem(TablePlan t, Column c, io.citusmigrate.catalog.Column was) {
        if (c.name().equals(t.distributionColumn())) return "it is the tenant key";
        if (was != null) {
            String planned = t.columns().stream().filter(x -> x.name().equals(was.name())).map(x -> x.type().sql()).findFirst().orElse(was.type().sql());
            if (!planned.equals(was.type().sql())) return "the plan casts it to " + planned;
        }
        if (c.type().contains(".") || c.type().contains("\"")) return "a user-defined type";
        return null;
    }

    private static final java.util.regex.Pattern CREATES_TABLE = java.util.regex.Pattern.compile("(?i)\\bcreate\\s+table\\b");
    private static final java.util.regex.Pattern ALTERS_TABLE = java.util.regex.Pattern.compile("(?i)\\balter\\s+table\\b");

    private static final java.util.regex.Pattern PARTITIONING =
            java.util.regex.Pattern.compile("(?i)\\b(attach\\s+partition|detach\\s+partition|no\\s+inherit|inherit)\\b");

    /**
     * The table's constraints follow the source, by name: CHECK constraints as the source has
     * them; unique and exclusion constraints as the plan {@code t} takes them (with the tenant
     * key), primary keys too (the stream's sink goes on with the plan that has them); foreign keys
     * dropped here, added at the cutover with the others (by the plan).
     */
    private static void constraintChanges(Change ch, TablePlan t, QualifiedName at, Connection target, List<String> actions, List<String> problems)
            throws SQLException {
        if (!ch.constraints().isArray() && !ch.constraints().isNull()) return; // an older message, without them
        Map<String, String> checks = new LinkedHashMap<>();
        Map<String, Character> keys = new LinkedHashMap<>();
        for (JsonNode k : ch.constraints()) {
            char type = k.path("type").asText().charAt(0);
            if (type == 'c') checks.put(k.path("name").asText(), k.path("definition").asText());
            else keys.put(k.path("name").asText(), type);
        }
        Map<String, Character> onTarget = new LinkedHashMap<>();
        Map<String, List<String>> targetColumns = new LinkedHashMap<>();
        try (PreparedStatement ps = target.prepareStatement("SELECT k.conname, k.contype, ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY"
                + " u(attnum, n) JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum ORDER BY u.n)::text[]"
                + " FROM pg_catalog.pg_constraint k WHERE k.conrelid = ?::regclass AND k.contype IN ('c', 'p', 'u', 'f', 'x')")) {
            ps.setString(1, at.sql());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    onTarget.put(rs.getString(1), rs.getString(2).charAt(0));
                    targetColumns.put(rs.getString(1), List.of((String[]) rs.getArray(3).getArray()));
                }
            }
        }
        checks.forEach((name, def) -> {
            if (!onTarget.containsKey(name)) actions.add("ADD CONSTRAINT " + Sql.ident(name) + " " + def);
        });
        keys.forEach((name, type) -> {
            if (type == 'f') return; // a foreign key: at the cutover
            if (onTarget.containsKey(name)) {
                // the same name over other columns (a primary key dropped and added again in one statement): made again
                t.constraints().stream().filter(k -> k.name().equals(name) && (type == 'p' || type == 'u') && !k.columns().equals(targetColumns.get(name)))
                        .findFirst().ifPresent(k -> {
                            actions.add("DROP CONSTRAINT " + Sql.ident(name));
                            actions.add("ADD CONSTRAINT " + Sql.ident(name) + " " + k.definition());
                        });
                return;
            }
            t.constraints().stream().filter(k -> k.name().equals(name)).findFirst().ifPresentOrElse(
                    k -> actions.add("ADD CONSTRAINT " + Sql.ident(name) + " " + k.definition()),
                    () -> problems.add("constraint " + name + " is not in the plan made now"));
        });
        onTarget.forEach((name, type) -> {
            if (type == 'c' ? checks.containsKey(name) : keys.containsKey(name)) return;
            actions.add("DROP CONSTRAINT " + Sql.ident(name));
        });
    }

    /** Row-level security switched on or off, forced or not: the target's follows (its policies are their own commands). */
    private static void securityChanges(Change ch, QualifiedName at, Connection target, List<String> actions) throws SQLException {
        if (!ch.security().isObject()) return;
        try (PreparedStatement ps = target.prepareStatement("SELECT relrowsecurity, relforcerowsecurity FROM pg_catalog.pg_class WHERE oid = ?::regclass")) {
            ps.setString(1, at.sql());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return;
                boolean enabled = ch.security().path("enabled").asBoolean();
                boolean forced = ch.security().path("forced").asBoolean();
                if (enabled != rs.getBoolean(1)) actions.add((enabled ? "ENABLE" : "DISABLE") + " ROW LEVEL SECURITY");
                if (forced != rs.getBoolean(2)) actions.add((forced ? "FORCE" : "NO FORCE") + " ROW LEVEL SECURITY");
            }
        }
    }

    /**
     * An index created on the source, as the command made it, on the target table by the plan's
     * rules: under the plan's index name, and a unique index on a distributed table with the
     * tenant key as its first key (unique per tenant, which Citus can enforce). One the target has
     * already (the change read again after a restart) is left.
     */
    private static String createIndex(Change ch, Plan plan, Connection target, io.citusmigrate.load.LoadCommand cmd) throws SQLException {
        TablePlan t = ch.table() == null ? null : table(plan, ch.table());
        if (t == null && ch.table() != null) return notMigrated(ch, ch.table(), target, cmd);
        if (t == null || ch.index().isMissingNode() || ch.index().isNull()) throw notCarried(ch, "an index on a table the plan does not know", cmd.file());
        String name = ch.identity().substring(ch.identity().lastIndexOf('.') + 1).replace("\"", "");
        if ("uniquify".equals(cmd.options().string(io.citusmigrate.load.Option.INDEX_NAMES))) name = "idx_" + t.source().oid() + "_" + name;
        String definition = ch.index().path("definition").asText();
        boolean unique = ch.index().path("unique").asBoolean();
        List<String> keys = new ArrayList<>();
        ch.index().path("keys").forEach(k -> keys.add(k.asText()));
        // PostgreSQL's rendering: CREATE [UNIQUE] INDEX name ON [ONLY] table USING method (keys) [INCLUDE ...] [WHERE ...]
        int using = definition.indexOf(" USING ");
        if (using < 0) throw notCarried(ch, "its definition could not be read (" + definition + ")", cmd.file());
        String rest = definition.substring(using);
        boolean extend = unique && t.distributionColumn() != null && !keys.contains(t.distributionColumn());
        if (extend) {
            int open = rest.indexOf('(');
            rest = rest.substring(0, open + 1) + Sql.ident(t.distributionColumn()) + ", " + rest.substring(open + 1);
        }
        if (exists(target, t.target().schema(), name)) return "";
        try (Statement s = target.createStatement()) {
            s.execute("CREATE " + (unique ? "UNIQUE " : "") + "INDEX " + Sql.ident(name) + " ON " + t.target().sql() + rest);
        }
        return "schema change carried to " + t.target() + ": index " + name + " created"
                + (extend ? " (unique per tenant: " + t.distributionColumn() + " is its first key)" : "");
    }

    /** An index dropped on the source: dropped on the target, under its name there (in the schema its table went to). */
    private static String dropIndex(Change ch, Plan plan, Connection target) throws SQLException {
        String schema = ch.schema();
        String name = ch.identity().substring(ch.identity().lastIndexOf('.') + 1).replace("\"", "");
        String targetSchema = plan.tables().stream().filter(t -> t.source().name().schema().equals(schema)).map(t -> t.target().schema())
                .findFirst().orElse(null);
        if (targetSchema == null) return "";
        // its name there: the source's, or with `index names uniquify` idx_<table oid>_<name>
        java.util.regex.Pattern uniquified = java.util.regex.Pattern.compile("idx_[0-9]+_" + java.util.regex.Pattern.quote(name));
        String dropped = null;
        try (PreparedStatement ps = target.prepareStatement("SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                + " ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind IN ('i', 'I')"
                + " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = c.oid)")) {
            ps.setString(1, targetSchema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next() && dropped == null) {
                    String n = rs.getString(1);
                    if (n.equals(name) || uniquified.matcher(n).matches()) dropped = n;
                }
            }
        }
        if (dropped == null) return ""; // dropped already (read again after a restart)
        try (Statement s = target.createStatement()) {
            s.execute("DROP INDEX " + Sql.ident(targetSchema) + "." + Sql.ident(dropped));
        }
        return "schema change carried: index " + targetSchema + "." + dropped + " dropped";
    }

    private static boolean exists(Connection target, String schema, String index) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                + " ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?")) {
            ps.setString(1, schema);
            ps.setString(2, index);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /**
     * Tenant schemas consolidated into one set of tables take one schema change while streaming: a
     * tenant schema's table created (a tenant signing up, its schema's tables one after the other),
     * with the sequences its CREATE TABLE makes (empty: carried as a table change) and the keys and
     * indexes it makes (passed over: the consolidated table has the first tenant's), and the types
     * a new tenant schema creates, alike to the other tenants' (passed over, said in the line
     * returned: the consolidated tables have the first tenant's). Any other is not carried yet.
     */
    public static java.util.Optional<String> consolidated(String content, Plan plan, io.citusmigrate.load.LoadCommand cmd) throws SQLException {
        if (plan.consolidation() == null) return java.util.Optional.empty();
        Change ch = Change.of(content);
        if (plan.consolidation().databases()) {
            // this stream's plan holds its own database's shares alone
            if ("ALTER TABLE".equals(ch.tag()) && !CREATES_TABLE.matcher(ch.query()).find() && share(plan, ch, null) != null) return java.util.Optional.empty();
            if (tenantIndex(ch) && !CREATES_TABLE.matcher(ch.query()).find()) return java.util.Optional.empty();
            throw new NotCarried(prefix(ch, "tenant databases consolidated into one set of tables take no schema change while streaming yet but"
                    + " their tables' columns, defaults, NOT NULL, CHECK and UNIQUE constraints and indexes")
                    + " Undo it on the source and start over (`citus-migrate cleanup " + cmd.file() + "`, then `citus-migrate migrate " + cmd.file()
                    + "`), or make it after the cutover", false);
        }
        // a change outside the tenant schemas (a shared table's) takes the usual way
        boolean tenantSchema = plan.consolidation().isTenantSchema(ch.schema());
        if (!tenantSchema) return java.util.Optional.empty();
        if (tenantSchema && ("CREATE TABLE".equals(ch.tag()) || "DROP TABLE".equals(ch.tag())) && "table".equals(ch.type())) return java.util.Optional.empty();
        if (tenantSchema && "ALTER TABLE".equals(ch.tag()) && !CREATES_TABLE.matcher(ch.query()).find() && share(plan, ch, ch.schema()) != null) {
            return java.util.Optional.empty();
        }
        if (tenantSchema && "sequence".equals(ch.type()) && CREATES_TABLE.matcher(ch.query()).find()) return java.util.Optional.empty();
        if (tenantIndex(ch) && !CREATES_TABLE.matcher(ch.query()).find()) return java.util.Optional.empty();
        // what else its CREATE TABLE makes (its keys' indexes, its foreign keys): the consolidated table has the first tenant's
        if (tenantSchema && CREATES_TABLE.matcher(ch.query()).find() && !"CREATE TYPE".equals(ch.tag())) return java.util.Optional.of("");
        if (tenantSchema && "CREATE TYPE".equals(ch.tag()) && plan.consolidation().tenant(ch.schema()).isEmpty()) {
            String first = plan.consolidation().tenants().get(0).name();
            String name = ch.identity().substring(ch.identity().lastIndexOf('.') + 1);
            try (Connection source = io.citusmigrate.db.Databases.connect("source", cmd.source());
                 PreparedStatement ps = source.prepareStatement("SELECT pg_catalog.format_type(t.oid, NULL), (SELECT pg_catalog.array_agg(e.enumlabel"
                         + " ORDER BY e.enumsortorder)::text FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid), t.typtype FROM pg_catalog.pg_type t"
                         + " JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = ? AND t.typname = ?")) {
                String[] mine = type(ps, ch.schema(), name.replace("\"", ""));
                String[] theirs = type(ps, first, name.replace("\"", ""));
                if (mine != null && theirs != null && java.util.Objects.equals(mine[1], theirs[1]) && mine[2].equals(theirs[2])
                        && ("e".equals(mine[2]) || "d".equals(mine[2]))) {
                    return java.util.Optional.of("new tenant schema's type " + ch.identity() + " passed over: alike to " + first + "'s, which the"
                            + " consolidated tables use");
                }
                throw notCarried(ch, theirs == null ? "the tenant schema " + first + " has no such type" : "it differs from " + first + "'s",
                        cmd.file());
            }
        }
        throw notCarried(ch, "the tenant schemas are consolidated into one set of tables, which takes no schema change while streaming yet"
                + " but a table created in a tenant schema", cmd.file());
    }

    /** The share of a consolidated table a change names: its table, by oid or by name, among one tenant's shares (any tenant's: null). */
    private static TablePlan share(Plan plan, Change ch, String tenant) {
        String table = "table column".equals(ch.type()) ? ch.identity().substring(0, ch.identity().lastIndexOf('.')) : ch.identity();
        // a tenant database's oids and names are every database's: its own shares alone are looked at
        return plan.consolidation().shares().stream().filter(x -> tenant == null || tenant.equals(x.tenantName()))
                .filter(x -> ch.oid() > 0 && x.source().oid() == ch.oid() || named(x, table)).findFirst().orElse(null);
    }

    /**
     * A tenant schema's table altered, its schema change rolled out to the tenants one after the
     * other: a column added (no default, a constant one, or generated) is added to the
     * consolidated table by the first tenant that adds it, its default giving every tenant's rows
     * their value; a later tenant adding the same column (type, default, NOT NULL alike) finds it
     * there, its rows holding what its own ADD gave them. Anything else (a column dropped,
     * renamed or changed, a default evaluated for each row, keys or constraints changed) is not
     * carried yet. While some tenants have the column and others not, the tenant schemas differ:
     * the cutover refuses until every tenant has it.
     */
    private static Replanned consolidatedAlter(Change ch, Plan plan, io.citusmigrate.catalog.Catalog catalog, Connection target,
                                               io.citusmigrate.load.LoadCommand cmd, String tenant) throws SQLException {
        TablePlan share = share(plan, ch, tenant);
        if (share == null) throw notCarried(ch, "a table the consolidated tenant schemas do not share", cmd.file());
        if ("table".equals(ch.type()) && !named(share, ch.identity())) return tenantTableRenamed(ch, plan, catalog, target, cmd, share);
        Map<String, Column> tgt = columns(target, share.target().sql());
        List<String> actions = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        List<String> added = new ArrayList<>();
        List<String> there = new ArrayList<>();
        List<String> altered = new ArrayList<>(); // a default or NOT NULL changed: the target follows once every tenant agrees
        List<String> retyped = new ArrayList<>();
        List<String> renameFirst = new ArrayList<>(); // a renamed column's new name added to the target, before this tenant's values are copied
        List<String[]> renameCopies = new ArrayList<>(); // old name, new name: this tenant's values copied
        List<String> renamed = new ArrayList<>();
        for (Column c : ch.columns().values()) {
            io.citusmigrate.catalog.Column was = share.source().columns().stream().filter(p -> p.num() == c.num()).findFirst().orElse(null);
            Column now = tgt.get(c.name());
            if (was != null && !was.name().equals(c.name())) {
                // renamed: the new name is a column of its own on the target till the last tenant renames it, each tenant's values copied
                // into it with its rename; the old name is kept for the tenants that have it still, dropped with the last one's
                String refused = renameRefused(plan, share, was.name());
                Column old = tgt.get(was.name());
                if (refused != null || old == null || !was.type().sql().equals(c.type())) {
                    problems.add("column " + was.name() + " renamed to " + c.name() + (refused != null ? ", " + refused
                            : old == null ? ", which the target has not" : " and its type changed at once"));
                    continue;
                }
                if (now == null) {
                    renameFirst.add("ADD COLUMN " + Sql.ident(c.name()) + " " + old.type());
                    if (old.defaultExpr() != null) renameFirst.add("ALTER COLUMN " + Sql.ident(c.name()) + " SET DEFAULT " + old.defaultExpr());
                } else if (!now.type().equals(old.type())) {
                    problems.add("column " + was.name() + " renamed to " + c.name() + ", which the target has as " + now.type() + " already");
                    continue;
                }
                renameCopies.add(new String[] {was.name(), c.name()});
                long others = plan.consolidation().sharesOf(share.target()).stream()
                        .filter(o -> !java.util.Objects.equals(o.tenantValue(), share.tenantValue()) && o.source().column(was.name()).isPresent()).count();
                if (others == 0) {
                    if (old.notNull()) actions.add("ALTER COLUMN " + Sql.ident(c.name()) + " SET NOT NULL");
                    actions.add("DROP COLUMN " + Sql.ident(was.name()));
                    renamed.add(was.name() + " renamed to " + c.name() + " (the last tenant to rename it: " + was.name() + " dropped)");
                } else {
                    if (old.notNull()) actions.add("ALTER COLUMN " + Sql.ident(was.name()) + " DROP NOT NULL");
                    renamed.add(was.name() + " renamed to " + c.name() + " for this tenant, its values copied (" + was.name() + " kept for the " + others
                            + (others == 1 ? " tenant that has" : " tenants that have") + " it still)");
                }
                continue;
            }
            if (was != null) {
                if (!was.type().sql().equals(c.type())) {
                    // converted on the target with the first tenant's change: the other tenants' rows must convert too, else it stops here
                    boolean keyColumn = share.source().primaryKey().map(k -> k.columns().contains(c.name())).orElse(false);
                    if (keyColumn || c.type().contains(".") || c.type().contains("\"") || now == null) {
                        problems.add("column " + c.name() + " changed its type (" + was.type().sql() + " to " + c.type() + ")");
                    } else if (now.type().equals(c.type())) {
                        retyped.add(c.name() + ": type " + c.type() + " there already, changed alike for the tenants before");
                    } else {
                        actions.add("ALTER COLUMN " + Sql.ident(c.name()) + " TYPE " + c.type() + " USING " + Sql.ident(c.name()) + "::" + c.type());
                        retyped.add(c.name() + ": type changed to " + c.type() + " (every tenant's rows converted)");
                    }
                }
                if (!java.util.Objects.equals(was.defaultExpr(), c.defaultExpr()) || was.notNull() != c.notNull()) altered.add(c.name());
                continue;
            }
            if (now != null) {
                // added for a tenant before: alike, or this tenant's rows hold other values than the target gave them
                if (!now.type().equals(c.type()) || !java.util.Objects.equals(now.defaultExpr(), c.defaultExpr()) || now.notNull() != c.notNull()
                        || now.generated() != c.generated()) {
                    problems.add("column " + c.name() + " (" + c.type() + (c.defaultExpr() == null ? "" : " DEFAULT " + c.defaultExpr())
                            + (c.notNull() ? " NOT NULL" : "") + ") was added for the tenants before as " + now.type()
                            + (now.defaultExpr() == null ? "" : " DEFAULT " + now.defaultExpr()) + (now.notNull() ? " NOT NULL" : ""));
                } else {
                    there.add(c.name());
                }
                continue;
            }
            String add = "ADD COLUMN " + Sql.ident(c.name()) + " " + c.type();
            if (c.generated()) {
                actions.add(add + " GENERATED ALWAYS AS (" + c.generation() + ") STORED");
            } else if (c.hasMissing()) {
                actions.add(add + " DEFAULT " + (c.missing() == null ? "NULL" : Sql.literal(c.missing()) + "::" + c.type()) + (c.notNull() ? " NOT NULL" : ""));
                actions.add("ALTER COLUMN " + Sql.ident(c.name()) + " SET DEFAULT " + c.defaultExpr());
            } else if (c.identity() || c.defaultExpr() != null) {
                problems.add("column " + c.name() + " added with a default the source evaluated for each row (" + (c.identity() ? "identity" : c.defaultExpr())
                        + "), which consolidated tenant schemas do not take while streaming yet");
                continue;
            } else if (c.notNull()) {
                problems.add("column " + c.name() + " added NOT NULL without a default: the other tenants' rows would have no value");
                continue;
            } else {
                actions.add(add);
            }
            added.add(c.name());
        }
        // a column dropped: dropped on the target with the last tenant that has it; till then kept, NULL allowed for the tenants without it
        List<String> dropped = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        List<String> key = share.source().primaryKey().map(io.citusmigrate.catalog.Constraint::columns).orElse(List.of());
        for (io.citusmigrate.catalog.Column was : share.source().columns()) {
            if (ch.columns().values().stream().anyMatch(c -> c.num() == was.num())) continue;
            if (key.contains(was.name())) {
                problems.add("column " + was.name() + " of the primary key dropped");
                continue;
            }
            Column now = tgt.get(was.name());
            if (now == null) continue;
            long others = plan.consolidation().sharesOf(share.target()).stream()
                    .filter(o -> !java.util.Objects.equals(o.tenantValue(), share.tenantValue()) && o.source().column(was.name()).isPresent()).count();
            if (others == 0) {
                actions.add("DROP COLUMN " + Sql.ident(was.name()));
                dropped.add(was.name());
            } else {
                if (now.notNull()) actions.add("ALTER COLUMN " + Sql.ident(was.name()) + " DROP NOT NULL");
                kept.add(was.name() + " (kept for the " + others + " tenant" + (others == 1 ? "" : "s") + " that have it still)");
            }
        }
        // CHECK and UNIQUE constraints rolled out one tenant after the other: the rest of the keys must stay as planned
        Map<String, JsonNode> constraints = new java.util.TreeMap<>();
        for (JsonNode k : ch.constraints()) constraints.put(k.path("name").asText(), k);
        Map<String, io.citusmigrate.catalog.Constraint> planned = new java.util.TreeMap<>();
        share.source().constraints().forEach(k -> planned.put(k.name(), k));
        java.util.Set<String> plannedKeys = new java.util.TreeSet<>(planned.keySet());
        share.source().foreignKeys().forEach(k -> plannedKeys.add(k.name()));
        List<io.citusmigrate.catalog.Constraint> keptConstraints = new ArrayList<>(share.source().constraints());
        List<JsonNode> addedConstraints = new ArrayList<>();
        List<io.citusmigrate.catalog.Constraint> droppedConstraints = new ArrayList<>();
        // foreign keys of a tenant schema's table (the tenant databases' are not carried yet): kept per share, the consolidated table's at the cutover
        List<String> addedKeys = new ArrayList<>();
        List<String> droppedKeys = new ArrayList<>();
        boolean schemas = !plan.consolidation().databases();
        if (ch.constraints().isArray()) {
            for (var e : constraints.entrySet()) {
                if (plannedKeys.contains(e.getKey())) continue;
                String type = e.getValue().path("type").asText();
                if ("f".equals(type) && schemas) addedKeys.add(e.getKey());
                else if (!"c".equals(type) && !"u".equals(type)) problems.add("constraint " + e.getKey() + " added (" + e.getValue().path("definition").asText() + ")");
                else addedConstraints.add(e.getValue());
            }
            for (String name : plannedKeys) {
                if (constraints.containsKey(name)) continue;
                io.citusmigrate.catalog.Constraint was = planned.get(name);
                if (was == null && schemas && share.source().foreignKeys().stream().anyMatch(k -> k.name().equals(name))) {
                    droppedKeys.add(name);
                } else if (was == null || was.kind() != io.citusmigrate.catalog.Constraint.Kind.CHECK && was.kind() != io.citusmigrate.catalog.Constraint.Kind.UNIQUE) {
                    problems.add("constraint " + name + " dropped");
                } else {
                    droppedConstraints.add(was);
                }
            }
        }
        // an added foreign key as the source has it now, on this tenant's table and (once every tenant has it) on the consolidated table
        Plan keysNow = addedKeys.isEmpty() ? null : planWhileStreaming(target, cmd);
        TablePlan shareNow = keysNow == null ? null : share(keysNow, ch, tenant);
        List<io.citusmigrate.catalog.ForeignKey> keptKeys = new ArrayList<>(share.source().foreignKeys());
        keptKeys.removeIf(k -> droppedKeys.contains(k.name()));
        for (String name : addedKeys) {
            io.citusmigrate.catalog.ForeignKey k = shareNow == null ? null : shareNow.source().foreignKeys().stream().filter(x -> x.name().equals(name))
                    .findFirst().orElse(null);
            if (k == null) problems.add("foreign key " + name + " added, and dropped again since");
            else keptKeys.add(k);
        }
        for (JsonNode k : addedConstraints) {
            boolean unique = "u".equals(k.path("type").asText());
            keptConstraints.add(new io.citusmigrate.catalog.Constraint(k.path("name").asText(), unique ? io.citusmigrate.catalog.Constraint.Kind.UNIQUE
                    : io.citusmigrate.catalog.Constraint.Kind.CHECK, List.of(), k.path("definition").asText(), false, false));
        }
        keptConstraints.removeAll(droppedConstraints);
        if (!problems.isEmpty()) {
            throw notCarried(ch, String.join("; ", problems) +  " in a consolidated tenant schema (columns added alike for every tenant, columns"
                    + " dropped, defaults, NOT NULL, CHECK and UNIQUE constraints and foreign keys changed are carried while streaming)", cmd.file());
        }
        // the share as the stream has it from here on: which tenants still have a column decides when the target drops it
        List<io.citusmigrate.catalog.Column> columns = new ArrayList<>();
        for (Column c : ch.columns().values()) {
            io.citusmigrate.catalog.Column was = share.source().columns().stream().filter(p -> p.num() == c.num()).findFirst().orElse(null);
            columns.add(was != null ? new io.citusmigrate.catalog.Column(was.num(), c.name(), was.type().sql().equals(c.type()) ? was.type()
                    : io.citusmigrate.catalog.TypeRef.builtin(c.type()), c.defaultExpr(), c.notNull(), was.identity(),
                    was.generated(), was.collation(), was.comment())
                    : new io.citusmigrate.catalog.Column(c.num(), c.name(), io.citusmigrate.catalog.TypeRef.builtin(c.type()), c.defaultExpr(),
                            c.notNull(), c.identity() ? 'd' : (char) 0, c.generated() ? c.generation() : null, null, null));
        }
        Plan next = plan.withShareReplaced(share.forTenant(share.source().withColumns(List.copyOf(columns)).withConstraints(List.copyOf(keptConstraints))
                .withForeignKeys(List.copyOf(keptKeys)), share.tenantValue(), share.tenantName()));
        // a foreign key joins the consolidated table once every tenant has it (their rows all satisfy it then), and leaves it with the
        // first tenant's drop; like every foreign key of a live migration, the target gets it at the cutover
        List<String> keysSaid = new ArrayList<>();
        TablePlan ct = next.tableByTarget(share.target()).orElseThrow();
        List<io.citusmigrate.catalog.ForeignKey> ctKeys = new ArrayList<>(ct.foreignKeys());
        for (String name : addedKeys) {
            long without = next.consolidation().sharesOf(share.target()).stream()
                    .filter(o -> o.source().foreignKeys().stream().noneMatch(x -> x.name().equals(name))).count();
            io.citusmigrate.catalog.ForeignKey k = keysNow.tableByTarget(share.target()).flatMap(t -> t.foreignKeys().stream()
                    .filter(x -> x.name().equals(name)).findFirst()).orElse(null);
            if (ctKeys.stream().anyMatch(x -> x.name().equals(name))) {
                keysSaid.add("foreign key " + name + " there already");
            } else if (without > 0 || k == null) {
                keysSaid.add("foreign key " + name + " not added yet (" + without + " tenant" + (without == 1 ? "" : "s") + " without it)");
            } else {
                ctKeys.add(k);
                keysSaid.add("foreign key " + name + " planned (every tenant has it: " + io.citusmigrate.ddl.SchemaScript.foreignKeyText(k)
                        + ", added at the cutover)");
            }
        }
        for (String name : droppedKeys) {
            if (ctKeys.removeIf(x -> x.name().equals(name))) keysSaid.add("foreign key " + name + " dropped (with the first tenant that drops it)");
            else keysSaid.add("foreign key " + name + " dropped for this tenant");
        }
        if (!addedKeys.isEmpty() || !droppedKeys.isEmpty()) next = next.withTable(ct.source().oid(), ct.withForeignKeys(ctKeys));
        List<String> follows = new ArrayList<>();
        // a constraint reaches the target once every tenant has it (their rows all satisfy it then), and leaves it with the first tenant's drop
        List<String> constraintSaid = new ArrayList<>();
        List<String> constraintActions = new ArrayList<>(); // one statement each: Citus takes a constraint's ADD or DROP alone
        for (JsonNode k : addedConstraints) {
            String name = k.path("name").asText();
            long without = next.consolidation().sharesOf(share.target()).stream()
                    .filter(o -> o.source().constraints().stream().noneMatch(x -> x.name().equals(name))).count();
            if (constraintExists(target, share.target(), name)) {
                constraintSaid.add("constraint " + name + " there already");
            } else if (without > 0) {
                constraintSaid.add("constraint " + name + " not added yet (" + without + " tenant" + (without == 1 ? "" : "s") + " without it)");
            } else {
                String def = k.path("definition").asText();
                if ("u".equals(k.path("type").asText())) def = io.citusmigrate.plan.Planner.replaceFirstGroup(def, Sql.ident(next.consolidation().tenantKey())
                        + ", " + def.substring(def.indexOf('(') + 1, def.indexOf(')')));
                constraintActions.add("ADD CONSTRAINT " + Sql.ident(name) + " " + def);
                constraintSaid.add("constraint " + name + " added (every tenant has it" + ("u".equals(k.path("type").asText()) ? "; unique per tenant" : "") + ")");
            }
        }
        for (io.citusmigrate.catalog.Constraint k : droppedConstraints) {
            if (constraintExists(target, share.target(), k.name())) {
                constraintActions.add("DROP CONSTRAINT " + Sql.ident(k.name()));
                constraintSaid.add("constraint " + k.name() + " dropped (with the first tenant that drops it)");
            } else {
                constraintSaid.add("constraint " + k.name() + " dropped for this tenant");
            }
        }
        for (String name : altered) {
            // every tenant's column as the stream has it now, this tenant's change included
            List<io.citusmigrate.catalog.Column> all = next.consolidation().sharesOf(share.target()).stream()
                    .map(o -> o.source().column(name).orElse(null)).filter(java.util.Objects::nonNull).toList();
            Column now = tgt.get(name);
            Column c = ch.columns().values().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
            String def = c.defaultExpr();
            boolean sameDefault = all.stream().allMatch(x -> java.util.Objects.equals(x.defaultExpr(), def));
            if (now != null && !java.util.Objects.equals(now.defaultExpr(), def)) {
                if (sameDefault) {
                    actions.add("ALTER COLUMN " + Sql.ident(name) + (def == null ? " DROP DEFAULT" : " SET DEFAULT " + def));
                    follows.add(name + (def == null ? ": default dropped" : ": default " + def));
                } else {
                    follows.add(name + ": default kept till every tenant has " + (def == null ? "none" : def));
                }
            }
            if (now != null && now.notNull() != c.notNull()) {
                // NOT NULL only once every tenant's rows have a value; dropped at once (a tenant may write NULL now)
                if (!c.notNull()) {
                    actions.add("ALTER COLUMN " + Sql.ident(name) + " DROP NOT NULL");
                    follows.add(name + ": NOT NULL dropped");
                } else if (all.stream().allMatch(io.citusmigrate.catalog.Column::notNull)) {
                    actions.add("ALTER COLUMN " + Sql.ident(name) + " SET NOT NULL");
                    follows.add(name + ": NOT NULL set (every tenant has it)");
                } else {
                    follows.add(name + ": NOT NULL not set yet (" + all.stream().filter(x -> !x.notNull()).count() + " tenants without it)");
                }
            }
        }
        if (!renameFirst.isEmpty()) {
            try (Statement s = target.createStatement()) {
                s.execute("ALTER TABLE " + share.target().sql() + " " + String.join(", ", renameFirst));
            }
        }
        for (String[] r : renameCopies) {
            try (PreparedStatement u = target.prepareStatement("UPDATE " + share.target().sql() + " SET " + Sql.ident(r[1]) + " = " + Sql.ident(r[0])
                    + " WHERE " + Sql.ident(plan.consolidation().tenantKey()) + " = ?::bigint")) {
                u.setString(1, share.tenantValue());
                u.executeUpdate();
            }
        }
        if (!actions.isEmpty()) {
            try (Statement s = target.createStatement()) {
                s.execute("ALTER TABLE " + share.target().sql() + " " + String.join(", ", actions));
            }
        }
        for (String a : constraintActions) {
            try (Statement s = target.createStatement()) {
                s.execute("ALTER TABLE " + share.target().sql() + " " + a);
            }
        }
        List<String> said = new ArrayList<>();
        if (!retyped.isEmpty()) said.add("column " + String.join("; column ", retyped));
        if (!follows.isEmpty()) said.add("column " + String.join("; column ", follows));
        said.addAll(constraintSaid);
        said.addAll(keysSaid);
        renamed.forEach(r -> said.add("column " + r));
        if (!added.isEmpty()) said.add("column" + (added.size() > 1 ? "s " : " ") + String.join(", ", added) + " added (every tenant's rows given its default)");
        if (!there.isEmpty()) said.add("column" + (there.size() > 1 ? "s " : " ") + String.join(", ", there) + " there already, added alike for the tenants before");
        if (!kept.isEmpty()) said.add("column" + (kept.size() > 1 ? "s " : " ") + String.join(", ", kept) + " dropped for this tenant");
        if (!dropped.isEmpty()) said.add("column" + (dropped.size() > 1 ? "s " : " ") + String.join(", ", dropped) + " dropped (the last tenant to have it)");
        return new Replanned(next, catalog, said.isEmpty() ? "" : "schema change of tenant " + tenant + " carried to " + share.target() + ": "
                + String.join("; ", said));
    }

    /** An index created or dropped by a command of its own (not one a CREATE TABLE makes for its keys). */
    private static boolean tenantIndex(Change ch) {
        return "index".equals(ch.type()) && ("CREATE INDEX".equals(ch.tag()) || "DROP INDEX".equals(ch.tag()));
    }

    /**
     * An index created or dropped in a tenant schema, rolled out to the tenants one after the
     * other: which tenants have it is kept in the stream's plan (each share's indexes). A plain
     * index is created on the consolidated table with the first tenant's and dropped with the
     * last tenant's; a unique one (unique per tenant: the tenant key first) is created only once
     * every tenant has it and dropped with the first tenant's, so that the target never refuses
     * rows the source took. A later tenant's index must be alike to the one the target has.
     */
    private static Replanned consolidatedIndex(Change ch, Plan plan, io.citusmigrate.catalog.Catalog catalog, Connection target,
                                               io.citusmigrate.load.LoadCommand cmd, String tenant) throws SQLException {
        String name = ch.identity().substring(ch.identity().lastIndexOf('.') + 1).replace("\"", "");
        io.citusmigrate.plan.Consolidation c = plan.consolidation();
        TablePlan share;
        if ("CREATE INDEX".equals(ch.tag())) {
            share = ch.table() == null ? null : c.shares().stream().filter(x -> tenant.equals(x.tenantName()) && named(x, ch.table())).findFirst()
                    .orElse(null);
            if (share == null || ch.index().isMissingNode() || ch.index().isNull()) {
                throw notCarried(ch, "an index on a table the consolidated tenant schemas do not share", cmd.file());
            }
        } else {
            share = c.shares().stream().filter(x -> tenant.equals(x.tenantName())
                    && x.source().indexes().stream().anyMatch(i -> i.name().equals(name))).findFirst().orElse(null);
            if (share == null) return new Replanned(plan, catalog, ""); // not one the stream knows (dropped with its table, or read again)
        }
        TablePlan sh = share;
        List<io.citusmigrate.catalog.Index> indexes = new ArrayList<>(sh.source().indexes());
        boolean create = "CREATE INDEX".equals(ch.tag());
        String definition = create ? ch.index().path("definition").asText() : null;
        boolean unique = create ? ch.index().path("unique").asBoolean()
                : indexes.stream().filter(i -> i.name().equals(name)).findFirst().map(io.citusmigrate.catalog.Index::unique).orElse(false);
        if (create) {
            if (indexes.stream().anyMatch(i -> i.name().equals(name))) return new Replanned(plan, catalog, ""); // read again after a restart
            List<String> keys = new ArrayList<>();
            ch.index().path("keys").forEach(k -> keys.add(k.asText()));
            indexes.add(new io.citusmigrate.catalog.Index(name, unique, null, List.of(), List.copyOf(keys), List.of(), null, false, definition));
        } else {
            indexes.removeIf(i -> i.name().equals(name));
        }
        Plan next = plan.withShareReplaced(sh.forTenant(sh.source().withIndexes(List.copyOf(indexes)), sh.tenantValue(), sh.tenantName()));
        // the tenants of this consolidated table that have the index now, this one's change included
        List<TablePlan> all = next.consolidation().sharesOf(sh.target());
        long with = all.stream().filter(x -> x.source().indexes().stream().anyMatch(i -> i.name().equals(name))).count();
        String targetSchema = sh.target().schema();
        boolean there = exists(target, targetSchema, name);
        String said;
        if (create) {
            int using = definition.indexOf(" USING ");
            if (using < 0) throw notCarried(ch, "its definition could not be read (" + definition + ")", cmd.file());
            String rest = definition.substring(using);
            if (unique) {
                int open = rest.indexOf('(');
                rest = rest.substring(0, open + 1) + Sql.ident(c.tenantKey()) + ", " + rest.substring(open + 1);
            }
            String mine = "CREATE " + (unique ? "UNIQUE " : "") + "INDEX " + Sql.ident(name) + " ON " + sh.target().sql() + rest;
            if (there) {
                String theirs = indexDefinition(target, targetSchema, name);
                if (theirs == null || !theirs.substring(theirs.indexOf(" USING ")).equals(rest)) {
                    throw notCarried(ch, "the index " + name + " the tenants before created is not alike (" + theirs + ")", cmd.file());
                }
                said = "index " + name + " there already, created alike for the tenants before";
            } else if (!unique || with == all.size()) {
                try (Statement st = target.createStatement()) {
                    st.execute(mine);
                }
                said = "index " + name + " created" + (unique ? " (unique per tenant: " + c.tenantKey() + " is its first key; every tenant has it now)" : "");
            } else {
                said = "unique index " + name + " not created yet: " + (all.size() - with) + " tenant" + (all.size() - with == 1 ? "" : "s")
                        + " without it (it is created once every tenant has it)";
            }
        } else {
            if (there && (unique || with == 0)) {
                try (Statement st = target.createStatement()) {
                    st.execute("DROP INDEX " + Sql.ident(targetSchema) + "." + Sql.ident(name));
                }
                said = "index " + name + " dropped" + (unique ? " (unique: with the first tenant that drops it)" : " (the last tenant to have it)");
            } else {
                said = "index " + name + " dropped for this tenant" + (there ? " (kept for the " + with + " tenant" + (with == 1 ? "" : "s")
                        + " that have it still)" : "");
            }
        }
        return new Replanned(next, catalog, "schema change of tenant " + tenant + " carried to " + sh.target() + ": " + said);
    }

    private static boolean constraintExists(Connection target, QualifiedName table, String name) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = ?::regclass AND conname = ?")) {
            ps.setString(1, table.sql());
            ps.setString(2, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static String indexDefinition(Connection target, String schema, String index) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT pg_catalog.pg_get_indexdef(c.oid) FROM pg_catalog.pg_class c"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?")) {
            ps.setString(1, schema);
            ps.setString(2, index);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static String[] type(PreparedStatement ps, String schema, String name) throws SQLException {
        ps.setString(1, schema);
        ps.setString(2, name);
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? new String[] {rs.getString(1), rs.getString(2), rs.getString(3)} : null;
        }
    }

    /**
     * A table created in a tenant schema of a consolidation: taken in as that tenant's share of
     * its consolidated table, the tenant (a new schema) given the next tenant key and recorded on
     * the target first. The table must be one the tenant schemas share, alike (the plan made now
     * names any difference); the schema's other tables may come later.
     */
    private static Replanned tenantTableCreated(Change ch, Plan plan, Plan now, io.citusmigrate.catalog.Catalog catalog, Connection target,
                                                io.citusmigrate.load.LoadCommand cmd) throws SQLException {
        TablePlan first = share(now, ch);
        if (first == null || plan.tableByTarget(first.target()).isEmpty()) {
            // a table the tenant schemas do not all have: one rolled out to them one after the other, planned from the first that has it
            Plan rolled = io.citusmigrate.plan.Planner.planWhileStreaming(cmd, catalog, new io.citusmigrate.catalog.CatalogReader(target).targetFacts(cmd));
            TablePlan r = share(rolled, ch);
            if (r != null && plan.consolidation().tenant(ch.schema()).isPresent()) {
                if (plan.tableByTarget(r.target()).isEmpty()) return tableRolledOut(ch, plan, rolled, r, catalog, target, cmd);
                now = rolled;
            }
        }
        io.citusmigrate.plan.Consolidation nc = now.consolidation();
        TablePlan share = share(now, ch);
        // the table's own errors, and the tenant's (its key), which the plan tells at one of its tables
        List<String> errors = now.errors().stream().filter(e -> share != null ? share.source().name().equals(e.table())
                        || e.message().startsWith("tenant schema " + ch.schema() + " ")
                : e.table() != null && e.table().schema().equals(ch.schema())).map(io.citusmigrate.plan.PlanIssue::message).toList();
        if (share == null && errors.isEmpty()) {
            return new Replanned(plan, catalog, "new table " + ch.identity() + " on the source: not in the plan, not migrated");
        }
        if (!errors.isEmpty()) {
            NotCarried e = notCarried(ch, String.join("; ", errors), cmd.file());
            // a tenant signing up may add its row to the tenant mapping after its schema's first table
            if (errors.stream().allMatch(m -> m.contains(io.citusmigrate.plan.Consolidation.NOT_MAPPED))) {
                throw new NotCarried(e.getMessage(), true, "new tenant schema " + ch.schema() + "'s row in the tenant mapping "
                        + io.citusmigrate.catalog.TenantMapping.of(cmd).orElseThrow());
            }
            throw e;
        }
        if (plan.table(share.source().name()).isPresent()) return new Replanned(plan, catalog, ""); // read again after a restart
        if (share.source().isPartitioned()) {
            throw notCarried(ch, "a consolidated tenant schema's partitioned table is not streamed yet", cmd.file());
        }
        if (share.source().primaryKey().isEmpty()) {
            List<String> why = ReplicaIdentities.unmatchable(now, share);
            if (!why.isEmpty()) throw notCarried(ch, "it has no primary key, and " + String.join("; ", why), cmd.file());
        }
        io.citusmigrate.plan.Consolidation.Tenant tenant = nc.tenant(ch.schema()).orElseThrow();
        io.citusmigrate.plan.Consolidation was = plan.consolidation();
        io.citusmigrate.copy.TenantRows.write(was.with(List.of(tenant), List.of()), target);
        boolean newTenant = was.tenant(ch.schema()).isEmpty();
        // the source as read now may be ahead of the stream (a column added since): the share holds the columns the table was created with,
        // so that a later ALTER in the stream is carried as a change
        TablePlan asCreated = share.forTenant(share.source().withColumns(share.source().columns().stream()
                .filter(c -> ch.columns().values().stream().anyMatch(m -> m.num() == c.num())).toList()), share.tenantValue());
        return new Replanned(plan.withShareAdded(asCreated, tenant), catalog, (newTenant ? "new tenant " + ch.schema() + " taken in under tenant key "
                + tenant.key() + " (recorded in " + was.tenantsTable() + "); its" : "tenant " + ch.schema() + "'s") + " table " + share.source().name()
                + " carried into " + share.target() + "; its rows stream from its creation on");
    }

    /**
     * A tenant schema's table dropped (a schema change rolled out to the tenants one after the
     * other): that tenant's rows leave the consolidated table, as they left the source; the last
     * tenant's drop drops the consolidated table. A table other consolidated tables' foreign keys
     * point at is not carried yet (the source's DROP ... CASCADE dropped that tenant's keys
     * alone, and the target's would refuse its rows there at the cutover).
     */
    private static Replanned tenantTableDropped(Change ch, Plan plan, io.citusmigrate.catalog.Catalog catalog, Connection target,
                                                io.citusmigrate.load.LoadCommand cmd) throws SQLException {
        TablePlan share = share(plan, ch, ch.schema());
        if (share == null) return new Replanned(plan, catalog, ""); // not migrated
        TablePlan ct = plan.tableByTarget(share.target()).orElseThrow();
        List<String> pointing = plan.tables().stream().filter(x -> x != ct && x.foreignKeys().stream().anyMatch(fk -> fk.refTable().equals(ct.target())))
                .map(x -> x.target().toString()).toList();
        if (!pointing.isEmpty()) {
            throw notCarried(ch, "foreign keys of " + String.join(", ", pointing) + " point at " + ct.target() + ", which keeps them for every tenant",
                    cmd.file());
        }
        Plan next = plan.withShareRemoved(share);
        boolean last = next.consolidation().sharesOf(ct.target()).isEmpty();
        try (Statement s = target.createStatement()) {
            if (last) {
                s.execute("DROP TABLE IF EXISTS " + ct.target().sql() + " CASCADE");
            } else {
                try (PreparedStatement d = target.prepareStatement("DELETE FROM " + ct.target().sql() + " WHERE " + Sql.ident(ct.distributionColumn())
                        + " = ?::bigint")) {
                    d.setString(1, share.tenantValue());
                    d.executeUpdate();
                }
            }
        }
        if (last) next = next.withoutTable(ct.source().oid());
        int left = next.consolidation().sharesOf(ct.target()).size();
        return new Replanned(next, catalog, "schema change of tenant " + ch.schema() + " carried to " + ct.target() + ": " + (last
                ? "table dropped (the last tenant to have it)" : "table dropped for this tenant, its rows deleted (kept for the " + left
                + (left == 1 ? " tenant that has" : " tenants that have") + " it still)"));
    }

    /** Why a column renamed in a tenant schema is not carried: a key, index, constraint or foreign key uses it; null when it is. */
    private static String renameRefused(Plan plan, TablePlan share, String column) {
        io.citusmigrate.catalog.Table t = share.source();
        if (t.primaryKey().map(k -> k.columns().contains(column)).orElse(false)) return "a column of the primary key";
        java.util.function.Predicate<String> names = text -> text != null && java.util.regex.Pattern.compile("(?<![\\w$])\"?" + java.util.regex.Pattern.quote(column)
                + "\"?(?![\\w$])").matcher(text).find();
        if (t.indexes().stream().anyMatch(i -> i.keyColumns().contains(column) || i.include().contains(column) || names.test(i.definition()))) {
            return "which an index uses";
        }
        if (t.constraints().stream().anyMatch(k -> k.columns().contains(column) || names.test(k.definition()))) return "which a constraint uses";
        if (t.foreignKeys().stream().anyMatch(k -> k.columns().contains(column))
                || plan.tables().stream().anyMatch(o -> o.foreignKeys().stream().anyMatch(k -> k.refTable().equals(share.target()) && k.refColumns().contains(column)))) {
            return "which a foreign key uses";
        }
        if (t.columns().stream().anyMatch(c -> names.test(c.generated()))) return "which a generated column uses";
        return null;
    }

    /** The source read and planned now, as while streaming (a table rolled out to some tenant schemas is one of theirs). */
    private static Plan planWhileStreaming(Connection target, io.citusmigrate.load.LoadCommand cmd) throws SQLException {
        return io.citusmigrate.plan.Planner.planWhileStreaming(cmd, sourceNow(cmd), new io.citusmigrate.catalog.CatalogReader(target).targetFacts(cmd));
    }

    /** The source's catalog as it is now (with the tenant keys the command file's mapping gives). */
    static io.citusmigrate.catalog.Catalog sourceNow(io.citusmigrate.load.LoadCommand cmd) throws SQLException {
        try (Connection source = io.citusmigrate.db.Databases.connect("source", cmd.source())) {
            return new io.citusmigrate.catalog.CatalogReader(source).read(cmd);
        }
    }

    /**
     * A tenant's table renamed (a schema change rolled out to the tenants one after the other):
     * its rows keep going into the consolidated table, under its new name on the source; the last
     * tenant's rename renames the consolidated table (with the foreign keys that point at it, the
     * sequences it owns keep their names as PostgreSQL's do).
     */
    private static Replanned tenantTableRenamed(Change ch, Plan plan, io.citusmigrate.catalog.Catalog catalog, Connection target,
                                                io.citusmigrate.load.LoadCommand cmd, TablePlan share) throws SQLException {
        String to = unqualified(ch.identity());
        QualifiedName ct = share.target();
        QualifiedName source = QualifiedName.of(share.source().name().schema(), to);
        Plan next = plan.withShareReplaced(share.withNames(source, ct));
        // the cutover sets each target sequence from the sequences its shares' tables own, by their names as the stream has them
        catalog = catalog == null ? null : catalog.withSequencesOwnedBy(share.source().name(), source);
        long others = next.consolidation().sharesOf(ct).stream().filter(o -> !o.source().name().name().equals(to)).count();
        String said = "schema change of tenant " + share.tenantName() + " carried to " + ct + ": table " + share.source().name().name() + " renamed to " + to;
        if (others > 0) {
            return new Replanned(next, catalog, said + " for this tenant (" + ct + " keeps its name for the " + others
                    + (others == 1 ? " tenant that has" : " tenants that have") + " it still)");
        }
        QualifiedName renamed = QualifiedName.of(ct.schema(), to);
        if (renamed.equals(ct)) return new Replanned(next, catalog, said);
        if (exists(target, renamed.schema(), renamed.name())) throw notCarried(ch, "the target has a table " + renamed + " already", cmd.file());
        try (Statement s = target.createStatement()) {
            s.execute("ALTER TABLE " + ct.sql() + " RENAME TO " + Sql.ident(to));
        }
        return new Replanned(next.withConsolidatedTableRenamed(ct, renamed), catalog, said + " (the last tenant to rename it: " + ct + " renamed to "
                + renamed + ")");
    }

    /** The name of a table's identity ({@code schema.table}, each part quoted where PostgreSQL quotes it), unquoted. */
    private static String unqualified(String identity) {
        boolean quoted = false;
        int dot = -1;
        for (int i = 0; i < identity.length() && dot < 0; i++) {
            char c = identity.charAt(i);
            if (c == '"') quoted = !quoted;
            else if (c == '.' && !quoted) dot = i;
        }
        String name = identity.substring(dot + 1);
        return name.startsWith("\"") ? name.substring(1, name.length() - 1).replace("\"\"", "\"") : name;
    }

    private static TablePlan share(Plan now, Change ch) {
        io.citusmigrate.plan.Consolidation c = now.consolidation();
        return c == null ? null : c.shares().stream().filter(x -> x.source().oid() == ch.oid()).findFirst().orElse(null);
    }

    /**
     * A table created in a tenant schema that the stream's plan has no consolidated table for:
     * the first of a table rolled out to the tenant schemas one after the other. Its consolidated
     * table is created on the target as the plan made now has it (the tenant key first, keys
     * extended, colocated with the tenants), this tenant's table its first share; each later
     * tenant's must be alike, and becomes a share as it comes.
     */
    private static Replanned tableRolledOut(Change ch, Plan plan, Plan now, TablePlan share, io.citusmigrate.catalog.Catalog catalog, Connection target,
                                            io.citusmigrate.load.LoadCommand cmd) throws SQLException {
        TablePlan t = now.tableByTarget(share.target()).orElseThrow();
        List<String> errors = new ArrayList<>(errorsOf(now, t));
        now.errors().stream().filter(e -> share.source().name().equals(e.table()) && !errors.contains(e.message())).forEach(e -> errors.add(e.message()));
        if (!errors.isEmpty()) throw notCarried(ch, String.join("; ", errors), cmd.file());
        if (share.source().isPartitioned()) throw notCarried(ch, "a consolidated tenant schema's partitioned table is not streamed yet", cmd.file());
        if (share.source().primaryKey().isEmpty()) {
            List<String> why = ReplicaIdentities.unmatchable(now, share);
            if (!why.isEmpty()) throw notCarried(ch, "it has no primary key, and " + String.join("; ", why), cmd.file());
        }
        createOnTarget(t, now, target, cmd);
        io.citusmigrate.plan.Consolidation.Tenant tenant = plan.consolidation().tenant(ch.schema()).orElseThrow();
        TablePlan asCreated = share.forTenant(share.source().withColumns(share.source().columns().stream()
                .filter(c -> ch.columns().values().stream().anyMatch(m -> m.num() == c.num())).toList()), share.tenantValue());
        Plan next = plan.withTableAdded(t, now.sequences().stream().filter(q -> t.target().equals(q.ownedByTable())).toList())
                .withShareAdded(asCreated, tenant);
        return new Replanned(next, catalog, "schema change of tenant " + ch.schema() + " carried: new table " + share.source().name().name()
                + " created as " + t.target() + ", " + t.kind().label() + " by " + t.distributionColumn() + " (added), colocated with "
                + plan.consolidation().tenantsTable() + "; each tenant's table of that name joins it as it is created; its rows stream from its creation on");
    }

    static NotCarried notCarried(Change ch, String why, String file) {
        return new NotCarried(prefix(ch, why) + " Undo it on the source (the stream then takes the table as the source has it), or start"
                + " over to take it in with the schema (`citus-migrate cleanup " + file + "`, then `citus-migrate migrate " + file + "`)", true);
    }

    private static String prefix(Change ch, String why) {
        return "a schema change on the source that this version does not carry while streaming: " + ch.said() + (why == null ? "" : ": " + why)
                + ". Nothing after it was applied to the target.";
    }

    private static TablePlan table(Plan plan, String identity) {
        for (TablePlan t : plan.tables()) if (named(t, identity)) return t;
        return null;
    }

    /** The migrated table a change is about: by its oid (names change), else by name; a column's commands name schema.table.column. */
    static TablePlan table(Plan plan, Change ch) {
        boolean column = "table column".equals(ch.type());
        if (!column && !"table".equals(ch.type())) return null;
        if (ch.oid() > 0) {
            for (TablePlan t : plan.tables()) if (t.source().oid() == ch.oid()) return t;
        }
        return table(plan, column ? ch.identity().substring(0, ch.identity().lastIndexOf('.')) : ch.identity());
    }

    private static boolean named(TablePlan t, String identity) {
        QualifiedName n = t.source().name();
        return identity.equals(n.sql()) || identity.equals(n.schema() + "." + n.name());
    }

    /**
     * A column as both sides are compared: its type as PostgreSQL prints it, default, NOT NULL,
     * identity or generated (with its expression); for a column just added with a default that
     * PostgreSQL evaluated once, the value the existing rows took ({@code hasMissing}, pg_attribute's
     * attmissingval as text).
     */
    private record Column(int num, String name, String type, String defaultExpr, boolean notNull, boolean identity, boolean generated,
                          String generation, boolean hasMissing, String missing) {}

    private static Map<String, Column> columns(Connection c, String table) throws SQLException {
        // expressions name their objects in full, as the plan's catalog read them
        try (Statement s = c.createStatement()) {
            s.execute("SET search_path = pg_catalog");
        }
        Map<String, Column> out = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),"
                + " pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attnotnull, a.attidentity <> '', a.attgenerated <> ''"
                + " FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
                + " WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    boolean generated = rs.getBoolean(6);
                    out.put(rs.getString(1), new Column(0, rs.getString(1), rs.getString(2), generated ? null : rs.getString(3), rs.getBoolean(4),
                            rs.getBoolean(5), generated, generated ? rs.getString(3) : null, false, null));
                }
            }
        }
        return out;
    }
}
