package io.citusmigrate.sink;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

/** A target table's columns and their types, read once from the target catalog. */
record TargetTable(TableRule rule, Map<String, String> types, java.util.List<String> primaryKey, java.util.List<String> timetzColumns) {
    static TargetTable read(Connection c, TableRule rule) throws SQLException {
        Map<String, String> types = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
                + " WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum")) {
            ps.setString(1, rule.target());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) types.put(rs.getString(1), rs.getString(2));
            }
        }
        if (types.isEmpty()) throw new SQLException("target table " + rule.target() + " does not exist");
        java.util.List<String> pk = new java.util.ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT a.attname FROM pg_index i"
                + " JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, n) ON true"
                + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
                + " WHERE i.indrelid = ?::regclass AND i.indisprimary ORDER BY k.n")) {
            ps.setString(1, rule.target());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) pk.add(rs.getString(1));
            }
        }
        if (pk.isEmpty()) {
            throw new SQLException("target table " + rule.target() + " has no primary key: updates and deletes cannot be applied");
        }
        // time with time zone (any precision): Debezium loses their offset (see CitusWriter)
        java.util.List<String> timetz = types.entrySet().stream().filter(e -> e.getValue().matches("time(\\(\\d+\\))? with time zone"))
                .map(Map.Entry::getKey).sorted().toList();
        return new TargetTable(rule, types, java.util.List.copyOf(pk), timetz);
    }

    String type(String column) {
        return types.get(column);
    }
}
