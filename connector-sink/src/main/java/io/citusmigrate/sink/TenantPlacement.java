package io.citusmigrate.sink;

import org.apache.kafka.connect.data.Struct;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Where each row of a batch goes and where it lives now: its new tenant key (its own
 * distribution column, or its parent's, found through cached foreign-key lookups on the target
 * or the source), and the tenant key it has on the target now (a row that changes it moves).
 */
final class TenantPlacement {
    private final Connection target;
    private final Connection source;
    private final Map<String, TableRule> rules;
    private final Map<String, TargetTable> tables;
    private final TenantResolver resolver;
    private final SinkMetrics metrics;
    /** The tenant key each row was last written under, by table and row key. */
    private final Lru<List<Object>, String> rowTenants;
    /**
     * Tenant keys that rows moved away from in this batch (a parent changed tenant, its subtree
     * with it): cached answers naming them are asked again, and forgotten when the batch ends.
     */
    private final Set<String> movedFrom = new HashSet<>();

    TenantPlacement(Connection target, Connection source, Map<String, TableRule> rules, Map<String, TargetTable> tables, int cacheSize,
                    SinkMetrics metrics) {
        this.target = target;
        this.source = source;
        this.rules = rules;
        this.tables = tables;
        this.metrics = metrics;
        this.resolver = new TenantResolver(cacheSize, metrics, movedFrom);
        this.rowTenants = new Lru<>(cacheSize);
    }

    /** The tenant key of each row's final state; rows that have none (yet) go to {@code unresolved}. */
    Map<List<Object>, String> newTenants(TargetTable t, Map<List<Object>, PendingRow> rows, List<CitusWriter.Unresolved> unresolved)
            throws SQLException {
        TableRule r = t.rule();
        String tenantKey = r.distributionColumn();
        Map<List<Object>, String> tenant = new HashMap<>();
        if (r.tenantValue() != null) {
            // a tenant schema's share of a consolidated table: every row its schema's tenant key
            for (Map.Entry<List<Object>, PendingRow> e : rows.entrySet()) if (e.getValue().last.after() != null) tenant.put(e.getKey(), r.tenantValue());
            return tenant;
        }
        if (tenantKey != null) {
            if (r.tenantAdded()) {
                Map<List<Object>, List<String>> parentKeys = new HashMap<>();
                for (Map.Entry<List<Object>, PendingRow> e : rows.entrySet()) {
                    ChangeEvent ev = e.getValue().last;
                    if (ev.after() == null) continue;
                    List<String> pk = new ArrayList<>();
                    boolean nul = false;
                    for (String c : r.parent().columns()) {
                        String v = PgText.format(ev.after().get(c), ev.after().schema().field(c).schema(), t.type(c));
                        if (v == null) nul = true;
                        pk.add(v);
                    }
                    if (nul) unresolved.add(new CitusWriter.Unresolved(ev, r.source() + ": " + String.join(", ", r.parent().columns())
                            + " is NULL: no path to a tenant", true));
                    else parentKeys.put(e.getKey(), pk);
                }
                TargetTable parentTable = tableByTarget(r.parent().parentSchema(), r.parent().parentTable());
                long ts = System.nanoTime();
                Map<List<String>, String> found = resolver.resolve(r, new LinkedHashSet<>(parentKeys.values()), target, source,
                        c -> parentTable == null ? null : parentTable.type(c));
                metrics.timed("resolve", ts);
                for (Map.Entry<List<Object>, List<String>> e : parentKeys.entrySet()) {
                    String ten = found.get(e.getValue());
                    if (ten == null) {
                        unresolved.add(new CitusWriter.Unresolved(rows.get(e.getKey()).last, r.source() + ": no row in " + r.parent().parentTable()
                                + " with " + String.join(", ", r.parent().parentColumns()) + " = " + String.join(", ", e.getValue())
                                + (source != null && r.sourcePath() != null && !r.sourcePath().isEmpty() ? ", on the target or the source"
                                : " on the target yet")));
                    } else {
                        tenant.put(e.getKey(), ten);
                    }
                }
            } else {
                for (Map.Entry<List<Object>, PendingRow> e : rows.entrySet()) {
                    ChangeEvent ev = e.getValue().last;
                    if (ev.after() == null) continue;
                    String v = PgText.format(ev.after().get(tenantKey), ev.after().schema().field(tenantKey).schema(), t.type(tenantKey));
                    if (v == null) unresolved.add(new CitusWriter.Unresolved(ev, r.source() + ": " + tenantKey + " is NULL", true));
                    else tenant.put(e.getKey(), v);
                }
            }
        }
        return tenant;
    }

    /** The tenant key rows that may be on the target already live under now. */
    Map<List<Object>, String> currentTenants(TargetTable t, Map<List<Object>, PendingRow> rows) throws SQLException {
        TableRule r = t.rule();
        String tenantKey = r.distributionColumn();

        // where rows that may already exist live now: their current tenant key
        Map<List<Object>, String> current = new HashMap<>();
        if (r.tenantValue() != null) {
            // a share's rows never leave its tenant: ids repeat across tenants, so nothing is looked up by key alone
            for (Map.Entry<List<Object>, PendingRow> e : rows.entrySet()) if (!e.getValue().insertOnly) current.put(e.getKey(), r.tenantValue());
            return current;
        }
        if (tenantKey != null) {
            List<List<Object>> ask = new ArrayList<>();
            int inKey = r.key().indexOf(tenantKey);
            for (Map.Entry<List<Object>, PendingRow> e : rows.entrySet()) {
                if (e.getValue().insertOnly) continue;
                if (inKey >= 0) {
                    // the tenant key is part of the row key: a row cannot move without a new key
                    Struct img = e.getValue().last.image();
                    current.put(e.getKey(), PgText.format(img.get(tenantKey), img.schema().field(tenantKey).schema(), t.type(tenantKey)));
                    continue;
                }
                // Not from the before image: under the default replica identity it carries the key
                // only, and Debezium fills a NOT NULL tenant key with 0, a tenant that is not the row's.
                String known = rowTenants.get(rowKey(r, e.getKey()));
                if (known != null && !movedFrom.contains(known)) current.put(e.getKey(), known);
                else if (!deletedByKeyAlone(r, e.getValue()) && !placedByUpsert(t, e.getValue())) ask.add(e.getKey());
            }
            if (!ask.isEmpty()) {
                long ts = System.nanoTime();
                current.putAll(currentTenants(t, rows, ask));
                metrics.timed("current", ts);
            }
        }
        return current;
    }

