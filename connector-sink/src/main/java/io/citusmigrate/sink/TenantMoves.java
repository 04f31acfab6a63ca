package io.citusmigrate.sink;

import io.citusmigrate.crash.CrashPoints;
import io.citusmigrate.sql.Sql;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A row that tables below take their tenant key from, moving to another tenant: set-based, one
 * INSERT ... SELECT and one DELETE per table below, in the writer's transaction.
 */
final class TenantMoves {
    private final Connection target;
    private final Map<String, TableRule> rules;
    private final Map<String, TargetTable> tables;
    private final RowWrites writes;
    private final TenantPlacement placement;
    private final SinkMetrics metrics;
    private final CommitCounts counts;

    TenantMoves(Connection target, Map<String, TableRule> rules, Map<String, TargetTable> tables, RowWrites writes,
                TenantPlacement placement, SinkMetrics metrics, CommitCounts counts) {
        this.target = target;
        this.rules = rules;
        this.tables = tables;
        this.writes = writes;
        this.placement = placement;
        this.metrics = metrics;
        this.counts = counts;
    }

    /**
     * Rows that tables below take their tenant key from move to other tenants: Citus cannot
     * change a distribution column in place, so the rows are written under their new tenants (one
     * COPY), then their descendants, level by level, then the old rows are deleted (one statement
     * per old tenant). Foreign keys (tenant key, key) -> (tenant key, id) would hold at every step.
     */
    void moveWithDescendants(TargetTable t, Map<List<Object>, PendingRow> rows, List<List<Object>> keys,
                             Map<List<Object>, String> tenant, Map<List<Object>, String> current) throws SQLException {
        List<PendingRow> moving = new ArrayList<>(keys.size());
        for (List<Object> k : keys) moving.add(rows.get(k));
        long ts = System.nanoTime();
        writes.copyOrUpsert(t, moving, tenant);
        metrics.timed("move-row", ts);
        TableRule r = t.rule();
        String dist = r.distributionColumn();
        for (List<Object> k : keys) {
            String from = current.get(k);
            List<String> params = new ArrayList<>();
            params.add(from);
            Struct img = rows.get(k).last.image();
            for (String c : r.key()) params.add(PgText.format(img.get(c), img.schema().field(c).schema(), t.type(c)));
            moveDescendants(t, new Pick(Sql.ident(dist) + " = ?::" + t.type(dist) + " AND " + RowQueries.keyParams(t, ""), params), from,
                    tenant.get(k));
        }
        CrashPoints.reach("sink.mid-move"); // the subtrees written under the new tenants, the old rows not deleted yet
        ts = System.nanoTime();
        writes.deleteUnderEach(t, rows, keys, current);
        metrics.timed("move-row-delete", ts);
        for (List<Object> k : keys) placement.movedAwayFrom(current.get(k)); // rows below them live under other tenants now
    }

    /** Rows of a table picked by a WHERE clause and its parameters (as text, in order). */
    private record Pick(String where, List<String> params) {}

    /**
     * The descendants of moved rows, set-based: per table below, one INSERT ... SELECT writes its
     * rows under the new tenant (parents first), and one DELETE removes the old ones (deepest
     * first). Each level is picked by a subquery on the level above under the old tenant: one
     * tenant, one shard group, so Citus routes every read to a single shard, and no row passes
     * through the sink (TOASTed values included). Per moved row, not per batch: seen on Citus
     * 13.2.2, joining all of a batch's moves as VALUES makes every statement multi-shard, and the
     * stream applied half as many changes per second (510 against 1,000 at 1,000 tx/s with moves).
     */
    private void moveDescendants(TargetTable parent, Pick moved, String from, String to) throws SQLException {
        TableRule pr = parent.rule();
        for (TableRule child : rules.values()) {
            TableRule.Hop hop = child.parent();
            if (hop == null || !hop.parentSchema().equals(pr.targetSchema()) || !hop.parentTable().equals(pr.targetTable())) continue;
            TargetTable ct = tables.get(child.source());
            String dist = child.distributionColumn();
            List<String> params = new ArrayList<>();
            params.add(from);
            params.addAll(moved.params());
            Pick mine = new Pick(Sql.ident(dist) + " = ?::" + ct.type(dist) + " AND (" + Sql.idents(hop.columns()) + ") IN (SELECT "
                    + Sql.idents(hop.parentColumns()) + " FROM " + pr.target() + " WHERE " + moved.where() + ")", params);
            List<String> cols = new ArrayList<>(ct.types().keySet());
            String insert = "INSERT INTO " + child.target() + " (" + Sql.idents(cols) + ") SELECT "
                    + cols.stream().map(c -> c.equals(dist) ? "?::" + ct.type(dist) : Sql.ident(c)).collect(java.util.stream.Collectors.joining(", "))
                    + " FROM " + child.target() + " WHERE " + mine.where();
            int n;
            long ts = System.nanoTime();
            try (PreparedStatement ps = target.prepareStatement(insert)) {
                ps.setString(1, to);
                for (int i = 0; i < mine.params().size(); i++) ps.setString(i + 2, mine.params().get(i));
                n = ps.executeUpdate();
            }
            metrics.moveStatements.incrementAndGet();
            metrics.timed("move-insert", ts);
            if (n == 0) continue; // nothing below it either
            moveDescendants(ct, mine, from, to);
            ts = System.nanoTime();
            try (PreparedStatement ps = target.prepareStatement("DELETE FROM " + child.target() + " WHERE " + mine.where())) {
                for (int i = 0; i < mine.params().size(); i++) ps.setString(i + 1, mine.params().get(i));
                ps.executeUpdate();
            }
            metrics.moveStatements.incrementAndGet();
            metrics.timed("move-delete", ts);
            counts.add(metrics.inserted, child.source(), n);
            counts.add(metrics.deleted, child.source(), n);
        }
    }
}
