package io.citusmigrate.sink;

import io.citusmigrate.ddl.Sql;
import org.apache.kafka.common.TopicPartition;
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
 * Buffers change events per table, reduced per row key (the last change of a row wins), and
 * writes them in one target transaction together with the Kafka and source positions they
 * came from: exactly-once effect. Per table: deletes first (and rows that move tenant), then
 * inserts by COPY and updates by batched upserts on the target primary key. Parent tables are
 * written before their children.
 */
public final class CitusWriter {
    static final String BOOKKEEPING_SCHEMA = "citus_migrate";
    static final String BOOKKEEPING = BOOKKEEPING_SCHEMA + ".sink_offsets";

    /** A row whose tenant key cannot be found (yet). */
    public record Unresolved(ChangeEvent event, String reason) {}

    private final Connection target;
    private final Connection source;
    private final String sinkName;
    private final Map<String, TableRule> rules;
    private final Map<String, TargetTable> tables = new HashMap<>();
    private final Map<String, Map<List<Object>, Pending>> buffers = new LinkedHashMap<>();
    private final Map<TopicPartition, ChangeEvent> positions = new HashMap<>();
    private final TenantResolver resolver;
    private final SinkMetrics metrics;
    private final Lru<List<Object>, String> rowTenants;
    private int size;
    /** Row counts of the transaction under way: they reach the metrics only once it commits, so a retried batch counts once. */
    private final List<Runnable> countsOnCommit = new ArrayList<>();

    /** The final state of one row in the buffer. */
    private static final class Pending {
        ChangeEvent last;
        boolean insertOnly = true;
    }

    public CitusWriter(Connection target, Connection source, String sinkName, Map<String, TableRule> rules, int cacheSize, SinkMetrics metrics)
            throws SQLException {
        this.target = target;
        this.source = source;
        this.sinkName = sinkName;
        this.rules = rules;
        this.metrics = metrics;
        this.resolver = new TenantResolver(cacheSize, metrics);
        this.rowTenants = new Lru<>(cacheSize);
        target.setAutoCommit(false);
        for (TableRule r : rules.values()) {
            tables.put(r.source(), TargetTable.read(target, r));
            buffers.put(r.source(), new LinkedHashMap<>());
        }
        target.commit();
    }

