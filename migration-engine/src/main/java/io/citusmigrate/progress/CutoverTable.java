package io.citusmigrate.progress;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

/**
 * citus_migrate.cutover on the target: how `cutover` and the running `migrate` talk. `cutover`
 * asks (a row with a new request id and no done_at) and writes a marker carrying that id into the
 * source's WAL; `migrate` answers once that marker is applied and the sequences and foreign keys
 * are set. A marker read again after a crash answers only a request still waiting: one given up
 * (withdrawn) says nothing about the writes made after it.
 */
public final class CutoverTable {
    static final String TABLE = ProgressCatalog.SCHEMA + ".cutover";

    private CutoverTable() {}

    /** A new request; returns its id, which the marker carries. */
    public static String request(Connection target, String slot) throws SQLException {
        String id = UUID.randomUUID().toString();
        ProgressCatalog.write(target, "INSERT INTO " + TABLE + " (slot, request_id, requested_at) VALUES (?, ?, now())"
                + " ON CONFLICT (slot) DO UPDATE SET request_id = EXCLUDED.request_id, requested_at = now(), claimed_at = NULL, done_at = NULL,"
                + " row_changes = NULL", slot, id);
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
        return ProgressCatalog.update(target, "DELETE FROM " + TABLE + " WHERE slot = ? AND request_id = ? AND done_at IS NULL"
                + (evenClaimed ? "" : " AND claimed_at IS NULL"), slot, id) == 1;
    }

    /**
     * `migrate` takes on request {@code id} when its marker has come through: from then on the
     * cutover cannot take it back. True when the request is there, not answered yet.
     */
    public static boolean claim(Connection target, String slot, String id) throws SQLException {
        if (!exists(target)) return false;
        return ProgressCatalog.update(target, "UPDATE " + TABLE + " SET claimed_at = now() WHERE slot = ? AND request_id = ? AND done_at IS NULL",
                slot, id) == 1;
    }

    /** True while request {@code id} stands: not taken back, not answered yet. */
    public static boolean pending(Connection target, String slot, String id) throws SQLException {
        if (!exists(target)) return false;
        try (PreparedStatement ps = target.prepareStatement("SELECT 1 FROM " + TABLE + " WHERE slot = ? AND request_id = ? AND done_at IS NULL")) {
            ps.setString(1, slot);
            ps.setString(2, id);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
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
        if (exists(target)) ProgressCatalog.update(target, "DELETE FROM " + TABLE + " WHERE slot = ?", slot);
    }

    /** The answer to request {@code id}. The request must be there: a withdrawn one is not answered. */
    public static boolean done(Connection target, String slot, String id, long rowChanges) throws SQLException {
        return ProgressCatalog.write(target, "UPDATE " + TABLE + " SET done_at = now(), row_changes = ? WHERE slot = ? AND request_id = ?",
                rowChanges, slot, id) == 1;
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
        return ProgressCatalog.tableExists(target, "cutover");
    }
}
