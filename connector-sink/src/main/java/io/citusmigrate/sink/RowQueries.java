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

/** The SQL pieces the sink's statements share (a row by its key), and the one lookup of rows by key. */
final class RowQueries {
    private RowQueries() {}

    /** The source table's name, quoted, from a rule's schema.table. */
    static String sourceTable(TableRule r) {
        String src = r.source();
        int dot = src.indexOf('.');
        return Sql.ident(src.substring(0, dot)) + "." + Sql.ident(src.substring(dot + 1));
    }

    static String keyParams(TargetTable t, String alias) {
        StringBuilder b = new StringBuilder();
        for (String k : t.rule().key()) {
            b.append(b.length() > 0 ? " AND " : "").append(alias).append(Sql.ident(k)).append(" = ?::").append(t.type(k));
        }
        return b.toString();
    }

    static void bindKey(PreparedStatement ps, int from, TargetTable t, List<Object> key, ChangeEvent ev) throws SQLException {
        Struct img = ev.image();
        for (int i = 0; i < t.rule().key().size(); i++) {
            String c = t.rule().key().get(i);
            ps.setString(from + i, PgText.format(img.get(c), img.schema().field(c).schema(), t.type(c)));
        }
    }

    /** One query: the given columns, as text, of the rows with these keys in {@code table} of {@code conn}. */
    static Map<List<Object>, String[]> byKey(Connection conn, String table, TargetTable t, Map<List<Object>, PendingRow> rows,
                                                List<List<Object>> keys, List<String> cols)
            throws SQLException {
        TableRule r = t.rule();
        Map<List<Object>, String[]> out = new HashMap<>();
        Map<String, List<Object>> byText = new HashMap<>();
        StringBuilder sql = new StringBuilder("SELECT ");
        for (String k : r.key()) sql.append(Sql.ident(k)).append("::text, ");
        sql.append(cols.stream().map(t::asText).collect(java.util.stream.Collectors.joining(", ")))
                .append(" FROM ").append(table).append(" WHERE (").append(Sql.idents(r.key())).append(") IN (");
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
}