    /** Creates the bookkeeping table if needed and returns the positions already applied. */
    public static Map<TopicPartition, Long> applied(Connection target, String sinkName) throws SQLException {
        try (Statement s = target.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS " + BOOKKEEPING_SCHEMA);
            s.execute("CREATE TABLE IF NOT EXISTS " + BOOKKEEPING + " (sink text, topic text, kafka_partition int, kafka_offset bigint NOT NULL,"
                    + " lsn bigint, tx_id bigint, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (sink, topic, kafka_partition))");
        }
        Map<TopicPartition, Long> out = new HashMap<>();
        try (PreparedStatement ps = target.prepareStatement("SELECT topic, kafka_partition, kafka_offset FROM " + BOOKKEEPING + " WHERE sink = ?")) {
            ps.setString(1, sinkName);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.put(new TopicPartition(rs.getString(1), rs.getInt(2)), rs.getLong(3));
            }
        }
        if (!target.getAutoCommit()) target.commit();
        return out;
    }

    public int size() {
        return size;
    }

    public void add(ChangeEvent e) {
        Map<List<Object>, Pending> b = buffers.get(e.rule().source());
        Pending p = b.get(e.key());
        if (p == null) {
            p = new Pending();
            b.put(e.key(), p);
            size++;
        }
        if (e.op() != 'c' && e.op() != 'r') p.insertOnly = false;
        p.last = e;
        positions.put(new TopicPartition(e.topic(), e.partition()), e);
    }

    /**
     * Writes everything buffered and the positions in one transaction. Rows that cannot be
     * placed are returned (and not written); the caller retries or reports them.
     */
    public List<Unresolved> flush() throws SQLException {
        if (size == 0) return List.of();
        List<Unresolved> unresolved = new ArrayList<>();
        try {
            for (TableRule r : rules.values()) {
                Map<List<Object>, Pending> b = buffers.get(r.source());
                if (!b.isEmpty()) write(tables.get(r.source()), b, unresolved);
            }
            if (!unresolved.isEmpty()) {
                target.rollback();
                countsOnCommit.clear();
                return unresolved;
            }
            savePositions();
            target.commit();
            countsOnCommit.forEach(Runnable::run);
            countsOnCommit.clear();
        } catch (SQLException | RuntimeException e) {
            countsOnCommit.clear();
            try {
                target.rollback();
            } catch (SQLException ignored) {
                // the original error is the one to report
            }
            throw e;
        }
        metrics.batches.incrementAndGet();
        metrics.batchRows.addAndGet(size);
        buffers.values().forEach(Map::clear);
        size = 0;
        return List.of();
    }

    private void counted(Map<String, java.util.concurrent.atomic.AtomicLong> counter, String table, long n) {
        countsOnCommit.add(() -> SinkMetrics.add(counter, table, n));
    }

    /** Drops buffered rows (reported elsewhere) so that the rest can be written. */
    public void discard(List<Unresolved> rows) {
        for (Unresolved u : rows) {
            if (buffers.get(u.event().rule().source()).remove(u.event().key()) != null) size--;
        }
    }

    /** The next offsets to consume of what has been written, per topic partition. */
    public Map<TopicPartition, Long> positionsWritten() {
        return written;
    }

    private final Map<TopicPartition, Long> written = new HashMap<>();

    private void savePositions() throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + BOOKKEEPING
                + " (sink, topic, kafka_partition, kafka_offset, lsn, tx_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, now())"
                + " ON CONFLICT (sink, topic, kafka_partition) DO UPDATE SET kafka_offset = EXCLUDED.kafka_offset,"
                + " lsn = EXCLUDED.lsn, tx_id = EXCLUDED.tx_id, updated_at = now()")) {
            for (Map.Entry<TopicPartition, ChangeEvent> e : positions.entrySet()) {
                ps.setString(1, sinkName);
                ps.setString(2, e.getKey().topic());
                ps.setInt(3, e.getKey().partition());
                ps.setLong(4, e.getValue().offset());
                ps.setLong(5, e.getValue().lsn());
                if (e.getValue().txId() == null) ps.setNull(6, java.sql.Types.BIGINT);
                else ps.setLong(6, e.getValue().txId());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        positions.forEach((tp, e) -> written.put(tp, e.offset() + 1));
        positions.clear();
    }

    // ---- one table ----------------------------------------------------------------------

    private void write(TargetTable t, Map<List<Object>, Pending> rows, List<Unresolved> unresolved) throws SQLException {
        TableRule r = t.rule();
        String dist = r.distributionColumn();
        // the tenant key of each row's final state
        Map<List<Object>, String> tenant = new HashMap<>();
        if (dist != null) {
            if (r.tenantAdded()) {
                Map<List<Object>, List<String>> parentKeys = new HashMap<>();
                for (Map.Entry<List<Object>, Pending> e : rows.entrySet()) {
                    ChangeEvent ev = e.getValue().last;
                    if (ev.after() == null) continue;
                    List<String> pk = new ArrayList<>();
                    boolean nul = false;
                    for (String c : r.parent().columns()) {
                        String v = PgText.format(ev.after().get(c), ev.after().schema().field(c).schema(), t.type(c));
                        if (v == null) nul = true;
                        pk.add(v);
                    }
                    if (nul) unresolved.add(new Unresolved(ev, r.source() + ": " + String.join(", ", r.parent().columns())
                            + " is NULL: no path to a tenant"));
                    else parentKeys.put(e.getKey(), pk);
                }
                TargetTable parentTable = tableByTarget(r.parent().parentSchema(), r.parent().parentTable());
                Map<List<String>, String> found = resolver.resolve(r, new LinkedHashSet<>(parentKeys.values()), target, source,
                        c -> parentTable == null ? null : parentTable.type(c));
                for (Map.Entry<List<Object>, List<String>> e : parentKeys.entrySet()) {
                    String ten = found.get(e.getValue());
                    if (ten == null) {
                        unresolved.add(new Unresolved(rows.get(e.getKey()).last, r.source() + ": no row in " + r.parent().parentTable()
                                + " with " + String.join(", ", r.parent().parentColumns()) + " = " + String.join(", ", e.getValue())
                                + ", on the target or the source"));
                    } else {
                        tenant.put(e.getKey(), ten);
                    }
                }
            } else {
                for (Map.Entry<List<Object>, Pending> e : rows.entrySet()) {
                    ChangeEvent ev = e.getValue().last;
                    if (ev.after() == null) continue;
                    String v = PgText.format(ev.after().get(dist), ev.after().schema().field(dist).schema(), t.type(dist));
                    if (v == null) unresolved.add(new Unresolved(ev, r.source() + ": " + dist + " is NULL"));
                    else tenant.put(e.getKey(), v);
                }
            }
        }
        if (!unresolved.isEmpty()) return;
        rereadFromSource(t, rows);

        // where rows that may already exist live now: their current tenant key
        Map<List<Object>, String> current = new HashMap<>();
        if (dist != null) {
            List<List<Object>> ask = new ArrayList<>();
            int inKey = r.key().indexOf(dist);
            for (Map.Entry<List<Object>, Pending> e : rows.entrySet()) {
                if (e.getValue().insertOnly) continue;
                if (inKey >= 0) {
                    // the tenant key is part of the row key: a row cannot move without a new key
                    Struct img = e.getValue().last.image();
                    current.put(e.getKey(), PgText.format(img.get(dist), img.schema().field(dist).schema(), t.type(dist)));
                    continue;
                }
                // Not from the before image: under the default replica identity it carries the key
                // only, and Debezium fills a NOT NULL tenant column with 0, a tenant that is not the row's.
                String known = rowTenants.get(rowKey(r, e.getKey()));
                if (known != null) current.put(e.getKey(), known);
                else ask.add(e.getKey());
            }
            if (!ask.isEmpty()) current.putAll(currentTenants(t, ask));
        }
        fillUnavailable(t, rows, current, tenant);

        List<List<Object>> deletes = new ArrayList<>();
        List<List<Object>> moves = new ArrayList<>();
        List<Pending> inserts = new ArrayList<>();
        List<Pending> upserts = new ArrayList<>();
        for (Map.Entry<List<Object>, Pending> e : rows.entrySet()) {
            Pending p = e.getValue();
            String now = current.get(e.getKey());
            if (p.last.after() == null) {
                if (dist == null || now != null) deletes.add(e.getKey());
                continue;
            }
            String next = tenant.get(e.getKey());
            if (dist != null && now != null && !now.equals(next)) {
                if (r.hasChildren()) {
                    moves.add(e.getKey()); // its descendants move with it, below
                    continue;
                }
                deletes.add(e.getKey()); // Citus cannot change the distribution column in place
                inserts.add(p);
            } else if (p.insertOnly) {
                inserts.add(p);
            } else {
                upserts.add(p);
            }
        }
        if (!deletes.isEmpty()) delete(t, deletes, current);
        if (!inserts.isEmpty()) copyOrUpsert(t, inserts, tenant);
        if (!upserts.isEmpty()) upsert(t, upserts, tenant);
        if (!moves.isEmpty()) {
            try (Statement s = target.createStatement()) {
                // once per batch that moves rows: each subtree goes to one shard, and through the coordinator is about
                // twice as fast as Citus's repartitioned INSERT ... SELECT, which touches every shard (seen on Citus 13.2.2)
                s.execute("SET LOCAL citus.enable_repartitioned_insert_select = off");
            }
        }
        for (List<Object> k : moves) moveWithDescendants(t, rows.get(k), k, current.get(k), tenant.get(k), tenant, current);
        counted(metrics.deleted, r.source(), moves.size());
        counted(metrics.inserted, r.source(), moves.size());
        counted(metrics.deleted, r.source(), deletes.size());
        counted(metrics.inserted, r.source(), inserts.size());
        counted(metrics.upserted, r.source(), upserts.size());
        // children of this table find their tenant key here; deletes need it later
        for (Map.Entry<List<Object>, String> e : tenant.entrySet()) rowTenants.put(rowKey(r, e.getKey()), e.getValue());
        rememberForChildren(t, rows, tenant);
    }

    private void rememberForChildren(TargetTable t, Map<List<Object>, Pending> rows, Map<List<Object>, String> tenant) {
        TableRule r = t.rule();
        if (r.distributionColumn() == null) return;
        for (TableRule child : rules.values()) {
            if (child.parent() == null || !child.parent().parentSchema().equals(r.targetSchema())
                    || !child.parent().parentTable().equals(r.targetTable())) continue;
            for (Map.Entry<List<Object>, Pending> e : rows.entrySet()) {
                Struct a = e.getValue().last.after();
                String ten = tenant.get(e.getKey());
                if (a == null || ten == null) continue;
                List<String> k = new ArrayList<>();
                for (String c : child.parent().parentColumns()) k.add(PgText.format(a.get(c), a.schema().field(c).schema(), t.type(c)));
                resolver.remember(r.target(), k, ten);
            }
        }
    }

    /**
     * A row that tables below take their tenant key from moves to another tenant: Citus cannot
     * change a distribution column in place, so the row is written under the new tenant, then
     * its descendants, level by level, then the old rows are deleted, deepest first. Foreign keys
     * (tenant key, key) -> (tenant key, id) hold at every step.
     */
    private void moveWithDescendants(TargetTable t, Pending p, List<Object> key, String from, String to,
                                     Map<List<Object>, String> tenant, Map<List<Object>, String> current) throws SQLException {
        copyOrUpsert(t, List.of(p), tenant);
        TableRule r = t.rule();
        List<String> params = new ArrayList<>();
        params.add(from);
        Struct img = p.last.image();
        for (String k : r.key()) params.add(PgText.format(img.get(k), img.schema().field(k).schema(), t.type(k)));
        String dist = r.distributionColumn();
        moveDescendants(t, new Pick(Sql.ident(dist) + " = ?::" + t.type(dist) + " AND " + keyParams(t, ""), params), from, to);
        delete(t, List.of(key), current);
        rowTenants.clear(); // rows below it live under another tenant now
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
            try (PreparedStatement ps = target.prepareStatement(insert)) {
                ps.setString(1, to);
                for (int i = 0; i < mine.params().size(); i++) ps.setString(i + 2, mine.params().get(i));
                n = ps.executeUpdate();
            }
            metrics.moveStatements.incrementAndGet();
            if (n == 0) continue; // nothing below it either
            moveDescendants(ct, mine, from, to);
            try (PreparedStatement ps = target.prepareStatement("DELETE FROM " + child.target() + " WHERE " + mine.where())) {
                for (int i = 0; i < mine.params().size(); i++) ps.setString(i + 1, mine.params().get(i));
                ps.executeUpdate();
            }
            metrics.moveStatements.incrementAndGet();
            // lookups through its rows must find the new tenant, not a cached old one
            resolver.forget(child.target());
            counted(metrics.inserted, child.source(), n);
            counted(metrics.deleted, child.source(), n);
        }
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

    private String keyParams(TargetTable t, String alias) {
        StringBuilder b = new StringBuilder();
        for (String k : t.rule().key()) {
            b.append(b.length() > 0 ? " AND " : "").append(alias).append(Sql.ident(k)).append(" = ?::").append(t.type(k));
        }
        return b.toString();
    }

    private void bindKey(PreparedStatement ps, int from, TargetTable t, List<Object> key, ChangeEvent ev) throws SQLException {
        Struct img = ev.image();
        for (int i = 0; i < t.rule().key().size(); i++) {
            String c = t.rule().key().get(i);
            ps.setString(from + i, PgText.format(img.get(c), img.schema().field(c).schema(), t.type(c)));
        }
    }

    /** One query per batch: where each row lives now (multi-shard on Citus, by key). */
    private Map<List<Object>, String> currentTenants(TargetTable t, List<List<Object>> keys) throws SQLException {
        metrics.lookupQueries.incrementAndGet();
        Map<List<Object>, String> out = new HashMap<>();
        byKey(target, t.rule().target(), t, keys, List.of(t.rule().distributionColumn())).forEach((k, v) -> out.put(k, v[0]));
        return out;
    }

    /** One query: the given columns, as text, of the rows with these keys in {@code table} of {@code conn}. */
    private Map<List<Object>, String[]> byKey(Connection conn, String table, TargetTable t, List<List<Object>> keys, List<String> cols)
            throws SQLException {
        TableRule r = t.rule();
        Map<List<Object>, String[]> out = new HashMap<>();
        Map<String, List<Object>> byText = new HashMap<>();
        StringBuilder sql = new StringBuilder("SELECT ");
        for (String k : r.key()) sql.append(Sql.ident(k)).append("::text, ");
        sql.append(cols.stream().map(t::asText).collect(java.util.stream.Collectors.joining(", ")))
                .append(" FROM ").append(table).append(" WHERE (").append(Sql.idents(r.key())).append(") IN (");
        Map<List<Object>, Pending> rows = buffers.get(r.source());
        List<String[]> params = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            ChangeEvent ev = rows.get(keys.get(i)).last;
            Struct img = ev.image();
            String[] vals = new String[r.key().size()];
            sql.append(i > 0 ? ", " : "").append('(');
            for (int j = 0; j < r.key().size(); j++) {
                String c = r.key().get(j);
                vals[j] = PgText.format(img.get(c), img.schema().field(c).schema(), t.type(c));
                sql.append(j > 0 ? ", " : "").append("?::").append(t.type(c));
            }
            sql.append(')');
            params.add(vals);
            byText.put(String.join("\u0001", vals), keys.get(i));
        }
        sql.append(')');
        try (PreparedStatement ps = conn.prepareStatement(sql.toString())) {
            int n = 1;
            for (String[] vals : params) for (String v : vals) ps.setString(n++, v);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String[] k = new String[r.key().size()];
                    for (int i = 0; i < k.length; i++) k[i] = rs.getString(i + 1);
                    List<Object> key = byText.get(String.join("\u0001", k));
                    String[] v = new String[cols.size()];
                    for (int i = 0; i < v.length; i++) v[i] = rs.getString(k.length + 1 + i);
                    if (key != null) out.put(key, v);
                }
            }
        }
        return out;
    }

    /**
     * Values Debezium changes before any converter sees them: a timetz is parsed into UTC (its
     * offset lost), money becomes a double (inexact past 2^53 cents). With the source at hand,
     * they come back from the row as the source holds it now, one query per batch per table that
     * has such columns. A row changed again since gets the later value, which its own event
     * writes again: the end state is the source's. A row gone since keeps Debezium's value until
     * its delete arrives.
     */
    private void rereadFromSource(TargetTable t, Map<List<Object>, Pending> rows) throws SQLException {
        List<String> cols = t.rereadColumns();
        if (source == null || cols.isEmpty()) return;
        List<List<Object>> keys = rows.entrySet().stream().filter(e -> e.getValue().last.after() != null).map(Map.Entry::getKey).toList();
        if (keys.isEmpty()) return;
        String src = t.rule().source();
        int dot = src.indexOf('.');
        metrics.sourceLookups.incrementAndGet();
        Map<List<Object>, String[]> now = byKey(source, Sql.ident(src.substring(0, dot)) + "." + Sql.ident(src.substring(dot + 1)), t, keys, cols);
        if (!source.getAutoCommit()) source.commit();
        for (List<Object> k : keys) {
            String[] v = now.get(k);
            if (v == null) continue;
            Struct a = rows.get(k).last.after();
            for (int i = 0; i < cols.size(); i++) {
                org.apache.kafka.connect.data.Field f = a.schema().field(cols.get(i));
                if (f == null || f.schema().type() != org.apache.kafka.connect.data.Schema.Type.STRING || v[i] == null) continue;
                if (a.get(f) == null || PgText.isUnavailable(a.get(f))) continue;
                a.put(f, v[i]);
            }
        }
    }

    /**
     * An unchanged TOASTed value that an event leaves out, where an UPDATE in place cannot keep
     * it: a row moving to another tenant is written anew, so it takes the value from its old row
     * on the target; a row the target does not have yet takes it from the source row. One query
     * per batch for each. Neither the placeholder nor a NULL in its place is ever written: a row
     * found in neither place stops the task (updateKeepingToast), naming it.
     */
    private void fillUnavailable(TargetTable t, Map<List<Object>, Pending> rows, Map<List<Object>, String> current,
                                 Map<List<Object>, String> tenant) throws SQLException {
        if (t.rule().distributionColumn() == null) return;
        List<List<Object>> moving = new ArrayList<>();
        List<List<Object>> absent = new ArrayList<>();
        Set<String> missing = new java.util.TreeSet<>();
        for (Map.Entry<List<Object>, Pending> e : rows.entrySet()) {
            Struct a = e.getValue().last.after();
            if (a == null) continue;
            List<String> cols = a.schema().fields().stream().filter(f -> t.type(f.name()) != null && PgText.isUnavailable(a.get(f)))
                    .map(Field::name).toList();
            if (cols.isEmpty()) continue;
            missing.addAll(cols);
            String now = current.get(e.getKey());
            if (now == null) absent.add(e.getKey());
            else if (!now.equals(tenant.get(e.getKey()))) moving.add(e.getKey());
        }
        List<String> cols = List.copyOf(missing);
        if (!moving.isEmpty()) {
            metrics.lookupQueries.incrementAndGet();
            fill(rows, cols, byKey(target, t.rule().target(), t, moving, cols));
        }
        if (!absent.isEmpty() && source != null) {
            String src = t.rule().source();
            int dot = src.indexOf('.');
            metrics.sourceLookups.incrementAndGet();
            fill(rows, cols, byKey(source, Sql.ident(src.substring(0, dot)) + "." + Sql.ident(src.substring(dot + 1)), t, absent, cols));
            if (!source.getAutoCommit()) source.commit();
        }
    }

    private static void fill(Map<List<Object>, Pending> rows, List<String> cols, Map<List<Object>, String[]> found) {
        for (Map.Entry<List<Object>, String[]> e : found.entrySet()) {
            Struct a = rows.get(e.getKey()).last.after();
            for (int i = 0; i < cols.size(); i++) {
                Field f = a.schema().field(cols.get(i));
                if (f == null || !PgText.isUnavailable(a.get(f))) continue;
                a.put(f, PgText.asFieldValue(e.getValue()[i], f));
            }
        }
    }

    private void delete(TargetTable t, List<List<Object>> keys, Map<List<Object>, String> current) throws SQLException {
        TableRule r = t.rule();
        String dist = r.distributionColumn();
        List<String> rest = dist == null ? r.key() : r.key().stream().filter(k -> !k.equals(dist)).toList();
        if (dist != null && rest.size() == 1) {
            deleteByTenant(t, keys, current, rest.get(0));
            return;
        }
        String sql = "DELETE FROM " + r.target() + " WHERE " + (dist != null ? Sql.ident(dist) + " = ?::" + t.type(dist) + " AND " : "")
                + keyParams(t, "");
        Map<List<Object>, Pending> rows = buffers.get(r.source());
        try (PreparedStatement ps = target.prepareStatement(sql)) {
            for (List<Object> k : keys) {
                int n = 1;
                if (dist != null) ps.setString(n++, current.get(k));
                bindKey(ps, n, t, k, rows.get(k).last);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** One single-shard DELETE per tenant key in the batch: WHERE tenant = ? AND id = ANY(?). */
    private void deleteByTenant(TargetTable t, List<List<Object>> keys, Map<List<Object>, String> current, String keyColumn) throws SQLException {
        TableRule r = t.rule();
        String dist = r.distributionColumn();
        Map<List<Object>, Pending> rows = buffers.get(r.source());
        Map<String, List<String>> byTenant = new LinkedHashMap<>();
        for (List<Object> k : keys) {
            Struct img = rows.get(k).last.image();
            byTenant.computeIfAbsent(current.get(k), x -> new ArrayList<>())
                    .add(PgText.format(img.get(keyColumn), img.schema().field(keyColumn).schema(), t.type(keyColumn)));
        }
        String sql = "DELETE FROM " + r.target() + " WHERE " + Sql.ident(dist) + " = ?::" + t.type(dist) + " AND " + Sql.ident(keyColumn)
                + " = ANY (?::" + t.type(keyColumn) + "[])";
        try (PreparedStatement ps = target.prepareStatement(sql)) {
            for (Map.Entry<String, List<String>> e : byTenant.entrySet()) {
                ps.setString(1, e.getKey());
                ps.setArray(2, target.createArrayOf("text", e.getValue().toArray()));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** The columns a row's event carries, without Debezium's unchanged-TOAST placeholders. */
    private static List<String> columns(TargetTable t, Struct after) {
        List<String> out = new ArrayList<>();
        for (Field f : after.schema().fields()) {
            if (t.type(f.name()) == null) continue; // not on the target (generated, or dropped)
            if (PgText.isUnavailable(after.get(f))) continue;
            out.add(f.name());
        }
        return out;
    }

    /** COPY; rows already there (a snapshot read again after a source restart) fall back to upserts. */
    private void copyOrUpsert(TargetTable t, List<Pending> rows, Map<List<Object>, String> tenant) throws SQLException {
        java.sql.Savepoint sp = target.setSavepoint();
        try {
            copy(t, rows, tenant);
            target.releaseSavepoint(sp);
        } catch (SQLException e) {
            if (!isUniqueViolation(e)) throw e;
            target.rollback(sp);
            upsert(t, rows, tenant);
        }
    }

    /**
     * A duplicate key. Seen on Citus 13.2.2: a COPY into a distributed table reports it from the
     * worker as SQLSTATE XX000, not 23505, with PostgreSQL's message.
     */
    static boolean isUniqueViolation(SQLException e) {
        return "23505".equals(e.getSQLState())
                || "XX000".equals(e.getSQLState()) && e.getMessage() != null && e.getMessage().contains("duplicate key value violates unique constraint");
    }

    private void copy(TargetTable t, List<Pending> rows, Map<List<Object>, String> tenant) throws SQLException {
        TableRule r = t.rule();
        Struct first = rows.get(0).last.after();
        List<String> cols = columns(t, first);
        // placeholder-free rows only: a row missing a value goes by upsert, which keeps the stored one
        List<Pending> full = new ArrayList<>();
        List<Pending> partial = new ArrayList<>();
        for (Pending p : rows) (columns(t, p.last.after()).equals(cols) ? full : partial).add(p);
        StringBuilder sql = new StringBuilder("COPY ").append(r.target()).append(" (");
        if (r.tenantAdded()) sql.append(Sql.ident(r.distributionColumn())).append(", ");
        sql.append(Sql.idents(cols)).append(") FROM STDIN");
        copyRows(sql.toString(), t, full, cols, tenant);
        if (!partial.isEmpty()) upsert(t, partial, tenant);
    }

    /**
     * Rows whose event left out an unchanged TOASTed value: an UPDATE of the columns it carries,
     * so the stored value stays. The row must be there; if it is not, its value is lost upstream.
     */
    private void updateKeepingToast(TargetTable t, List<String> cols, List<Pending> rows, Map<List<Object>, String> tenant) throws SQLException {
        TableRule r = t.rule();
        List<String> set = cols.stream().filter(c -> !t.primaryKey().contains(c)).toList();
        StringBuilder sql = new StringBuilder("UPDATE ").append(r.target()).append(" SET ");
        for (int i = 0; i < set.size(); i++) sql.append(i > 0 ? ", " : "").append(Sql.ident(set.get(i))).append(" = ?::").append(t.type(set.get(i)));
        sql.append(" WHERE ");
        if (r.distributionColumn() != null) sql.append(Sql.ident(r.distributionColumn())).append(" = ?::").append(t.type(r.distributionColumn())).append(" AND ");
        sql.append(keyParams(t, ""));
        try (PreparedStatement ps = target.prepareStatement(sql.toString())) {
            for (Pending p : rows) {
                Struct a = p.last.after();
                int n = 1;
                for (String c : set) ps.setString(n++, PgText.format(a.get(c), a.schema().field(c).schema(), t.type(c)));
                if (r.distributionColumn() != null) {
                    ps.setString(n++, r.tenantAdded() ? tenant.get(p.last.key())
                            : PgText.format(a.get(r.distributionColumn()), a.schema().field(r.distributionColumn()).schema(), t.type(r.distributionColumn())));
                }
                bindKey(ps, n, t, p.last.key(), p.last);
                ps.addBatch();
            }
            int[] counts = ps.executeBatch();
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] == 0) {
                    throw new org.apache.kafka.connect.errors.ConnectException("row " + rows.get(i).last.key() + " of " + r.source()
                            + " is not on the target, and its event leaves out an unchanged TOASTed value: it cannot be written whole");
                }
            }
        }
    }

    /** Streams rows as COPY text: the tenant key first when the table gained it, then the event's columns. */
    private void copyRows(String copySql, TargetTable t, List<Pending> rows, List<String> cols, Map<List<Object>, String> tenant)
            throws SQLException {
        boolean addTenant = t.rule().tenantAdded();
        CopyIn in = target.unwrap(PGConnection.class).getCopyAPI().copyIn(copySql);
        try {
            StringBuilder b = new StringBuilder(1 << 16);
            for (Pending p : rows) {
                Struct a = p.last.after();
                boolean first = true;
                if (addTenant) {
                    PgText.appendCopy(b, tenant.get(p.last.key()));
                    first = false;
                }
                for (String c : cols) {
                    if (!first) b.append('\t');
                    first = false;
                    PgText.appendCopy(b, PgText.format(a.get(c), a.schema().field(c).schema(), t.type(c)));
                }
                b.append('\n');
                if (b.length() > (1 << 16)) {
                    byte[] bytes = b.toString().getBytes(StandardCharsets.UTF_8);
                    in.writeToCopy(bytes, 0, bytes.length);
                    b.setLength(0);
                }
            }
            byte[] bytes = b.toString().getBytes(StandardCharsets.UTF_8);
            if (bytes.length > 0) in.writeToCopy(bytes, 0, bytes.length);
            in.endCopy();
        } finally {
            if (in.isActive()) in.cancelCopy();
        }
    }

    static final int STAGE_THRESHOLD = 64;
    private final Map<String, String> stages = new HashMap<>();

    /**
     * Many upserts at once: COPY into a temporary table shaped like the target, then one
     * INSERT ... SELECT ... ON CONFLICT DO UPDATE (Citus routes the rows from the coordinator).
     */
    private void upsertViaStage(TargetTable t, List<String> cols, List<String> eventCols, List<Pending> rows,
                                Map<List<Object>, String> tenant, Set<String> conflict) throws SQLException {
        TableRule r = t.rule();
        String stage = stages.get(r.source());
        try (Statement st = target.createStatement()) {
            if (stage == null) {
                stage = "citus_sink_stage_" + stages.size();
                st.execute("CREATE TEMP TABLE " + stage + " (LIKE " + r.target() + ") ON COMMIT DELETE ROWS");
                stages.put(r.source(), stage);
            } else {
                st.execute("TRUNCATE " + stage);
            }
        }
        copyRows("COPY " + stage + " (" + Sql.idents(cols) + ") FROM STDIN", t, rows, eventCols, tenant);
        List<String> set = cols.stream().filter(c -> !conflict.contains(c)).toList();
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(r.target()).append(" (").append(Sql.idents(cols)).append(") SELECT ")
                .append(Sql.idents(cols)).append(" FROM ").append(stage).append(" ON CONFLICT (").append(Sql.idents(new ArrayList<>(conflict)))
                .append(") DO ");
        if (set.isEmpty()) sql.append("NOTHING");
        else {
            sql.append("UPDATE SET ");
            for (int i = 0; i < set.size(); i++) sql.append(i > 0 ? ", " : "").append(Sql.ident(set.get(i))).append(" = EXCLUDED.").append(Sql.ident(set.get(i)));
        }
        try (Statement st = target.createStatement()) {
            st.execute(sql.toString());
        }
    }

    private void upsert(TargetTable t, List<Pending> rows, Map<List<Object>, String> tenant) throws SQLException {
        TableRule r = t.rule();
        // rows with the same columns share one statement
        Map<List<String>, List<Pending>> groups = new LinkedHashMap<>();
        for (Pending p : rows) groups.computeIfAbsent(columns(t, p.last.after()), k -> new ArrayList<>()).add(p);
        for (Map.Entry<List<String>, List<Pending>> g : groups.entrySet()) {
            Struct sample = g.getValue().get(0).last.after();
            boolean partial = sample.schema().fields().stream().anyMatch(f -> t.type(f.name()) != null && PgText.isUnavailable(sample.get(f)));
            if (partial) {
                updateKeepingToast(t, g.getKey(), g.getValue(), tenant);
                continue;
            }
            List<String> cols = new ArrayList<>();
            if (r.tenantAdded()) cols.add(r.distributionColumn());
            cols.addAll(g.getKey());
            Set<String> conflict = new LinkedHashSet<>(t.primaryKey());
            if (g.getValue().size() >= STAGE_THRESHOLD) {
                upsertViaStage(t, cols, g.getKey(), g.getValue(), tenant, conflict);
                continue;
            }
            StringBuilder sql = new StringBuilder("INSERT INTO ").append(r.target()).append(" (").append(Sql.idents(cols)).append(") VALUES (");
            for (int i = 0; i < cols.size(); i++) sql.append(i > 0 ? ", " : "").append("?::").append(t.type(cols.get(i)));
            sql.append(") ON CONFLICT (").append(Sql.idents(new ArrayList<>(conflict))).append(") DO ");
            List<String> set = cols.stream().filter(c -> !conflict.contains(c)).toList();
            if (set.isEmpty()) sql.append("NOTHING");
            else {
                sql.append("UPDATE SET ");
                for (int i = 0; i < set.size(); i++) sql.append(i > 0 ? ", " : "").append(Sql.ident(set.get(i))).append(" = EXCLUDED.").append(Sql.ident(set.get(i)));
            }
            try (PreparedStatement ps = target.prepareStatement(sql.toString())) {
                for (Pending p : g.getValue()) {
                    Struct a = p.last.after();
                    int n = 1;
                    if (r.tenantAdded()) ps.setString(n++, tenant.get(p.last.key()));
                    for (String c : g.getKey()) ps.setString(n++, PgText.format(a.get(c), a.schema().field(c).schema(), t.type(c)));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
    }
}
