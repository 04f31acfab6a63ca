package io.citusmigrate.live;

import io.citusmigrate.copy.RangeRecorder;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * citus_migrate.copied_ranges on the target: each table range a live migration's bulk load has
 * copied, written in the transaction of its rows. `status` shows the copy's progress from it.
 */
public final class CopyRecord {
    static final String TABLE = "citus_migrate.copied_ranges";

    private CopyRecord() {}

    /** A new bulk load on this slot: an earlier one's ranges no longer count. */
    public static void forget(Connection target, String slot) throws SQLException {
        ProgressCatalog.ensure(target);
        try (PreparedStatement ps = target.prepareStatement("DELETE FROM " + TABLE + " WHERE slot = ?")) {
            ps.setString(1, slot);
            ps.executeUpdate();
        }
    }

    public static RangeRecorder recorder(String slot) {
        return (target, table, range, rows) -> {
            try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + TABLE + " (slot, table_name, range, rows) VALUES (?, ?, ?, ?)")) {
                ps.setString(1, slot);
                ps.setString(2, table);
                ps.setString(3, range == null ? "(whole table)" : range); // a table copied in one piece has no range
                ps.setLong(4, rows);
                ps.executeUpdate();
            }
        };
    }

    /** Rows and ranges copied so far per table; empty when none are recorded. */
    public static Map<String, long[]> copied(Connection target, String slot) throws SQLException {
        Map<String, long[]> out = new LinkedHashMap<>();
        try (PreparedStatement ps = target.prepareStatement("SELECT table_name, sum(rows), count(*) FROM " + TABLE
                + " WHERE slot = ? GROUP BY table_name ORDER BY table_name")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.put(rs.getString(1), new long[] {rs.getLong(2), rs.getLong(3)});
            }
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState()) || "3F000".equals(e.getSQLState())) return out;
            throw e;
        }
        return out;
    }
}
