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
 * it, so `--resume` streams only after a load recorded here.
 */
public final class BulkLoadRecord {
    private static final String SCHEMA = "citus_migrate";
    private static final String TABLE = SCHEMA + ".bulk_loads";

    private BulkLoadRecord() {}

    private static void ensure(Connection target) throws SQLException {
        try (Statement s = target.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS " + SCHEMA);
            s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (slot text PRIMARY KEY, consistent_point text,"
                    + " finished_at timestamptz NOT NULL DEFAULT now())");
        }
    }

    /** A new live migration on this slot: an earlier one's record no longer counts. */
    public static void forget(Connection target, String slot) throws SQLException {
        ensure(target);
        try (PreparedStatement ps = target.prepareStatement("DELETE FROM " + TABLE + " WHERE slot = ?")) {
            ps.setString(1, slot);
            ps.executeUpdate();
        }
    }

    public static void finished(Connection target, String slot, String consistentPoint) throws SQLException {
        ensure(target);
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + TABLE + " (slot, consistent_point) VALUES (?, ?)"
                + " ON CONFLICT (slot) DO UPDATE SET consistent_point = EXCLUDED.consistent_point, finished_at = now()")) {
            ps.setString(1, slot);
            ps.setString(2, consistentPoint);
            ps.executeUpdate();
        }
    }

    public static boolean isFinished(Connection target, String slot) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                + " ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = 'bulk_loads'")) {
            ps.setString(1, SCHEMA);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return false;
            }
        }
        try (PreparedStatement ps = target.prepareStatement("SELECT 1 FROM " + TABLE + " WHERE slot = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
}
