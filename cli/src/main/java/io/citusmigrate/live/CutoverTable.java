package io.citusmigrate.live;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * citus_migrate.cutover on the target: how `cutover` and the running `migrate` talk. `cutover`
 * asks (a row with no done_at), `migrate` answers once the marker is applied and sequences are set.
 */
public final class CutoverTable {
    static final String TABLE = "citus_migrate.cutover";

    private CutoverTable() {}

    private static void create(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS citus_migrate");
            s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (slot text PRIMARY KEY, requested_at timestamptz NOT NULL,"
                    + " done_at timestamptz, row_changes bigint)");
        }
    }

    public static void request(Connection target, String slot) throws SQLException {
        create(target);
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + TABLE + " (slot, requested_at) VALUES (?, now())"
                + " ON CONFLICT (slot) DO UPDATE SET requested_at = now(), done_at = NULL, row_changes = NULL")) {
            ps.setString(1, slot);
            ps.execute();
        }
    }

    public static void done(Connection target, String slot, long rowChanges) throws SQLException {
        create(target);
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + TABLE + " (slot, requested_at, done_at, row_changes)"
                + " VALUES (?, now(), now(), ?) ON CONFLICT (slot) DO UPDATE SET done_at = now(), row_changes = EXCLUDED.row_changes")) {
            ps.setString(1, slot);
            ps.setLong(2, rowChanges);
            ps.execute();
        }
    }

    /** The row changes streamed, once the cutover is done; null before. */
    public static Long doneChanges(Connection target, String slot) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT row_changes FROM " + TABLE + " WHERE slot = ? AND done_at IS NOT NULL")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        }
    }
}
