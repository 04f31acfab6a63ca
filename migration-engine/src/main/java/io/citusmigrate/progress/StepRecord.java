package io.citusmigrate.progress;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * citus_migrate.steps on the target: each step of a live migration, by slot, with when it began
 * and ended. `status` shows them; a rerun says which step the interrupted run died in.
 */
public final class StepRecord {
    static final String TABLE = ProgressCatalog.SCHEMA + ".steps";

    /** One step as recorded: {@code finished} is null while it runs (or when its run died). */
    public record Entry(String step, java.sql.Timestamp started, java.sql.Timestamp finished) {}

    private StepRecord() {}

    /** A new run from the start: the steps of an earlier run on this slot no longer count. */
    public static void forget(Connection target, String slot) throws SQLException {
        ProgressCatalog.write(target, "DELETE FROM " + TABLE + " WHERE slot = ?", slot);
    }

    public static void started(Connection target, String slot, String step, int position) throws SQLException {
        ProgressCatalog.write(target, "INSERT INTO " + TABLE + " (slot, step, position, started_at) VALUES (?, ?, ?, now())"
                + " ON CONFLICT (slot, step) DO UPDATE SET position = EXCLUDED.position, started_at = now(), finished_at = NULL", slot, step, position);
    }

    public static void finished(Connection target, String slot, String step) throws SQLException {
        ProgressCatalog.update(target, "UPDATE " + TABLE + " SET finished_at = now() WHERE slot = ? AND step = ?", slot, step);
    }

    /** The recorded steps of the migration on this slot, in the order they ran. */
    public static List<Entry> read(Connection target, String slot) throws SQLException {
        List<Entry> out = new ArrayList<>();
        try (PreparedStatement ps = target.prepareStatement("SELECT step, started_at, finished_at FROM " + TABLE
                + " WHERE slot = ? ORDER BY position, started_at")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(new Entry(rs.getString(1), rs.getTimestamp(2), rs.getTimestamp(3)));
            }
        } catch (SQLException e) {
            if (ProgressCatalog.notMadeYet(e)) return out;
            throw e;
        }
        return out;
    }
}
