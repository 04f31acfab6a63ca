package io.citusmigrate.progress;

import io.citusmigrate.copy.RangeRecorder;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * citus_migrate.copied_ranges on the target: each table range a live migration's bulk load has
 * copied, written in the transaction of its rows. `status` shows the copy's progress from it.
 */
public final class CopyRecord {
    static final String TABLE = ProgressCatalog.SCHEMA + ".copied_ranges";

    private CopyRecord() {}

    /** A new bulk load on this slot: an earlier one's ranges no longer count. */
    public static void forget(Connection target, String slot) throws SQLException {
        ProgressCatalog.write(target, "DELETE FROM " + TABLE + " WHERE slot = ?", slot);
    }

    public static RangeRecorder recorder(String slot) {
        // a table copied in one piece has no range
        return (target, table, range, rows) -> ProgressCatalog.update(target, "INSERT INTO " + TABLE + " (slot, table_name, range, rows)"
                + " VALUES (?, ?, ?, ?)", slot, table, range == null ? "(whole table)" : range, rows);
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
            if (ProgressCatalog.notMadeYet(e)) return out;
            throw e;
        }
        return out;
    }
}
