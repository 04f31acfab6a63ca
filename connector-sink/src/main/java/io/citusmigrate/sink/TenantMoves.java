package io.citusmigrate.sink;

import io.citusmigrate.crash.CrashPoints;
import io.citusmigrate.sql.Sql;
import org.apache.kafka.connect.data.Struct;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Rows that tables below take their tenant key from, moving to other tenants: set-based, one
 * INSERT ... SELECT and one DELETE per table below for all of a batch's moves, in the writer's
 * transaction.
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
     * COPY), then their descendants, level by level (one INSERT ... SELECT per table below for the
     * whole batch), then the old rows are deleted, deepest first (one DELETE per table below, one
     * per old tenant for the moved rows). Foreign keys (tenant key, key) -> (tenant key, id) would
     * hold at every step.
     */
    void moveWithDescendants(TargetTable t, Map<List<Object>, PendingRow> rows, List<List<Object>> keys,
                             Map<List<Object>, String> tenant, Map<List<Object>, String> current) throws SQLException {
        List<PendingRow> moving = new ArrayList<>(keys.size());
        for (List<Object> k : keys) moving.add(rows.get(k));
        long ts = System.nanoTime();
        writes.copyOrUpsert(t, moving, tenant);
        metrics.timed("move-row", ts);
        boolean followed = moveDescendants(Level.moved(t, rows, keys, tenant, current));
        CrashPoints.reach("sink.mid-move"); // the subtrees written under the new tenants, the old rows not deleted yet
        ts = System.nanoTime();
        writes.delete(t, rows, keys, current); // each statement names one old tenant key: the new copies stay
        metrics.timed("move-row-delete", ts);
        // rows below them live under other tenants now: unless the caches followed each of them, distrust the old tenants
        if (!followed) for (List<Object> k : keys) placement.movedAwayFrom(current.get(k));
    }

    /**
     * The rows of one table that move, as a FROM clause: the table under alias p{depth}, joined on
     * the tenant key to its parent's level, and so on up to the moved rows, given as arrays
     * (m.f: the old tenant key, m.k0...: their key, m.t: the new tenant key). Every table is
     * joined on the distribution column and pruned to the old tenants' shards, so Citus runs each
     * statement on those shards in parallel; the rows never pass through the sink. With old
     * tenants on more than one shard Citus repartitions the rows between the workers: on Citus
     * 13.2.2 that took a fifth to a third less CPU than through the coordinator (measured with 10
     * campaigns and with 40 ads moving at once), so it is left to choose.
     */
    private record Level(TargetTable table, String alias, String joins, List<Object> joinParams, String where, List<Object> whereParams) {
        static Level moved(TargetTable t, Map<List<Object>, PendingRow> rows, List<List<Object>> keys, Map<List<Object>, String> tenant,
                           Map<List<Object>, String> current) {
            TableRule r = t.rule();
            String tenantKey = r.distributionColumn();
            String tenantKeyType = Sql.castType(t.type(tenantKey));
            List<String> froms = new ArrayList<>();
            List<String> tos = new ArrayList<>();
            List<List<String>> keyValues = new ArrayList<>();
            for (String ignored : r.key()) keyValues.add(new ArrayList<>());
            for (List<Object> k : keys) {
                froms.add(current.get(k));
                tos.add(tenant.get(k));
                Struct img = rows.get(k).last.image();
                for (int i = 0; i < r.key().size(); i++) {
                    String c = r.key().get(i);
                    keyValues.get(i).add(PgText.format(img.get(c), img.schema().field(c).schema(), t.type(c)));
                }
            }
            StringBuilder unnest = new StringBuilder(" JOIN unnest(?::").append(tenantKeyType).append("[]");
            StringBuilder names = new StringBuilder("f");
            StringBuilder on = new StringBuilder(" ON p0.").append(Sql.ident(tenantKey)).append(" = m.f");
            List<Object> params = new ArrayList<>();
            params.add(froms);
            for (int i = 0; i < r.key().size(); i++) {
                String c = r.key().get(i);
                unnest.append(", ?::").append(Sql.castType(t.type(c))).append("[]");
                names.append(", k").append(i);
                on.append(" AND p0.").append(Sql.ident(c)).append(" = m.k").append(i);
                params.add(keyValues.get(i));
            }
            unnest.append(", ?::").append(tenantKeyType).append("[]) AS m(").append(names).append(", t)");
            params.add(tos);
            return new Level(t, "p0", unnest.append(on).toString(), params,
                    "p0." + Sql.ident(tenantKey) + " = ANY (?::" + tenantKeyType + "[])", List.of(froms));
        }

        /** A table below this level: its rows whose foreign key leads to this level's rows. */
        Level child(TargetTable c) {
            TableRule.Hop hop = c.rule().parent();
            String mine = "p" + (Integer.parseInt(alias.substring(1)) + 1);
            String tenantKey = table.rule().distributionColumn();
            StringBuilder on = new StringBuilder(" JOIN ").append(table.rule().target()).append(' ').append(alias).append(" ON ")
                    .append(alias).append('.').append(Sql.ident(tenantKey)).append(" = ").append(mine).append('.').append(Sql.ident(c.rule().distributionColumn()));
            for (int i = 0; i < hop.columns().size(); i++) {
                on.append(" AND ").append(alias).append('.').append(Sql.ident(hop.parentColumns().get(i))).append(" = ")
                        .append(mine).append('.').append(Sql.ident(hop.columns().get(i)));
            }
            List<Object> wp = new ArrayList<>();
            wp.add(whereParams.get(0)); // the old tenant keys: every level lives under them
            wp.addAll(whereParams);
            return new Level(c, mine, on + joins, joinParams,
                    mine + "." + Sql.ident(c.rule().distributionColumn()) + " = ANY (?::" + Sql.castType(c.type(c.rule().distributionColumn())) + "[]) AND " + where, wp);
        }

        String from() {
            return " FROM " + table.rule().target() + " " + alias + joins + " WHERE " + where;
        }

        List<Object> params() {
            List<Object> out = new ArrayList<>(joinParams);
            out.addAll(whereParams);
            return out;
        }
    }

    /**
     * The descendants of the moved rows, set-based: per table below, one INSERT ... SELECT
     * writes its rows under the new tenant (parents first), and one DELETE removes the old ones
     * (deepest first), whatever the number of moved rows in the batch. Where their keys are of a
     * type the caches hold exactly (see {@link #exactKey}), the INSERT returns them and the
     * cached tenant keys follow the rows; returns whether that was so for every table below.
     */
    private boolean moveDescendants(Level parent) throws SQLException {
        TableRule pr = parent.table().rule();
        boolean followed = true;
        for (TableRule child : childrenOf(pr)) {
            TableRule.Hop hop = child.parent();
            TargetTable ct = tables.get(child.source());
            Level level = parent.child(ct);
            String tenantKey = child.distributionColumn();
            List<String> cols = new ArrayList<>(ct.types().keySet());
            List<TableRule.Hop> below = childrenOf(child).stream().map(TableRule::parent).toList();
            boolean follow = followable(ct, below);
            StringBuilder insert = new StringBuilder("INSERT INTO ").append(child.target()).append(" (").append(Sql.idents(cols)).append(") SELECT ")
                    .append(cols.stream().map(c -> c.equals(tenantKey) ? "m.t" : level.alias() + "." + Sql.ident(c)).collect(java.util.stream.Collectors.joining(", ")))
                    .append(level.from());
            if (follow) {
                // the moved rows' keys, and the keys their own children point at, with their new tenant key
                insert.append(" RETURNING ").append(Sql.ident(tenantKey)).append("::text");
                for (String c : child.key()) insert.append(", ").append(Sql.ident(c)).append("::text");
                for (TableRule.Hop h : below) for (String c : h.parentColumns()) insert.append(", ").append(Sql.ident(c)).append("::text");
            }
            int n = 0;
            long ts = System.nanoTime();
            try (PreparedStatement ps = target.prepareStatement(insert.toString())) {
                bind(ps, 1, level.params());
                if (!follow) {
                    n = ps.executeUpdate();
                } else {
                    List<String> keyTypes = child.key().stream().map(c -> baseName(ct.baseTypes().get(c))).toList();
                    try (java.sql.ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            n++;
                            String newTenant = rs.getString(1);
                            int col = 2;
                            List<Object> key = new ArrayList<>(keyTypes.size());
                            for (String type : keyTypes) key.add(exactKey(type, rs.getString(col++)));
                            placement.carried(child, key, newTenant);
                            for (TableRule.Hop h : below) {
                                List<String> pk = new ArrayList<>(h.parentColumns().size());
                                for (String ignored : h.parentColumns()) pk.add(rs.getString(col++));
                                placement.carriedParent(child.target(), pk, newTenant);
                            }
                        }
                    }
                }
            }
            metrics.moveStatements.incrementAndGet();
            metrics.timed("move-insert", ts);
            followed &= follow;
            if (n == 0) continue; // nothing below it either
            followed &= moveDescendants(level);
            ts = System.nanoTime();
            StringBuilder picked = new StringBuilder(parent.alias()).append('.').append(Sql.ident(pr.distributionColumn()));
            for (String c : hop.parentColumns()) picked.append(", ").append(parent.alias()).append('.').append(Sql.ident(c));
            String delete = "DELETE FROM " + child.target() + " WHERE " + Sql.ident(tenantKey) + " = ANY (?::" + Sql.castType(ct.type(tenantKey)) + "[]) AND ("
                    + Sql.ident(tenantKey) + ", " + Sql.idents(hop.columns()) + ") IN (SELECT " + picked + parent.from() + ")";
            try (PreparedStatement ps = target.prepareStatement(delete)) {
                List<Object> params = new ArrayList<>();
                params.add(level.whereParams().get(0));
                params.addAll(parent.params());
                bind(ps, 1, params);
                ps.executeUpdate();
            }
            metrics.moveStatements.incrementAndGet();
            metrics.timed("move-delete", ts);
            counts.add(metrics.inserted, child.source(), n);
            counts.add(metrics.deleted, child.source(), n);
        }
        return followed;
    }

    /** The tables that take their tenant key from this one. */
    private List<TableRule> childrenOf(TableRule r) {
        List<TableRule> out = new ArrayList<>();
        for (TableRule c : rules.values()) {
            TableRule.Hop h = c.parent();
            if (h != null && h.parentSchema().equals(r.targetSchema()) && h.parentTable().equals(r.targetTable())) out.add(c);
        }
        return out;
    }

    /** Whether the caches can follow this table's moved rows: its tenant key, key and the columns its children point at are all exact. */
    private static boolean followable(TargetTable t, List<TableRule.Hop> below) {
        List<String> cols = new ArrayList<>(t.rule().key());
        cols.add(t.rule().distributionColumn());
        for (TableRule.Hop h : below) cols.addAll(h.parentColumns());
        for (String c : cols) if (!EXACT.contains(baseName(t.baseTypes().get(c)))) return false;
        return true;
    }

    /**
     * Types whose text PostgreSQL prints exactly as the sink's caches hold them (PgText writes
     * them the same way, and Debezium gives them as Long, Integer, Short or String): a moved row's
     * key read back as text names the same cache entry. Other types fall back to distrusting what
     * is cached under the old tenant keys for the rest of the batch.
     */
    private static final java.util.Set<String> EXACT = java.util.Set.of("bigint", "integer", "smallint", "text", "character varying", "uuid");

    private static String baseName(String type) {
        if (type == null) return "";
        int paren = type.indexOf('(');
        return paren < 0 ? type : type.substring(0, paren);
    }

    /** A key column's text as the events carry the value ({@code type}: its base name, see {@link #EXACT}). */
    private static Object exactKey(String type, String text) {
        if (text == null) return null;
        return switch (type) {
            case "bigint" -> Long.valueOf(text);
            case "integer" -> Integer.valueOf(text);
            case "smallint" -> Short.valueOf(text);
            default -> text;
        };
    }

    /** Parameters in order: arrays of text values (cast in the statement), or text. */
    private void bind(PreparedStatement ps, int from, List<Object> params) throws SQLException {
        int i = from;
        for (Object p : params) {
            if (p instanceof List<?> l) ps.setArray(i++, target.createArrayOf("text", l.toArray()));
            else ps.setString(i++, (String) p);
        }
    }
}
