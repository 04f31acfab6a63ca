package io.citusmigrate.live;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * citus_migrate.cutover on the target: how `cutover` and the running `migrate` talk. `cutover`
 * asks (a row with a new request id and no done_at) and writes a marker carrying that id into the
 * source's WAL; `migrate` answers once that marker is applied and the sequences and foreign keys
 * are set. A marker read again after a crash answers only a request still waiting: one given up
 * (withdrawn) says nothing about the writes made after it.
 */
public final class CutoverTable {
    static final String TABLE = "citus_migrate.cutover";

    private CutoverTable() {}

    private static void create(Connection c) throws SQLException {
        ProgressCatalog.ensure(c);
    }

    /** A new request; returns its id, which the marker carries. */
    public static String request(Connection target, String slot) throws SQLException {
        create(target);
        String id = UUID.randomUUID().toString();
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + TABLE + " (slot, request_id, requested_at) VALUES (?, ?, now())"
                + " ON CONFLICT (slot) DO UPDATE SET request_id = EXCLUDED.request_id, requested_at = now(), claimed_at = NULL, done_at = NULL,"
                + " row_changes = NULL")) {
            ps.setString(1, slot);
            ps.setString(2, id);
            ps.execute();
        }
        return id;
    }

    /**
     * A cutover that stops waiting takes its request back, so that its marker, read later,
     * answers nothing; false when `migrate` has claimed it already (it goes on with this cutover).
     */
    public static boolean withdraw(Connection target, String slot, String id) throws SQLException {
        return withdraw(target, slot, id, false);
    }

    /**
     * With {@code evenClaimed}: no `migrate` reads the slot any more, so none is finishing this
     * cutover: a rerun must not take it on from a marker read again, as nobody waits for it.
     */
    public static boolean withdraw(Connection target, String slot, String id, boolean evenClaimed) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("DELETE FROM " + TABLE + " WHERE slot = ? AND request_id = ? AND done_at IS NULL"
                + (evenClaimed ? "" : " AND claimed_at IS NULL"))) {
            ps.setString(1, slot);
            ps.setString(2, id);
            return ps.executeUpdate() == 1;
        }
    }

    /**
     * `migrate` takes on request {@code id} when its marker has come through: from then on the
     * cutover cannot take it back. True when the request is there, not answered yet.
     */
    public static boolean claim(Connection target, String slot, String id) throws SQLException {
        if (!exists(target)) return false;
        try (PreparedStatement ps = target.prepareStatement("UPDATE " + TABLE + " SET claimed_at = now() WHERE slot = ? AND request_id = ?"
                + " AND done_at IS NULL")) {
            ps.setString(1, slot);
            ps.setString(2, id);
            return ps.executeUpdate() == 1;
        }
    }

    /** True while `migrate` has taken request {@code id} on and not answered it yet. */
    public static boolean claimed(Connection target, String slot, String id) throws SQLException {
        if (!exists(target)) return false;
        try (PreparedStatement ps = target.prepareStatement("SELECT 1 FROM " + TABLE + " WHERE slot = ? AND request_id = ?"
                + " AND claimed_at IS NOT NULL AND done_at IS NULL")) {
            ps.setString(1, slot);
            ps.setString(2, id);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** A new migration on this slot: an earlier one's cutover no longer counts. */
    public static void forget(Connection target, String slot) throws SQLException {
        if (!exists(target)) return;
        try (PreparedStatement ps = target.prepareStatement("DELETE FROM " + TABLE + " WHERE slot = ?")) {
            ps.setString(1, slot);
            ps.execute();
        }
    }

    /** The answer to request {@code id}. The request must be there: a withdrawn one is not answered. */
    public static boolean done(Connection target, String slot, String id, long rowChanges) throws SQLException {
        create(target);
        try (PreparedStatement ps = target.prepareStatement("UPDATE " + TABLE + " SET done_at = now(), row_changes = ?"
                + " WHERE slot = ? AND request_id = ?")) {
            ps.setLong(1, rowChanges);
            ps.setString(2, slot);
            ps.setString(3, id);
            return ps.executeUpdate() == 1;
        }
    }

    /** Whether a cutover of this slot's migration was answered. */
    public static boolean isDone(Connection target, String slot) throws SQLException {
        if (!exists(target)) return false;
        try (PreparedStatement ps = target.prepareStatement("SELECT 1 FROM " + TABLE + " WHERE slot = ? AND done_at IS NOT NULL")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** The row changes streamed, once request {@code id} is answered; null before. */
    public static Long doneChanges(Connection target, String slot, String id) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT row_changes FROM " + TABLE
                + " WHERE slot = ? AND request_id = ? AND done_at IS NOT NULL")) {
            ps.setString(1, slot);
            ps.setString(2, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        }
    }

    private static boolean exists(Connection target) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT pg_catalog.to_regclass(?) IS NOT NULL")) {
            ps.setString(1, TABLE);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }
}
