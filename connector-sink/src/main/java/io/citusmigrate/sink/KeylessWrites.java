package io.citusmigrate.sink;

import io.citusmigrate.sql.Sql;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The changes of a table without a primary key, applied in the order the source made them: such
 * a table streams under REPLICA IDENTITY FULL, so an update or a delete carries the old row whole,
 * and the row it names is found by all its columns. Of two identical rows a delete removes one,
 * as on the source (by ctid, in one single-shard statement under the row's tenant key). Inserts
 * in a row between them go by one COPY.
 */
final class KeylessWrites {
    private final Connection target;
    private final RowWrites writes;

    KeylessWrites(Connection target, RowWrites writes) {
        this.target = target;
        this.writes = writes;
    }

    /** What a batch did to the table: rows inserted, deleted and updated. */
    record Counts(int inserted, int deleted, int updated) {}

    /**
     * @param tenant the tenant key of each change's new row (by the buffer's key)
     * @param was    the tenant key of each change's old row, where its parent gave it; the others
     *               are looked for on the target by their columns
     */
    Counts apply(TargetTable t, Map<List<Object>, PendingRow> rows, Map<List<Object>, String> tenant, Map<List<Object>, String> was)
            throws SQLException {
        TableRule r = t.rule();
        List<PendingRow> inserts = new ArrayList<>();
        int inserted = 0;
        int deleted = 0;
        int updated = 0;
        for (Map.Entry<List<Object>, PendingRow> e : rows.entrySet()) {
            ChangeEvent ev = e.getValue().last;
            if (ev.op() == 'c' || ev.op() == 'r') {
                inserts.add(e.getValue());
                continue;
            }
            inserted += copy(t, inserts, tenant);
            Struct before = ev.before();
            if (before == null) {
                throw new org.apache.kafka.connect.errors.ConnectException(r.source() + " has no primary key and its change at LSN " + ev.lsn()
                        + " carries no old row: the source table must have REPLICA IDENTITY FULL while it streams");
            }
            String from = r.distributionColumn() == null ? null : was.get(e.getKey());
            if (r.distributionColumn() != null && from == null) from = tenantOf(t, before);
            if (ev.after() == null) {
                delete(t, before, from);
                deleted++;
                continue;
            }
            Struct after = withStoredValues(t, ev.after(), before);
            String to = tenant.get(e.getKey());
            if (r.distributionColumn() != null && !from.equals(to)) {
                // Citus cannot change the distribution column in place: the row is written anew
                delete(t, before, from);
                deleted++;
                PendingRow p = new PendingRow();
                p.last = ev;
                inserts.add(p);
            } else {
                update(t, before, after, from);
                updated++;
            }
        }
        inserted += copy(t, inserts, tenant);
        return new Counts(inserted, deleted, updated);
    }

    private int copy(TargetTable t, List<PendingRow> inserts, Map<List<Object>, String> tenant) throws SQLException {
        int n = inserts.size();
        if (n > 0) writes.copy(t, List.copyOf(inserts), tenant);
        inserts.clear();
        return n;
    }

    /** An update leaves an unchanged TOASTed value out; the old row, whole under REPLICA IDENTITY FULL, has it. */
    private static Struct withStoredValues(TargetTable t, Struct after, Struct before) {
        for (Field f : after.schema().fields()) {
            if (t.type(f.name()) != null && PgText.isUnavailable(after.get(f))) after.put(f, before.get(f.name()));
        }
        return after;
    }

    private void delete(TargetTable t, Struct before, String tenant) throws SQLException {
        List<String> values = new ArrayList<>();
        String sql = "DELETE FROM " + t.rule().target() + " WHERE " + route(t, tenant, values) + "ctid = (" + oneRow(t, before, tenant, values) + ")";
        if (execute(sql, values) == 0) notThere(t, before, "delete");
    }

    private void update(TargetTable t, Struct before, Struct after, String tenant) throws SQLException {
        TableRule r = t.rule();
        List<String> values = new ArrayList<>();
        StringBuilder sql = new StringBuilder("UPDATE ").append(r.target()).append(" SET ");
        boolean first = true;
        for (String c : columns(t, after)) {
            if (c.equals(r.distributionColumn())) continue; // unchanged here: a new tenant key is a delete and an insert
            sql.append(first ? "" : ", ").append(Sql.ident(c)).append(" = ?::").append(Sql.castType(t.type(c)));
            values.add(PgText.format(after.get(c), after.schema().field(c).schema(), t.type(c)));
            first = false;
        }
        if (first) return; // only the tenant key's own column, which did not change
        sql.append(" WHERE ").append(route(t, tenant, values)).append("ctid = (").append(oneRow(t, before, tenant, values)).append(')');
        if (execute(sql.toString(), values) == 0) notThere(t, before, "update");
    }

    /** The outer statement's tenant key condition: Citus routes the statement, subquery and all, to the row's shard. */
    private static String route(TargetTable t, String tenant, List<String> values) {
        String tenantKey = t.rule().distributionColumn();
        if (tenantKey == null) return "";
        values.add(tenant);
        return Sql.ident(tenantKey) + " = ?::" + Sql.castType(t.type(tenantKey)) + " AND ";
    }

    /**
     * One row equal to the old row in every column, compared as text through each column's type
     * (a value read back and printed by PostgreSQL, so json or point compare too); NULL equals NULL.
     */
    private static String oneRow(TargetTable t, Struct before, String tenant, List<String> values) {
        StringBuilder sql = new StringBuilder("SELECT ctid FROM ").append(t.rule().target()).append(" WHERE ");
        if (tenant != null) sql.append(route(t, tenant, values)); // the subquery on the same shard
        matches(t, before, sql, values);
        return sql.append(" LIMIT 1").toString();
    }

    private static void matches(TargetTable t, Struct before, StringBuilder sql, List<String> values) {
        boolean first = true;
        for (String c : columns(t, before)) {
            sql.append(first ? "" : " AND ").append(Sql.ident(c)).append("::text IS NOT DISTINCT FROM (?::")
                    .append(Sql.castType(t.type(c))).append(")::text");
            values.add(PgText.format(before.get(c), before.schema().field(c).schema(), t.type(c)));
            first = false;
        }
        if (first) sql.append("true");
    }

    /** Where a row whose parent is gone lives now: found by its columns, on every shard (rare: its parent was deleted first). */
    private String tenantOf(TargetTable t, Struct before) throws SQLException {
        String tenantKey = t.rule().distributionColumn();
        List<String> values = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT ").append(Sql.ident(tenantKey)).append("::text FROM ").append(t.rule().target()).append(" WHERE ");
        matches(t, before, sql, values);
        sql.append(" LIMIT 1");
        try (PreparedStatement ps = target.prepareStatement(sql.toString())) {
            for (int i = 0; i < values.size(); i++) ps.setString(i + 1, values.get(i));
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) return rs.getString(1);
            }
        }
        notThere(t, before, "change");
        return null;
    }

    private int execute(String sql, List<String> values) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement(sql)) {
            for (int i = 0; i < values.size(); i++) ps.setString(i + 1, values.get(i));
            return ps.executeUpdate();
        }
    }

    /** The columns of a row image that the target has (generated columns and the added tenant key are not in the event). */
    private static List<String> columns(TargetTable t, Struct s) {
        return s.schema().fields().stream().map(Field::name).filter(c -> t.type(c) != null).toList();
    }

    private static void notThere(TargetTable t, Struct before, String what) {
        throw new org.apache.kafka.connect.errors.ConnectException("the row of " + t.rule().source() + " (no primary key) that a source "
                + what + " names is not on the target: the target differs from the source. Run `citus-migrate verify`");
    }
}
