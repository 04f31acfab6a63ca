package io.citusmigrate.verify;

import io.citusmigrate.catalog.ForeignKey;
import io.citusmigrate.copy.Checksum;
import io.citusmigrate.copy.Projection;
import io.citusmigrate.db.Databases;
import io.citusmigrate.db.Parallel;
import io.citusmigrate.sql.Sql;
import io.citusmigrate.plan.Hop;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.TablePlan;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;

/**
 * Compares each table on both sides: row counts, an order-independent checksum of the rows
 * (the source projected through the plan, back-filled tenant key included), and for
 * back-filled tables that each row's tenant key equals its parent's.
 */
public final class Verifier {
    private static final int SAMPLE_LIMIT = 5_000_000;

    public record TableCheck(String table, long sourceRows, long targetRows, boolean checksumsMatch,
                             String problem, String sampleKey) {
        public boolean ok() {
            return problem == null;
        }
    }

    private Verifier() {}

    /**
     * After a bulk load: each table's checksum on the target against the source's in the snapshot
     * ({@link io.citusmigrate.copy.BulkLoader#sourceChecksums}), tables in parallel on
     * {@code threads} target connections. An added tenant key is left out of the checksum: its
     * validated foreign key to the parent proves it, and where there is none it is compared with
     * the parent's by a join.
     */
    public static List<TableCheck> verifyLoaded(Plan plan, Map<String, Checksum> source, boolean recordHash,
                                                java.util.function.Supplier<Connection> target, int threads) {
        List<TablePlan> tables = plan.sourceTables().stream().filter(t -> !t.isPartition()).toList();
        try (Parallel.Connections conns = new Parallel.Connections(target)) {
            // the biggest first, as their checksums take longest
            java.util.Map<io.citusmigrate.catalog.QualifiedName, Long> rows = plan.estimatedRows();
            return Parallel.map(tables, threads, t -> t.source().isPartitioned() ? rows.getOrDefault(t.target(), 0L) : t.source().estimatedRows(), t -> {
                Connection c = conns.get();
                Checksum src = source.get(t.label());
                Checksum tgt;
                try (Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery(new Projection(t).checksumOfTarget(false, recordHash))) {
                    tgt = Checksum.read(rs);
                }
                String name = t.label();
                if (!src.equals(tgt)) {
                    return new TableCheck(name, src.rows(), tgt.rows(), src.sum().equals(tgt.sum()), problem(src, tgt),
                            "(run citus-migrate verify for a sample key)");
                }
                String mismatch = provenByForeignKey(t, c) ? null : tenantMismatch(t, c);
                return new TableCheck(name, src.rows(), tgt.rows(), true, mismatch == null ? null : "tenant key differs from the parent's", mismatch);
            });
        }
    }

    /**
     * A consolidation's tenants table as one more line of the row section, or none without one:
     * the target's rows against the plan's tenants (each schema under its tenant key).
     */
    public static java.util.Optional<TableCheck> tenants(Plan plan, Connection target) throws SQLException {
        io.citusmigrate.plan.Consolidation c = plan.consolidation();
        if (c == null) return java.util.Optional.empty();
        Map<String, Long> there = io.citusmigrate.copy.TenantRows.recorded(target, c.tenantsTable(), c.tenantKey(), c.nameColumn());
        String problem = null;
        for (io.citusmigrate.plan.Consolidation.Tenant t : c.tenants()) {
            Long key = there.get(t.name());
            if (key == null) problem = "tenant " + t.name() + " missing";
            else if (key != t.key()) problem = "tenant " + t.name() + " under tenant key " + key + ", the plan's " + t.key();
            if (problem != null) break;
        }
        return java.util.Optional.of(new TableCheck(c.tenantsTable().toString(), c.tenants().size(), there.size(), problem == null, problem, null));
    }

    /**
     * The large objects as one more line of the row section, or none when neither side has any:
     * their contents, owners and grants, object by object.
     */
    public static java.util.Optional<TableCheck> largeObjects(Connection source, Connection target) throws SQLException {
        io.citusmigrate.copy.LargeObjects.Comparison c = io.citusmigrate.copy.LargeObjects.compare(source, target);
        if (c.sourceCount() == 0 && c.targetCount() == 0) return java.util.Optional.empty();
        String sample = !c.toCopy().isEmpty() ? "oid " + c.toCopy().get(0) : !c.targetOnly().isEmpty() ? "oid " + c.targetOnly().get(0) : null;
        return java.util.Optional.of(new TableCheck("(large objects)", c.sourceCount(), c.targetCount(), c.equal(),
                c.equal() ? null : c.problem(), sample));
    }

