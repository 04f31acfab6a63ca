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
 * transaction: deletes (one single-shard DELETE per tenant where it can), inserts by COPY (upserts
 * for rows already there), upserts (batched, or through a staging table when many), and updates
 * that keep a TOASTed value an event left out.
 */
final class RowWrites {
    static final int STAGE_THRESHOLD = 64;
    private final Connection target;
    private final Map<String, String> stages = new HashMap<>();

    RowWrites(Connection target) {
        this.target = target;
    }

    /** Temporary staging tables made in a rolled-back transaction are gone. */
    void rolledBack() {
        stages.clear();
    }

    void delete(TargetTable t, Map<List<Object>, PendingRow> rows, List<List<Object>> keys, Map<List<Object>, String> current) throws SQLException {
        TableRule r = t.rule();
        String dist = r.distributionColumn();
        List<String> rest = dist == null ? r.key() : r.key().stream().filter(k -> !k.equals(dist)).toList();
        if (dist != null && rest.size() == 1) {
            deleteByTenant(t, rows, keys, current, rest.get(0));
            return;
        }
        String sql = "DELETE FROM " + r.target() + " WHERE " + (dist != null ? Sql.ident(dist) + " = ?::" + t.type(dist) + " AND " : "")
                + RowQueries.keyParams(t, "");
        try (PreparedStatement ps = target.prepareStatement(sql)) {
            for (List<Object> k : keys) {
                int n = 1;
                if (dist != null) ps.setString(n++, current.get(k));
                RowQueries.bindKey(ps, n, t, k, rows.get(k).last);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** One single-shard DELETE per tenant key in the batch: WHERE tenant = ? AND id = ANY(?). */
    private void deleteByTenant(TargetTable t, Map<List<Object>, PendingRow> rows, List<List<Object>> keys, Map<List<Object>, String> current, String keyColumn) throws SQLException {
        TableRule r = t.rule();
        String dist = r.distributionColumn();
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

    private void copy(TargetTable t, List<PendingRow> rows, Map<List<Object>, String> tenant) throws SQLException {
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
        for (int i = 0; i < set.size(); i++) sql.append(i > 0 ? ", " : "").append(Sql.ident(set.get(i))).append(" = ?::").append(t.type(set.get(i)));
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

    /**
     * Many upserts at once: COPY into a temporary table shaped like the target, then one
     * INSERT ... SELECT ... ON CONFLICT DO UPDATE (Citus routes the rows from the coordinator).
     */
    private void upsertViaStage(TargetTable t, List<String> cols, List<String> eventCols, List<PendingRow> rows,
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

    void upsert(TargetTable t, List<PendingRow> rows, Map<List<Object>, String> tenant) throws SQLException {
        TableRule r = t.rule();
        // rows with the same columns share one statement
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
                for (PendingRow p : g.getValue()) {
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
