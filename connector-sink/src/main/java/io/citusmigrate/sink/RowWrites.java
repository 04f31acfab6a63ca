package io.citusmigrate.sink;

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
 * The statements that write a batch's rows into a target table, all in the writer's open
 * transaction: deletes (one single-shard statement per tenant key, sent together), inserts by COPY (upserts for rows
 * already there), upserts (multi-row, batched), and updates that keep a TOASTed value an event
 * left out.
 */
final class RowWrites {
    private final Connection target;

    RowWrites(Connection target) {
        this.target = target;
    }

    void delete(TargetTable t, Map<List<Object>, PendingRow> rows, List<List<Object>> keys, Map<List<Object>, String> current) throws SQLException {
        TableRule r = t.rule();
        String tenantKey = r.distributionColumn();
        List<String> rest = tenantKey == null ? r.key() : r.key().stream().filter(k -> !k.equals(tenantKey)).toList();
        if (tenantKey != null && rest.size() == 1) {
            deleteByTenant(t, rows, keys, current, rest.get(0));
            return;
        }
        String sql = "DELETE FROM " + r.target() + " WHERE " + (tenantKey != null ? Sql.ident(tenantKey) + " = ?::" + t.type(tenantKey) + " AND " : "")
                + RowQueries.keyParams(t, "");
        try (PreparedStatement ps = target.prepareStatement(sql)) {
            for (List<Object> k : keys) {
                int n = 1;
                if (tenantKey != null) ps.setString(n++, current.get(k));
                RowQueries.bindKey(ps, n, t, k, rows.get(k).last);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /**
     * Deletes of rows whose tenant key is not known: one statement, WHERE key = ANY(?), which
     * Citus runs on every shard (a source key lives under one tenant key).
     */
    int deleteByKeyAlone(TargetTable t, Map<List<Object>, PendingRow> rows, List<List<Object>> keys) throws SQLException {
        TableRule r = t.rule();
        String keyColumn = r.key().get(0);
        List<String> ids = new ArrayList<>(keys.size());
        for (List<Object> k : keys) {
            Struct img = rows.get(k).last.image();
            ids.add(PgText.format(img.get(keyColumn), img.schema().field(keyColumn).schema(), t.type(keyColumn)));
        }
        try (PreparedStatement ps = target.prepareStatement("DELETE FROM " + r.target() + " WHERE " + Sql.ident(keyColumn)
                + " = ANY (?::" + t.type(keyColumn) + "[])")) {
            ps.setArray(1, target.createArrayOf("text", ids.toArray()));
            return ps.executeUpdate();
        }
    }

    /**
     * One single-shard DELETE per tenant key in the batch, sent together: WHERE tenant = ? AND
     * id = ANY(?). (One statement for the batch, tenant = ANY(...) AND id = ANY(...), made every
     * shard probe every key: 116 ms against 45 for 1,300 keys of 100 tenants on Citus 13.2.2.)
     */
    private void deleteByTenant(TargetTable t, Map<List<Object>, PendingRow> rows, List<List<Object>> keys, Map<List<Object>, String> current, String keyColumn) throws SQLException {
        TableRule r = t.rule();
        String tenantKey = r.distributionColumn();
        Map<String, List<String>> byTenant = new LinkedHashMap<>();
        for (List<Object> k : keys) {
            Struct img = rows.get(k).last.image();
            byTenant.computeIfAbsent(current.get(k), x -> new ArrayList<>())
                    .add(PgText.format(img.get(keyColumn), img.schema().field(keyColumn).schema(), t.type(keyColumn)));
        }
        String sql = "DELETE FROM " + r.target() + " WHERE " + Sql.ident(tenantKey) + " = ?::" + t.type(tenantKey) + " AND " + Sql.ident(keyColumn)
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
    void copyOrUpsert(TargetTable t, List<PendingRow> rows, Map<List<Object>, String> tenant) throws SQLException {
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

    void copy(TargetTable t, List<PendingRow> rows, Map<List<Object>, String> tenant) throws SQLException {
        TableRule r = t.rule();
        Struct first = rows.get(0).last.after();
        List<String> cols = columns(t, first);
        // placeholder-free rows only: a row missing a value goes by upsert, which keeps the stored one
        List<PendingRow> full = new ArrayList<>();
        List<PendingRow> partial = new ArrayList<>();
        for (PendingRow p : rows) (columns(t, p.last.after()).equals(cols) ? full : partial).add(p);
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
    private void updateKeepingToast(TargetTable t, List<String> cols, List<PendingRow> rows, Map<List<Object>, String> tenant) throws SQLException {
        TableRule r = t.rule();
        List<String> set = cols.stream().filter(c -> !t.primaryKey().contains(c)).toList();
        StringBuilder sql = new StringBuilder("UPDATE ").append(r.target()).append(" SET ");
        for (int i = 0; i < set.size(); i++) sql.append(i > 0 ? ", " : "").append(Sql.ident(set.get(i))).append(" = ?::").append(Sql.castType(t.type(set.get(i))));
        sql.append(" WHERE ");
        if (r.distributionColumn() != null) sql.append(Sql.ident(r.distributionColumn())).append(" = ?::").append(t.type(r.distributionColumn())).append(" AND ");
        sql.append(RowQueries.keyParams(t, ""));
        try (PreparedStatement ps = target.prepareStatement(sql.toString())) {
            for (PendingRow p : rows) {
                Struct a = p.last.after();
                int n = 1;
                for (String c : set) ps.setString(n++, PgText.format(a.get(c), a.schema().field(c).schema(), t.type(c)));
                if (r.distributionColumn() != null) {
                    ps.setString(n++, r.tenantAdded() ? tenant.get(p.last.key())
                            : PgText.format(a.get(r.distributionColumn()), a.schema().field(r.distributionColumn()).schema(), t.type(r.distributionColumn())));
                }
                RowQueries.bindKey(ps, n, t, p.last.key(), p.last);
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
    private void copyRows(String copySql, TargetTable t, List<PendingRow> rows, List<String> cols, Map<List<Object>, String> tenant)
            throws SQLException {
        boolean addTenant = t.rule().tenantAdded();
        CopyIn in = target.unwrap(PGConnection.class).getCopyAPI().copyIn(copySql);
        try {
            StringBuilder b = new StringBuilder(1 << 16);
            for (PendingRow p : rows) {
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

    /** Parameters per statement stay well under the protocol's 65,535; rows per statement are bounded too. */
    private static final int MAX_PARAMS = 30_000;
    private static final int MAX_ROWS = 1_000;

    /**
     * Upserts as multi-row INSERT ... VALUES ... ON CONFLICT DO UPDATE, rows with the same
     * columns sharing a statement: Citus splits the rows by shard and writes the shards in
     * parallel. (Seen on Citus 13.2.2: a temporary staging table and INSERT ... SELECT took
     * 350 ms for 500 rows, the rows going through the coordinator to every shard.)
     */
    void upsert(TargetTable t, List<PendingRow> rows, Map<List<Object>, String> tenant) throws SQLException {
        upsert(t, rows, tenant, false);
    }

    /**
     * The same; with {@code tellFresh}, it returns the row keys (the events' own) of the rows the
     * upserts inserted rather than updated: rows that were not under their tenant key on the target.
     */
    Set<List<Object>> upsert(TargetTable t, List<PendingRow> rows, Map<List<Object>, String> tenant, boolean tellFresh) throws SQLException {
        TableRule r = t.rule();
        Set<List<Object>> fresh = new java.util.HashSet<>();
        Map<List<String>, List<PendingRow>> groups = new LinkedHashMap<>();
        for (PendingRow p : rows) groups.computeIfAbsent(columns(t, p.last.after()), k -> new ArrayList<>()).add(p);
        for (Map.Entry<List<String>, List<PendingRow>> g : groups.entrySet()) {
            Struct sample = g.getValue().get(0).last.after();
            boolean partial = sample.schema().fields().stream().anyMatch(f -> t.type(f.name()) != null && PgText.isUnavailable(sample.get(f)));
            if (partial) {
                updateKeepingToast(t, g.getKey(), g.getValue(), tenant);
                continue;
            }
            List<String> cols = new ArrayList<>();
            if (r.tenantAdded()) cols.add(r.distributionColumn());
            cols.addAll(g.getKey());
            List<PendingRow> all = g.getValue();
            if (all.size() > MAX_ROWS && cols.stream().noneMatch(c -> t.type(c).endsWith("]"))) {
                for (int from = 0; from < all.size(); from += MAX_ARRAY_ROWS) {
                    fresh.addAll(upsertArrays(t, cols, g.getKey(), all.subList(from, Math.min(all.size(), from + MAX_ARRAY_ROWS)), tenant, tellFresh));
                }
                continue;
            }
            int perStatement = Math.max(1, Math.min(MAX_ROWS, MAX_PARAMS / cols.size()));
            for (int from = 0; from < all.size(); from += perStatement) {
                List<PendingRow> chunk = all.subList(from, Math.min(all.size(), from + perStatement));
                try (PreparedStatement ps = target.prepareStatement(upsertSql(t, cols, chunk.size(), tellFresh))) {
                    int n = 1;
                    for (PendingRow p : chunk) {
                        Struct a = p.last.after();
                        if (r.tenantAdded()) ps.setString(n++, tenant.get(p.last.key()));
                        for (String c : g.getKey()) ps.setString(n++, PgText.format(a.get(c), a.schema().field(c).schema(), t.type(c)));
                    }
                    run(ps, t, chunk, tellFresh, fresh);
                }
            }
        }
        return fresh;
    }

    /** Rows per upsert of column arrays: a batch of a big transaction in one or two statements, its arrays a few MB. */
    private static final int MAX_ARRAY_ROWS = 20_000;

    /**
     * Many rows of the same columns in one statement: INSERT ... SELECT FROM unnest(one array per
     * column) ... ON CONFLICT, which Citus runs through the coordinator, the rows copied to each
     * shard and upserted there. Seen on Citus 13.2.2 with 16,384 rows of 8 columns: 1.8-5.1 s
     * against 3.3-10.0 s for the same rows as 1,000-row VALUES statements (a loaded 2-core
     * machine). Array-typed columns go by VALUES (unnest would flatten them); so do a few rows,
     * for which the coordinator's round of intermediate results costs more than it saves.
     */
    private Set<List<Object>> upsertArrays(TargetTable t, List<String> cols, List<String> eventCols, List<PendingRow> rows,
                                           Map<List<Object>, String> tenant, boolean tellFresh) throws SQLException {
        TableRule r = t.rule();
        String[][] values = new String[cols.size()][rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            ChangeEvent ev = rows.get(i).last;
            Struct a = ev.after();
            int n = 0;
            if (r.tenantAdded()) values[n++][i] = tenant.get(ev.key());
            for (String c : eventCols) values[n++][i] = PgText.format(a.get(c), a.schema().field(c).schema(), t.type(c));
        }
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(r.target()).append(" (").append(Sql.idents(cols)).append(") SELECT * FROM unnest(");
        for (int i = 0; i < cols.size(); i++) sql.append(i > 0 ? ", " : "").append("?::").append(Sql.castType(t.type(cols.get(i)))).append("[]");
        sql.append(')').append(onConflict(t, cols, tellFresh));
        Set<List<Object>> fresh = new java.util.HashSet<>();
        try (PreparedStatement ps = target.prepareStatement(sql.toString())) {
            for (int i = 0; i < cols.size(); i++) ps.setArray(i + 1, target.createArrayOf("text", values[i]));
            run(ps, t, rows, tellFresh, fresh);
        }
        return fresh;
    }

    /**
     * Runs an upsert of {@code rows}; with {@code tellFresh} (it returns each row's key as text and
     * whether it was inserted, see {@link #onConflict}) adds the keys of the rows it inserted to {@code fresh}.
     */
    private void run(PreparedStatement ps, TargetTable t, List<PendingRow> rows, boolean tellFresh, Set<List<Object>> fresh) throws SQLException {
        if (!tellFresh) {
            ps.executeUpdate();
            return;
        }
        Map<String, List<Object>> byText = new HashMap<>();
        for (PendingRow p : rows) byText.put(keyText(t, p.last), p.last.key());
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                List<Object> k = byText.get(rs.getString(1));
                if (k != null && rs.getBoolean(2)) fresh.add(k);
            }
        }
    }

    /** A row's single-column key as PostgreSQL prints it (what {@code key::text} returns). */
    private static String keyText(TargetTable t, ChangeEvent ev) {
        String c = t.rule().key().get(0);
        Struct img = ev.image();
        return PgText.format(img.get(c), img.schema().field(c).schema(), t.type(c));
    }

    /**
     * Rows written under their tenant key that may also be under another one on the target (they
     * moved tenant, their old place unknown): those other copies deleted, one statement per tenant
     * key, sent together; each probes every shard, so it is asked only of rows an upsert inserted.
     * Returns how many copies it deleted.
     */
    int deleteElsewhere(TargetTable t, Map<List<Object>, PendingRow> rows, java.util.Collection<List<Object>> keys,
                        Map<List<Object>, String> tenant) throws SQLException {
        TableRule r = t.rule();
        String tenantKey = r.distributionColumn();
        String keyColumn = r.key().get(0);
        Map<String, List<String>> byTenant = new LinkedHashMap<>();
        for (List<Object> k : keys) byTenant.computeIfAbsent(tenant.get(k), x -> new ArrayList<>()).add(keyText(t, rows.get(k).last));
        String sql = "DELETE FROM " + r.target() + " WHERE " + Sql.ident(tenantKey) + " <> ?::" + t.type(tenantKey) + " AND " + Sql.ident(keyColumn)
                + " = ANY (?::" + t.type(keyColumn) + "[])";
        int deleted = 0;
        try (PreparedStatement ps = target.prepareStatement(sql)) {
            for (Map.Entry<String, List<String>> e : byTenant.entrySet()) {
                ps.setString(1, e.getKey());
                ps.setArray(2, target.createArrayOf("text", e.getValue().toArray()));
                ps.addBatch();
            }
            for (int n : ps.executeBatch()) deleted += Math.max(0, n);
        }
        return deleted;
    }

    private static String upsertSql(TargetTable t, List<String> cols, int rows, boolean tellFresh) {
        StringBuilder row = new StringBuilder("(");
        for (int i = 0; i < cols.size(); i++) row.append(i > 0 ? ", " : "").append("?::").append(Sql.castType(t.type(cols.get(i))));
        row.append(')');
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(t.rule().target()).append(" (").append(Sql.idents(cols)).append(") VALUES ");
        for (int i = 0; i < rows; i++) sql.append(i > 0 ? ", " : "").append(row);
        return sql.append(onConflict(t, cols, tellFresh)).toString();
    }

    /** What an upsert does with a row already there: its columns replaced (or nothing, with key columns only). */
    private static String onConflict(TargetTable t, List<String> cols, boolean tellFresh) {
        StringBuilder sql = new StringBuilder();
        List<String> conflict = t.primaryKey();
        sql.append(" ON CONFLICT (").append(Sql.idents(conflict)).append(") DO ");
        List<String> set = cols.stream().filter(c -> !conflict.contains(c)).toList();
        if (set.isEmpty()) {
            sql.append("NOTHING");
        } else {
            sql.append("UPDATE SET ");
            for (int i = 0; i < set.size(); i++) sql.append(i > 0 ? ", " : "").append(Sql.ident(set.get(i))).append(" = EXCLUDED.").append(Sql.ident(set.get(i)));
        }
        // a row an upsert inserts has no xmax yet; one it updates has its own transaction's (PostgreSQL's known tell)
        if (tellFresh) sql.append(" RETURNING ").append(Sql.ident(t.rule().key().get(0))).append("::text, xmax = 0");
        return sql.toString();
    }
}
