package io.citusmigrate.sink;

import io.citusmigrate.sql.Sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

/** A target table's columns and their types, read once from the target catalog. */
record TargetTable(TableRule rule, Map<String, String> types, Map<String, String> baseTypes, java.util.List<String> primaryKey,
                   java.util.List<String> rereadColumns, java.util.Set<String> generated) {
    static TargetTable read(Connection c, TableRule rule) throws SQLException {
        Map<String, String> types = new LinkedHashMap<>();
        // a domain's base type decides how its values travel (Debezium converts them as the base type)
        Map<String, String> base = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT a.attname, format_type(a.atttypid, a.atttypmod),"
                + " coalesce(format_type(nullif(t.typbasetype, 0), t.typtypmod), format_type(a.atttypid, a.atttypmod))"
                + " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                + " WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum")) {
            ps.setString(1, rule.target());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    types.put(rs.getString(1), rs.getString(2));
                    base.put(rs.getString(1), rs.getString(3));
                }
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
        if (pk.isEmpty() && !rule.key().isEmpty()) {
            throw new SQLException("target table " + rule.target() + " has no primary key: updates and deletes cannot be applied");
        }
        // time with time zone (any precision): Debezium loses their offset; money: Debezium carries
        // it as a double, inexact past 2^53 cents (see CitusWriter.rereadFromSource)
        java.util.List<String> reread = base.entrySet().stream()
                .filter(e -> e.getValue().matches("time(\\(\\d+\\))? with time zone") || e.getValue().equals("money"))
                .map(Map.Entry::getKey).sorted().toList();
        java.util.Set<String> generated = new java.util.HashSet<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT attname FROM pg_attribute WHERE attrelid = ?::regclass AND attnum > 0"
                + " AND NOT attisdropped AND attgenerated <> ''")) {
            ps.setString(1, rule.target());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) generated.add(rs.getString(1));
            }
        }
        return new TargetTable(rule, types, base, java.util.List.copyOf(pk), reread, java.util.Set.copyOf(generated));
    }

    /**
     * A change carrying a column the target table does not have (a schema change on the source
     * that was not carried): its values would be lost, so the batch stops, naming it.
     */
    void refuseUnknownColumns(ChangeEvent e) {
        org.apache.kafka.connect.data.Struct img = e.image();
        if (img == null) return;
        for (org.apache.kafka.connect.data.Field f : img.schema().fields()) {
            if (!types.containsKey(f.name()) && !generated.contains(f.name())) {
                throw new org.apache.kafka.connect.errors.ConnectException("column " + f.name() + " of " + rule.source() + " is on the source but not"
                        + " on the target table " + rule.target() + " (a schema change on the source that was not carried): stopping rather"
                        + " than losing its values");
            }
        }
    }

    String type(String column) {
        return types.get(column);
    }

    /** A column as text in a query: money by its number, which reads the same whatever lc_monetary says. */
    String asText(String column) {
        return Sql.ident(column) + ("money".equals(baseTypes.get(column)) ? "::numeric::text" : "::text");
    }
}
