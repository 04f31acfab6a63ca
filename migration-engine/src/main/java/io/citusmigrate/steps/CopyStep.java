package io.citusmigrate.steps;

import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.copy.BulkLoader;
import io.citusmigrate.copy.Checksum;
import io.citusmigrate.copy.LargeObjects;
import io.citusmigrate.copy.Projection;
import io.citusmigrate.copy.TableResult;
import io.citusmigrate.progress.CopyRecord;
import io.citusmigrate.plan.TablePlan;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * The rows, by COPY from the snapshot in parallel ranges. The source is idle while the target
 * builds its keys next: its checksums of the snapshot are taken meanwhile, for the verification.
 * Needs {@link SnapshotStep.Taken}; hands on {@link Copied}.
 */
@Step.Needs(SnapshotStep.Taken.class)
@Step.Makes(CopyStep.Copied.class)
final class CopyStep implements Step {
    /** What each table's copy did, and the source's checksums of the snapshot, being taken. */
    record Copied(List<TableResult> results, CompletableFuture<Map<String, Checksum>> sourceSums) {}

    @Override
    public boolean run(Migration m, Outputs in) throws SQLException {
        SnapshotStep.Taken taken = in.get(SnapshotStep.Taken.class);
        if (!m.plan.tenantDatabases().isEmpty()) refuseLargeObjects(m);
        if (m.settings.truncate() && !m.laterDatabase) m.onTarget(target -> Target.truncate(m, new SchemaCreator(target, m::say)));
        if (m.settings.live()) m.loader.recordRanges(CopyRecord.recorder(m.settings.slot()));
        List<TableResult> tenants = new ArrayList<>();
        if (m.plan.consolidation() != null) {
            long t = System.nanoTime();
            var c = m.plan.consolidation();
            m.onTarget(target -> {
                int n = io.citusmigrate.copy.TenantRows.write(c, target);
                tenants.add(new TableResult(c.tenantsTable().toString(), n, n, 0, 0, Migration.secs(t)));
            });
        }
        List<TableResult> loaded;
        if (m.settings.disableTriggers()) {
            triggers(m, false);
            try {
                loaded = parentsFirst(m, taken.prepared());
            } finally {
                triggers(m, true);
            }
        } else {
            loaded = m.settings.dataOnly() ? parentsFirst(m, taken.prepared()) : m.loader.load(taken.prepared());
        }
        List<TableResult> results = new ArrayList<>(tenants);
        results.addAll(loaded);
        largeObjects(m, taken).ifPresent(results::add);
        var prepared = taken.prepared();
        in.add(new Copied(List.copyOf(results), CompletableFuture.supplyAsync(() -> m.loader.sourceChecksums(prepared, m.settings.workers()))));
        return true;
    }

    /**
     * `data only`: the target's tables keep their foreign keys, so a child's rows must not come
     * before its parent's. The tables go level by level along the plan's foreign keys (each
     * level in parallel); a cycle ends up in one level, where the target's own key decides.
     */
    private static List<TableResult> parentsFirst(Migration m, BulkLoader.Prepared prepared) {
        Map<String, TablePlan> byName = new HashMap<>();
        m.plan.tables().forEach(t -> byName.put(t.target().toString(), t));
        Map<String, Integer> level = new HashMap<>();
        byName.keySet().forEach(n -> level.put(n, 0));
        for (int round = 0; round < byName.size(); round++) {
            boolean changed = false;
            for (TablePlan t : m.plan.tables()) {
                for (var fk : t.foreignKeys()) {
                    String parent = fk.refTable().toString();
                    String child = t.isPartition() ? t.partitionOf().toString() : t.target().toString();
                    if (parent.equals(child) || !level.containsKey(parent) || !level.containsKey(child)) continue;
                    if (level.get(child) <= level.get(parent)) {
                        level.put(child, level.get(parent) + 1);
                        changed = true;
                    }
                }
            }
            if (!changed) break;
        }
        Map<Integer, Map<Projection, List<String>>> levels = new TreeMap<>();
        prepared.ranges().forEach((p, r) -> levels.computeIfAbsent(level.getOrDefault(p.table().target().toString(), 0), k -> new LinkedHashMap<>()).put(p, r));
        List<TableResult> out = new ArrayList<>();
        for (Map<Projection, List<String>> ranges : levels.values()) {
            out.addAll(m.loader.load(new BulkLoader.Prepared(prepared.snapshot(), prepared.timeZone(), ranges, prepared.orphans(), prepared.recordHash())));
        }
        return out;
    }

    /**
     * `disable triggers` (with `data only`), as pgloader does it: {@code ALTER TABLE ... DISABLE
     * TRIGGER ALL} on every table before the rows and {@code ENABLE TRIGGER ALL} after them, so
     * neither the target's own triggers nor its foreign keys act on the loaded rows. Citus 13.2.2
     * takes it on distributed and reference tables (and passes it to their shards) only with
     * {@code citus.enable_unsafe_triggers}; ALL includes the truncate trigger Citus keeps on each.
     */
    private static void triggers(Migration m, boolean enable) {
        try (Connection target = m.target(); java.sql.Statement s = target.createStatement()) {
            s.execute("SET citus.enable_unsafe_triggers = on");
            for (TablePlan t : m.plan.tables()) {
                String sql = "ALTER TABLE " + t.target().sql() + (enable ? " ENABLE" : " DISABLE") + " TRIGGER ALL";
                m.say("  " + sql);
                s.execute(sql);
            }
        } catch (SQLException e) {
            throw m.targetFailed(e);
        }
    }

    /**
     * A tenant database's large objects cannot join the others' on the target: their oids would
     * collide, and the copy makes the target's large objects the source's. The run stops naming them.
     */
    private static void refuseLargeObjects(Migration m) {
        try (Connection source = m.source(); java.sql.Statement s = source.createStatement();
             java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_largeobject_metadata")) {
            rs.next();
            long n = rs.getLong(1);
            if (n > 0) {
                throw new io.citusmigrate.UserError("the tenant database " + m.settings.source().database() + " has " + n + " large object"
                        + (n == 1 ? "" : "s") + ", which a consolidation of databases does not carry (their oids would collide with another"
                        + " tenant's): move them into bytea columns, or migrate that database on its own");
            }
        } catch (SQLException e) {
            throw m.sourceFailed(e);
        }
    }

    /** The large objects the rows point at, with their oids, from the same snapshot: one more line of the summary. */
    private static Optional<TableResult> largeObjects(Migration m, SnapshotStep.Taken taken) throws SQLException {
        long t = System.nanoTime();
        try (Connection source = m.snapshotReader(taken.snapshot()); Connection target = m.target()) {
            LargeObjects.Sync sync = LargeObjects.sync(source, target);
            if (sync.count() == 0 && sync.unlinked() == 0) return Optional.empty();
            return Optional.of(new TableResult("(large objects)", sync.count(), sync.count(), 0, 0, Migration.secs(t)));
        }
    }
}