    /**
     * A delete whose tenant key is not known is written by its key alone, on every shard (see
     * {@link RowWrites#deleteByKeyAlone}): asking where the row lives first would cost the same
     * multi-shard probe, and a round trip more.
     */
    static boolean deletedByKeyAlone(TableRule r, PendingRow p) {
        return r.tenantValue() == null && p.last.after() == null && r.key().size() == 1 && !r.key().contains(r.distributionColumn());
    }

    /**
     * A changed row whose place the upsert that writes it finds: a table with no children (a move
     * carries no subtree along), one key column, a row image with every value. It is upserted
     * under its new tenant key, and only where that inserted it, so that it was elsewhere or
     * nowhere, is a copy under another tenant key deleted ({@link RowWrites#deleteElsewhere}).
     * Asking first where each row lives took a multi-shard probe of every key per batch: about
     * 1 s for 16,384 rows of one large UPDATE on Citus 13.2.2 (benchmark/RESULTS.md, 2026-12-06).
     */
    static boolean placedByUpsert(TargetTable t, PendingRow p) {
        TableRule r = t.rule();
        if (r.tenantValue() != null || r.hasChildren() || r.key().size() != 1 || r.key().contains(r.distributionColumn()) || p.insertOnly) return false;
        Struct a = p.last.after();
        if (a == null) return false;
        for (org.apache.kafka.connect.data.Field f : a.schema().fields()) {
            if (t.type(f.name()) != null && PgText.isUnavailable(a.get(f))) return false;
        }
        return true;
    }

    /** After a batch's writes: the rows' tenant keys, for their own next changes and for their children. */
    void remember(TargetTable t, Map<List<Object>, PendingRow> rows, Map<List<Object>, String> tenant) {
        for (Map.Entry<List<Object>, String> e : tenant.entrySet()) rowTenants.put(rowKey(t.rule(), e.getKey()), e.getValue());
        rememberForChildren(t, rows, tenant);
    }

    /** A row a parent's move carried to another tenant (its key as the events give it): a cached tenant key follows it. */
    void carried(TableRule r, List<Object> key, String tenant) {
        rowTenants.replace(rowKey(r, key), tenant);
    }

    /** The same for the tenant key its children find through it ({@code key}: the columns they point at, as text). */
    void carriedParent(String table, List<String> key, String tenant) {
        resolver.replace(table, key, tenant);
    }

    /** Rows below a moved row live under another tenant now: what is cached under the old one is not trusted. */
    void movedAwayFrom(String tenant) {
        movedFrom.add(tenant);
    }

    /** The batch ends: cached entries under tenant keys rows moved away from go (one pass per batch that moved rows). */
    void batchEnded() {
        if (movedFrom.isEmpty()) return;
        rowTenants.values().removeIf(movedFrom::contains);
        resolver.forgetTenants(movedFrom);
        movedFrom.clear();
    }

    /** Another task moved rows, or a batch rolled back: nothing cached of tenant keys holds any more. */
    void forgetAll() {
        rowTenants.clear();
        resolver.forgetAll();
        movedFrom.clear();
    }

    private void rememberForChildren(TargetTable t, Map<List<Object>, PendingRow> rows, Map<List<Object>, String> tenant) {
        TableRule r = t.rule();
        if (r.distributionColumn() == null) return;
        for (TableRule child : rules.values()) {
            if (child.parent() == null || !child.parent().parentSchema().equals(r.targetSchema())
                    || !child.parent().parentTable().equals(r.targetTable())) continue;
            for (Map.Entry<List<Object>, PendingRow> e : rows.entrySet()) {
                Struct a = e.getValue().last.after();
                String ten = tenant.get(e.getKey());
                if (a == null || ten == null) continue;
                List<String> k = new ArrayList<>();
                for (String c : child.parent().parentColumns()) k.add(PgText.format(a.get(c), a.schema().field(c).schema(), t.type(c)));
                resolver.remember(r.target(), k, ten);
            }
        }
    }

    /** One query per batch: where each row lives now (multi-shard on Citus, by key). */
    private Map<List<Object>, String> currentTenants(TargetTable t, Map<List<Object>, PendingRow> rows, List<List<Object>> keys) throws SQLException {
        metrics.lookupQueries.incrementAndGet();
        Map<List<Object>, String> out = new HashMap<>();
        RowQueries.byKey(target, t.rule().target(), t, rows, keys, List.of(t.rule().distributionColumn())).forEach((k, v) -> out.put(k, v[0]));
        return out;
    }

    private static List<Object> rowKey(TableRule r, List<Object> key) {
        List<Object> k = new ArrayList<>(key.size() + 1);
        k.add(r.source());
        k.addAll(key);
        return k;
    }

    private TargetTable tableByTarget(String schema, String table) {
        return tables.values().stream().filter(x -> x.rule().targetSchema().equals(schema) && x.rule().targetTable().equals(table))
                .findFirst().orElse(null);
    }
}
