package io.citusmigrate.sink;

import io.citusmigrate.sql.Sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Finds the tenant key of rows whose table gained the column: one hop along the foreign key on
 * the target (the parent already carries the key), behind a bounded cache. Lookups are batched:
 * one query per batch per parent table, never one per row. A parent that is not on the target
 * yet is looked up on the source along the plan's path, batched the same way.
 */
final class TenantResolver {
    private final Map<String, Lru<List<String>, String>> cache = new HashMap<>();
    private final int cacheSize;
    private final SinkMetrics metrics;
    /** Tenant keys rows moved away from in this batch: a cached answer naming one is asked again. */
    private final Set<String> movedFrom;

    TenantResolver(int cacheSize, SinkMetrics metrics, Set<String> movedFrom) {
        this.cacheSize = cacheSize;
        this.metrics = metrics;
        this.movedFrom = movedFrom;
    }

    private Lru<List<String>, String> cacheOf(String parent) {
        return cache.computeIfAbsent(parent, k -> new Lru<>(cacheSize));
    }

    /** Rows moved away from these tenant keys: what is cached under them may be stale. */
    void forgetTenants(Set<String> tenants) {
        for (Lru<List<String>, String> c : cache.values()) c.values().removeIf(tenants::contains);
    }

    void forgetAll() {
        cache.clear();
    }

    /** A cached row moved to another tenant: its entry follows (nothing is added). */
    void replace(String table, List<String> key, String tenant) {
        Lru<List<String>, String> c = cache.get(table);
        if (c != null) c.replace(key, tenant);
    }

    /** A row just written: its children may ask for its tenant key. */
    void remember(String table, List<String> key, String tenant) {
        cacheOf(table).put(key, tenant);
    }

    /**
     * Tenant keys for the given parent keys (values of the child's foreign-key columns, as text).
     * Keys that cannot be resolved are absent from the result.
     */
    Map<List<String>, String> resolve(TableRule child, Collection<List<String>> keys, Connection target, Connection source,
                                      Function<String, String> parentColumnType) throws SQLException {
        TableRule.Hop hop = child.parent();
        String parent = Sql.ident(hop.parentSchema()) + "." + Sql.ident(hop.parentTable());
        Lru<List<String>, String> c = cacheOf(parent);
        Map<List<String>, String> out = new HashMap<>();
        Set<List<String>> missing = new LinkedHashSet<>();
        for (List<String> k : keys) {
            metrics.lookups.incrementAndGet();
            String t = c.get(k);
            if (t != null && !movedFrom.contains(t)) {
                out.put(k, t);
                metrics.cacheHits.incrementAndGet();
            } else {
                missing.add(k);
            }
        }
        if (!missing.isEmpty()) {
            lookup(target, parent, hop.parentColumns(), "p." + Sql.ident(child.distributionColumn()), "", missing, parentColumnType, out, c);
        }
        missing.removeAll(out.keySet());
        if (!missing.isEmpty() && source != null && child.sourcePath() != null && child.sourcePath().size() > 0) {
            sourceLookup(child, source, missing, parentColumnType, out, c);
        }
        return out;
    }

    private void lookup(Connection conn, String from, List<String> cols, String tenant, String joins, Set<List<String>> keys,
                        Function<String, String> type, Map<List<String>, String> out, Lru<List<String>, String> c) throws SQLException {
        List<List<String>> list = new ArrayList<>(keys);
        String alias = joins.isEmpty() ? "p" : "p0";
        StringBuilder sql = new StringBuilder("SELECT ");
        for (String col : cols) sql.append(alias).append('.').append(Sql.ident(col)).append("::text, ");
        sql.append(tenant).append("::text FROM ").append(from).append(' ').append(alias).append(joins).append(" WHERE (");
        for (int i = 0; i < cols.size(); i++) sql.append(i > 0 ? ", " : "").append(alias).append('.').append(Sql.ident(cols.get(i)));
        sql.append(") IN (");
        for (int r = 0; r < list.size(); r++) {
            sql.append(r > 0 ? ", " : "").append('(');
            for (int i = 0; i < cols.size(); i++) {
                String t = type.apply(cols.get(i));
                sql.append(i > 0 ? ", " : "").append(t == null ? "?" : "?::" + t);
            }
            sql.append(')');
        }
        sql.append(')');
        metrics.lookupQueries.incrementAndGet();
        try (PreparedStatement ps = conn.prepareStatement(sql.toString())) {
            int n = 1;
            for (List<String> k : list) for (String v : k) ps.setString(n++, v);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> k = new ArrayList<>(cols.size());
                    for (int i = 1; i <= cols.size(); i++) k.add(rs.getString(i));
                    String t = rs.getString(cols.size() + 1);
                    if (t == null) continue; // the parent is an orphan itself
                    out.put(k, t);
                    c.put(k, t);
                }
            }
        }
    }

    /** Along the source path, skipping the first hop (its parent is what the keys point at). */
    private void sourceLookup(TableRule child, Connection source, Set<List<String>> keys, Function<String, String> type,
                              Map<List<String>, String> out, Lru<List<String>, String> c) throws SQLException {
        List<TableRule.Hop> path = child.sourcePath();
        TableRule.Hop first = path.get(0);
        String from = Sql.ident(first.parentSchema()) + "." + Sql.ident(first.parentTable());
        StringBuilder joins = new StringBuilder();
        for (int i = 1; i < path.size(); i++) {
            TableRule.Hop h = path.get(i);
            joins.append(" JOIN ").append(Sql.ident(h.parentSchema())).append('.').append(Sql.ident(h.parentTable())).append(" p").append(i)
                    .append(" ON ");
            for (int k = 0; k < h.columns().size(); k++) {
                joins.append(k > 0 ? " AND " : "").append('p').append(i).append('.').append(Sql.ident(h.parentColumns().get(k)))
                        .append(" = p").append(i - 1).append('.').append(Sql.ident(h.columns().get(k)));
            }
        }
        String tenant = "p" + (path.size() - 1) + "." + Sql.ident(child.distributionColumn());
        metrics.sourceLookups.incrementAndGet();
        lookup(source, from, first.parentColumns(), tenant, joins.length() == 0 ? " " : joins.toString(), keys, type, out, c);
    }
}