    /** Both connections must render values alike: same TimeZone (see CopyWorkers). */
    public static List<TableCheck> verify(Plan plan, Connection source, Connection target) throws SQLException {
        return verify(plan, source, target, null);
    }

    /**
     * The same, the rows that a load with {@code on error resume next} wrote to the reject files
     * in {@code errorsDirectory} (when not null) taken out of the source's side.
     */
    public static List<TableCheck> verify(Plan plan, Connection source, Connection target, java.nio.file.Path errorsDirectory)
            throws SQLException {
        boolean recordHash = Databases.hasRecordHash(source) && Databases.hasRecordHash(target);
        Map<String, Checksum> refused = errorsDirectory == null ? Map.of()
                : io.citusmigrate.copy.RowErrors.refused(errorsDirectory, plan, source, recordHash);
        List<TableCheck> out = new ArrayList<>();
        for (TablePlan t : plan.sourceTables()) {
            if (t.isPartition()) continue;
            Projection p = new Projection(t);
            String shape = shapeDifference(t, target);
            if (shape != null) {
                // the table changed on the source since the plan was made: no checksum can compare them
                long targetRows = shape.startsWith("not on the target") ? 0 : count(target, t.target().sql());
                out.add(new TableCheck(t.label(), sums(source, p.checksumOfProjection(recordHash)).rows(), targetRows, false, shape, null));
                continue;
            }
            // the two sides are different servers: scan them at the same time
            CompletableFuture<Checksum> srcScan = CompletableFuture.supplyAsync(() -> sums(source, p.checksumOfProjection(recordHash)));
            Checksum tgt = sums(target, p.checksumOfTarget(true, recordHash));
            String name = t.label();
            Checksum src = join(srcScan).minus(refused.getOrDefault(name, Checksum.NONE));
            if (!src.equals(tgt)) {
                out.add(new TableCheck(name, src.rows(), tgt.rows(), src.sum().equals(tgt.sum()), problem(src, tgt),
                        sampleDifference(p, source, target, src.rows())));
                continue;
            }
            String mismatch = tenantMismatch(t, target);
            out.add(new TableCheck(name, src.rows(), tgt.rows(), true,
                    mismatch == null ? null : "tenant key differs from the parent's", mismatch));
        }
        return out;
    }

    /**
     * The schema section: for each table, its privileges on both sides (the owner's and
     * superusers' left out), its row-level security flags, policies and triggers against the
     * plan's, and the routines of the plan's schemas against the plan's. One line per difference; none when alike.
     */
    public static List<String> schemaDifferences(Plan plan, Connection source, Connection target) throws SQLException {
        List<String> out = new ArrayList<>();
        try {
            // expressions and signatures name their objects in full, as the catalog read them
            searchPath(source, "pg_catalog");
            searchPath(target, "pg_catalog");
            Map<io.citusmigrate.catalog.QualifiedName, List<String>> expectedSecurity = new HashMap<>();
            plan.access().rowSecurity().forEach(r -> expectedSecurity.computeIfAbsent(r.table(), k -> new ArrayList<>())
                    .add("row level security " + (r.enabled() ? "enabled" : "disabled") + (r.forced() ? ", forced" : "")));
            plan.access().policies().forEach(p -> expectedSecurity.computeIfAbsent(p.table(), k -> new ArrayList<>()).add(policyItem(p)));
            for (TablePlan t : plan.sourceTables()) {
                String name = t.label();
                // a table on one side only is named once, by the row section
                if (!exists(source, t.source().name().sql()) || !exists(target, t.target().sql())) continue;
                List<String> onSource = items(source, sql("table_privileges.sql"), t.source().name().sql(), 2);
                List<String> onTarget = items(target, sql("table_privileges.sql"), t.target().sql(), 2);
                differences(out, name + ": privilege ", onSource, onTarget);
                List<String> expected = new ArrayList<>(expectedSecurity.getOrDefault(t.target(), List.of()));
                if (expected.stream().noneMatch(e -> e.startsWith("row level security"))) expected.add("row level security disabled");
                differences(out, name + ": ", expected, items(target, sql("row_security.sql"), t.target().sql(), 2));
                // the triggers the plan creates (a statement trigger it names instead is not expected)
                differences(out, name + ": ", t.deferredTriggers().stream().map(tr -> "trigger " + Sql.ident(tr.name())).sorted().toList(),
                        items(target, sql("triggers.sql"), t.target().sql(), 1));
            }
            List<String> schemas = plan.routines().stream().map(r -> r.name().schema()).distinct().toList();
            List<String> expected = plan.routines().stream().map(r -> (r.kind() == 'a' ? "aggregate" : r.keyword().toLowerCase())
                    + " " + r.signature()).toList();
            List<String> onTarget = new ArrayList<>();
            try (java.sql.PreparedStatement ps = target.prepareStatement(sql("routines.sql"))) {
                ps.setArray(1, target.createArrayOf("text", schemas.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) onTarget.add(rs.getString(1));
                }
            }
            differences(out, "", expected, onTarget);
        } finally {
            searchPath(source, null);
            searchPath(target, null);
        }
        return out;
    }

