package io.citusmigrate.live;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * On the target, beside the sink's positions: the live migrations (by slot) whose bulk load
 * finished and verified. The load reads the slot's exported snapshot, which dies with the run
 * that opened it; a run killed during the load leaves tables that can no longer be copied from
 * it, so `--resume` streams only after a load recorded here as finished, and otherwise starts
 * over (the record says whether the target's tables are this migration's own).
 */
public final class BulkLoadRecord {
    private static final String SCHEMA = "citus_migrate";
    private static final String TABLE = SCHEMA + ".bulk_loads";

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

    private static void ensure(Connection target) throws SQLException {
        ProgressCatalog.ensure(target);
    }

    /** A new live migration on this slot begins the target's schema: an earlier one's record no longer counts. */
    /** A new migration on this slot: an earlier one's record no longer counts. */
    public static void forget(Connection target, String slot) throws SQLException {
        ensure(target);
        try (PreparedStatement ps = target.prepareStatement("DELETE FROM " + TABLE + " WHERE slot = ?")) {
            ps.setString(1, slot);
            ps.executeUpdate();
        }
    }

    public static void started(Connection target, String slot, String plan) throws SQLException {
        ensure(target);
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + TABLE + " (slot, plan) VALUES (?, ?)"
                + " ON CONFLICT (slot) DO UPDATE SET consistent_point = NULL, started_at = now(), finished_at = NULL, plan = EXCLUDED.plan")) {
            ps.setString(1, slot);
            ps.setString(2, plan);
            ps.executeUpdate();
        }
    }

    public static void finished(Connection target, String slot, String consistentPoint) throws SQLException {
        ensure(target);
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + TABLE + " (slot, consistent_point, finished_at) VALUES (?, ?, now())"
                + " ON CONFLICT (slot) DO UPDATE SET consistent_point = EXCLUDED.consistent_point, finished_at = now()")) {
            ps.setString(1, slot);
            ps.setString(2, consistentPoint);
            ps.executeUpdate();
        }
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
        try (PreparedStatement ps = target.prepareStatement("SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                + " ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = 'bulk_loads'")) {
            ps.setString(1, SCHEMA);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return State.NONE;
            }
        }
        try (PreparedStatement ps = target.prepareStatement("SELECT finished_at IS NOT NULL FROM " + TABLE + " WHERE slot = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return !rs.next() ? State.NONE : rs.getBoolean(1) ? State.FINISHED : State.STARTED;
            }
        }
    }
}
