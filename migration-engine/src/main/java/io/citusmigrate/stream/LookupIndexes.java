package io.citusmigrate.stream;

import io.citusmigrate.sql.Sql;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.sink.TableRule;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * While changes stream: an index on the source key of each distributed table whose key lacks
 * the distribution column (an update or delete names its row by that key alone, so the sink asks
 * every shard where the row lives now: each shard answers with an index probe instead of a
 * scan), and one on (tenant key, parent key) of each table that takes its tenant key from a
 * parent (a tenant move picks a parent's children by them). Created before streaming, dropped
 * after the cutover's answer, concurrently (the application's own indexes are the plan's).
 */
public final class LookupIndexes {
    private LookupIndexes() {}

    /** {create, drop} statements, one pair per table that needs one. */
    static List<String[]> statements(Plan plan) {
        List<String[]> out = new ArrayList<>();
        java.util.Set<String> partitioned = new java.util.HashSet<>();
        for (io.citusmigrate.plan.TablePlan t : plan.tables()) {
            if (t.source().isPartitioned()) partitioned.add(t.target().schema() + "." + t.target().name());
        }
        for (TableRule r : TableRule.parse(io.citusmigrate.plan.StreamRules.json(plan)).values()) {
            // a share of a consolidated table: its rows are found by tenant key and key, which the primary key indexes
            if (r.distributionColumn() == null || r.tenantValue() != null) continue;
            // dropped after the cutover, while the application writes to the target: CONCURRENTLY does not block its
            // writes (a plain DROP INDEX locks them out, and while it waits for a transaction open on the table every write
            // queues behind it); PostgreSQL cannot drop a partitioned table's index so
            boolean concurrently = !partitioned.contains(r.targetSchema() + "." + r.targetTable());
            if (!r.key().isEmpty() && !r.key().contains(r.distributionColumn())) out.add(index(r, "citus_migrate_key_", r.key(), concurrently));
            if (r.tenantAdded() && r.parent() != null) {
                // a parent moving tenant takes its children along: they are picked by tenant key and parent key
                List<String> cols = new ArrayList<>();
                cols.add(r.distributionColumn());
                cols.addAll(r.parent().columns());
                out.add(index(r, "citus_migrate_hop_", cols, concurrently));
            }
        }
        return out;
    }

    private static String[] index(TableRule r, String prefix, List<String> cols, boolean dropConcurrently) {
        String name = prefix + r.targetTable();
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 63) name = prefix + Integer.toHexString(r.targetTable().hashCode());
        return new String[] {"CREATE INDEX IF NOT EXISTS " + Sql.ident(name) + " ON " + r.target() + " (" + Sql.idents(cols) + ")",
                "DROP INDEX " + (dropConcurrently ? "CONCURRENTLY " : "") + "IF EXISTS " + Sql.ident(r.targetSchema()) + "." + Sql.ident(name)};
    }

    public static int create(Connection target, Plan plan) throws SQLException {
        return run(target, plan, 0);
    }

    public static int drop(Connection target, Plan plan) throws SQLException {
        return run(target, plan, 1);
    }

    private static int run(Connection target, Plan plan, int which) throws SQLException {
        List<String[]> all = statements(plan);
        try (Statement s = target.createStatement()) {
            for (String[] st : all) s.execute(st[which]);
        }
        return all.size();
    }
}