    private static boolean exists(Connection c, String table) throws SQLException {
        try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** A policy as row_security.sql renders one. */
    private static String policyItem(io.citusmigrate.catalog.Access.Policy p) {
        String roles = p.roles().isEmpty() ? "PUBLIC" : p.roles().stream().map(r -> r == null ? "PUBLIC" : Sql.ident(r)).sorted()
                .collect(Collectors.joining(", "));
        return "policy " + Sql.ident(p.name()) + " " + p.command() + (p.permissive() ? "" : " restrictive") + " to " + roles
                + (p.using() != null ? " using (" + p.using() + ")" : "") + (p.withCheck() != null ? " with check (" + p.withCheck() + ")" : "");
    }

    private static void differences(List<String> out, String prefix, List<String> source, List<String> target) {
        source.stream().filter(x -> !target.contains(x)).forEach(x -> out.add(prefix + x + " only on the source"));
        target.stream().filter(x -> !source.contains(x)).forEach(x -> out.add(prefix + x + " only on the target"));
    }

    /** The rows of a query whose {@code params} parameters all take {@code name}. */
    private static List<String> items(Connection c, String sql, String name, int params) throws SQLException {
        List<String> out = new ArrayList<>();
        try (java.sql.PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 1; i <= params; i++) ps.setString(i, name);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static void searchPath(Connection c, String path) throws SQLException {
        try (java.sql.PreparedStatement ps = c.prepareStatement(path == null ? "RESET search_path" : "SELECT set_config('search_path', ?, false)")) {
            if (path != null) ps.setString(1, path);
            ps.execute();
        }
    }

    private static String sql(String resource) {
        try (java.io.InputStream in = Verifier.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing resource " + resource);
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * How the target table's columns differ from the plan's (made from the source as it is now):
     * a column added or dropped on the source after the migration began. Null when alike.
     */
    private static String shapeDifference(TablePlan t, Connection target) throws SQLException {
        List<String> onTarget = new ArrayList<>();
        boolean exists;
        try (java.sql.PreparedStatement ps = target.prepareStatement("SELECT a.attname FROM pg_catalog.pg_class c"
                + " LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
                + " WHERE c.oid = pg_catalog.to_regclass(?) ORDER BY a.attnum")) {
            ps.setString(1, t.target().sql());
            try (ResultSet rs = ps.executeQuery()) {
                exists = false;
                while (rs.next()) {
                    exists = true;
                    if (rs.getString(1) != null) onTarget.add(rs.getString(1));
                }
            }
        }
        if (!exists) return "not on the target (a table created on the source after the migration began?)";
        List<String> planned = t.columns().stream().map(c -> c.name()).toList();
        List<String> sourceOnly = planned.stream().filter(c -> !onTarget.contains(c)).toList();
        List<String> targetOnly = onTarget.stream().filter(c -> !planned.contains(c)).toList();
        if (sourceOnly.isEmpty() && targetOnly.isEmpty()) return null;
        List<String> parts = new ArrayList<>();
        if (!sourceOnly.isEmpty()) parts.add("columns only on the source: " + String.join(", ", sourceOnly));
        if (!targetOnly.isEmpty()) parts.add("columns only on the target: " + String.join(", ", targetOnly));
        return String.join("; ", parts);
    }

    private static long count(Connection c, String table) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String targetColumns(TablePlan t) {
        return t.columns().stream().filter(c -> c.generated() == null).map(c -> "t." + Sql.ident(c.name())).collect(Collectors.joining(", "));
    }

    private static String problem(Checksum src, Checksum tgt) {
        return src.rows() != tgt.rows() ? "row counts differ: source " + src.rows() + ", target " + tgt.rows() : "contents differ (checksums)";
    }

    private static Checksum sums(Connection c, String sql) {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return Checksum.read(rs);
        } catch (SQLException e) {
            throw new CompletionException(e);
        }
    }

    private static Checksum join(CompletableFuture<Checksum> f) throws SQLException {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof SQLException s) throw s;
            throw e;
        }
    }

    /** The foreign key of the back-fill path's first hop, as the plan rewrote it, or null. */
    private static ForeignKey firstHop(TablePlan t) {
        if (t.backfillPath().isEmpty()) return null;
        Hop first = t.backfillPath().get(0);
        return t.foreignKeys().stream().filter(f -> f.name().equals(first.foreignKey())).findFirst().orElse(null);
    }

    /**
     * Whether the target holds that foreign key, validated: (tenant key, key) -> parent's
     * (tenant key, id) then holds for every row, so the tenant key is the parent's.
     */
    private static boolean provenByForeignKey(TablePlan t, Connection target) throws SQLException {
        ForeignKey fk = firstHop(t);
        if (fk == null) return !t.tenantColumnAdded();
        try (java.sql.PreparedStatement ps = target.prepareStatement(
                "SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = ?::regclass AND conname = ? AND contype = 'f' AND convalidated")) {
            ps.setString(1, t.target().sql());
            ps.setString(2, fk.name());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** For a back-filled table: a child row whose (tenant key, foreign key) finds no parent. */
    private static String tenantMismatch(TablePlan t, Connection target) throws SQLException {
        ForeignKey fk = firstHop(t);
        if (fk == null) return null;
        Hop first = t.backfillPath().get(0);
        String parentDist = fk.refColumns().get(fk.columns().indexOf(t.distributionColumn()));
        List<String> on = new ArrayList<>();
        for (int i = 0; i < fk.columns().size(); i++) {
            on.add("p." + Sql.ident(fk.refColumns().get(i)) + " = c." + Sql.ident(fk.columns().get(i)));
        }
        String notNull = first.childColumns().stream().map(c -> "c." + Sql.ident(c) + " IS NOT NULL").collect(Collectors.joining(" AND "));
        String key = t.source().primaryKey().map(pk -> pk.columns()).orElse(first.childColumns()).stream()
                .map(c -> "c." + Sql.ident(c)).collect(Collectors.joining(" || ',' || "));
        String sql = "SELECT (" + key + ")::text FROM " + t.target().sql() + " c LEFT JOIN " + fk.refTable().sql() + " p ON "
                + String.join(" AND ", on) + " WHERE " + notNull + " AND p." + Sql.ident(parentDist) + " IS NULL LIMIT 1";
        try (Statement s = target.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /**
     * The first key whose row differs or is missing on one side (only looked for on failure).
     * Both sides are read in key order (as text, byte order) through cursors and merged, so
     * memory stays flat whatever the table's size.
     */
    private static String sampleDifference(Projection p, Connection source, Connection target, long rows) throws SQLException {
        if (rows > SAMPLE_LIMIT) return "(table too large to look for a sample)";
        TablePlan t = p.table();
        List<String> keys = t.source().primaryKey().map(pk -> pk.columns()).orElse(null);
        if (keys == null) return "(no primary key to name a row)";
        String keyExpr = keys.stream().map(k -> "t." + Sql.ident(k) + "::text").collect(Collectors.joining(" || ',' || "));
        String fromSource = "SELECT k, h FROM (SELECT " + keyExpr + " AS k, md5(ROW(" + p.selectList() + ")::text) AS h" + p.fromWhere(null)
                + ") x ORDER BY k COLLATE \"C\"";
        String fromTarget = "SELECT k, h FROM (SELECT " + keyExpr + " AS k, md5(ROW(" + targetColumns(t) + ")::text) AS h FROM "
                + t.target().sql() + " t" + p.shareOnly() + ") x ORDER BY k COLLATE \"C\"";
        boolean sourceAuto = source.getAutoCommit();
        boolean targetAuto = target.getAutoCommit();
        source.setAutoCommit(false); // cursors: a fetch size is honoured inside a transaction only
        target.setAutoCommit(false);
        try (Statement a = source.createStatement(); Statement b = target.createStatement()) {
            a.setFetchSize(10_000);
            b.setFetchSize(10_000);
            try (ResultSet ra = a.executeQuery(fromSource); ResultSet rb = b.executeQuery(fromTarget)) {
                boolean hasA = ra.next();
                boolean hasB = rb.next();
                while (hasA && hasB) {
                    int c = java.util.Arrays.compareUnsigned(ra.getString(1).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                            rb.getString(1).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    if (c < 0) return ra.getString(1) + " (missing on the target)";
                    if (c > 0) return rb.getString(1) + " (on the target only)";
                    if (!ra.getString(2).equals(rb.getString(2))) return ra.getString(1) + " (differs)";
                    hasA = ra.next();
                    hasB = rb.next();
                }
                if (hasA) return ra.getString(1) + " (missing on the target)";
                if (hasB) return rb.getString(1) + " (on the target only)";
                return "(none found)";
            }
        } finally {
            if (sourceAuto) source.commit(); // a caller's own transaction (a snapshot) goes on
            source.setAutoCommit(sourceAuto);
            if (targetAuto) target.commit();
            target.setAutoCommit(targetAuto);
        }
    }
}
