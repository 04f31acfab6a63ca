package io.citusmigrate.progress;

import io.citusmigrate.stream.PlanFingerprint;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * On the target, beside the sink's positions: the live migrations (by slot) whose bulk load
 * finished and verified. The bulk load reads the slot's exported snapshot, which dies with the run
 * that opened it; a run killed during the bulk load leaves tables that can no longer be copied from
 * it, so `--resume` streams only after a load recorded here as finished, and otherwise starts
 * over (the record says whether the target's tables are this migration's own).
 */
public final class BulkLoadRecord {
    private static final String TABLE = ProgressCatalog.SCHEMA + ".bulk_loads";

    private BulkLoadRecord() {}

    /** Where the bulk load of a live migration got to, as the target recorded it. */
    public enum State {
        /** Nothing recorded: the run stopped before it touched the target. */
        NONE,
        /** The schema step began: the plan's tables on the target are this migration's, partly loaded. */
        STARTED,
        /** Loaded and verified: streaming may go on from the slot. */
        FINISHED
    }

    /** A new migration on this slot: an earlier one's record no longer counts. */
    public static void forget(Connection target, String slot) throws SQLException {
        ProgressCatalog.write(target, "DELETE FROM " + TABLE + " WHERE slot = ?", slot);
    }

    /** The schema step began: from here the plan's tables on the target are this migration's. */
    public static void started(Connection target, String slot, String plan) throws SQLException {
        ProgressCatalog.write(target, "INSERT INTO " + TABLE + " (slot, plan) VALUES (?, ?)"
                + " ON CONFLICT (slot) DO UPDATE SET consistent_point = NULL, started_at = now(), finished_at = NULL, plan = EXCLUDED.plan", slot, plan);
    }

    public static void finished(Connection target, String slot, String consistentPoint) throws SQLException {
        ProgressCatalog.write(target, "INSERT INTO " + TABLE + " (slot, consistent_point, finished_at) VALUES (?, ?, now())"
                + " ON CONFLICT (slot) DO UPDATE SET consistent_point = EXCLUDED.consistent_point, finished_at = now()", slot, consistentPoint);
    }

    /** The plan the migration on this slot started with (see PlanFingerprint); null when none is recorded. */
    public static String plan(Connection target, String slot) throws SQLException {
        if (state(target, slot) == State.NONE) return null;
        try (PreparedStatement ps = target.prepareStatement("SELECT plan FROM " + TABLE + " WHERE slot = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    public static State state(Connection target, String slot) throws SQLException {
        if (!ProgressCatalog.tableExists(target, "bulk_loads")) return State.NONE;
        try (PreparedStatement ps = target.prepareStatement("SELECT finished_at IS NOT NULL FROM " + TABLE + " WHERE slot = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return !rs.next() ? State.NONE : rs.getBoolean(1) ? State.FINISHED : State.STARTED;
            }
        }
    }
}
