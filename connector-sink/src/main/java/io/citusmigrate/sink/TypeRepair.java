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
 * Values that do not arrive as PostgreSQL holds them, made whole before they are written: types
 * Debezium alters on the way (timetz, money) read again from the source, and unchanged TOASTed
 * values an event leaves out taken from the old row on the target or from the source.
 */
final class TypeRepair {
    private final Connection target;
    private final Connection source;
    private final SinkMetrics metrics;

    TypeRepair(Connection target, Connection source, SinkMetrics metrics) {
        this.target = target;
        this.source = source;
        this.metrics = metrics;
    }

    /**
     * Values Debezium changes before any converter sees them: a timetz is parsed into UTC (its
     * offset lost), money becomes a double (inexact past 2^53 cents). With the source at hand,
     * they come back from the row as the source holds it now, one query per batch per table that
     * has such columns. A row changed again since gets the later value, which its own event
     * writes again: the end state is the source's. A row gone since keeps Debezium's value until
     * its delete arrives.
     */
    void rereadFromSource(TargetTable t, Map<List<Object>, PendingRow> rows) throws SQLException {
        List<String> cols = t.rereadColumns();
        if (source == null || cols.isEmpty()) return;
        List<List<Object>> keys = rows.entrySet().stream().filter(e -> e.getValue().last.after() != null).map(Map.Entry::getKey).toList();
        if (keys.isEmpty()) return;
        metrics.sourceLookups.incrementAndGet();
        Map<List<Object>, String[]> now = RowQueries.byKey(source, RowQueries.sourceTable(t.rule()), t, rows, keys, cols);
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
    void fillUnavailable(TargetTable t, Map<List<Object>, PendingRow> rows, Map<List<Object>, String> current,
                                 Map<List<Object>, String> tenant) throws SQLException {
        if (t.rule().distributionColumn() == null) return;
        List<List<Object>> moving = new ArrayList<>();
        List<List<Object>> absent = new ArrayList<>();
        Set<String> missing = new java.util.TreeSet<>();
        for (Map.Entry<List<Object>, PendingRow> e : rows.entrySet()) {
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
            fill(rows, cols, RowQueries.byKey(target, t.rule().target(), t, rows, moving, cols));
        }
        if (!absent.isEmpty() && source != null) {
            metrics.sourceLookups.incrementAndGet();
            fill(rows, cols, RowQueries.byKey(source, RowQueries.sourceTable(t.rule()), t, rows, absent, cols));
            if (!source.getAutoCommit()) source.commit();
        }
    }

    private static void fill(Map<List<Object>, PendingRow> rows, List<String> cols, Map<List<Object>, String[]> found) {
        for (Map.Entry<List<Object>, String[]> e : found.entrySet()) {
            Struct a = rows.get(e.getKey()).last.after();
            for (int i = 0; i < cols.size(); i++) {
                Field f = a.schema().field(cols.get(i));
                if (f == null || !PgText.isUnavailable(a.get(f))) continue;
                a.put(f, PgText.asFieldValue(e.getValue()[i], f));
            }
        }
    }
}
