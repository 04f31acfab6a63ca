package io.citusmigrate.stream;

import io.citusmigrate.sql.Sql;
import io.citusmigrate.plan.Plan;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Collectors;

/** The source side of a live migration: its publication, its slot, and the cutover marker. */
public final class LiveSource {
    private LiveSource() {}

    public static boolean slotExists(Connection c, String slot) throws SQLException {
        return exists(c, "SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = ?", slot);
    }

    /** The source's WAL position now, as the number Debezium gives a change's {@code lsn}. */
    public static long currentLsn(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT (pg_catalog.pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    public static boolean publicationExists(Connection c, String name) throws SQLException {
        return exists(c, "SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = ?", name);
    }

    /**
     * The publication must exist before the slot: pgoutput reads it as of each change, so changes
     * made before it was created would not be sent. Partitions are published through their root.
     * In the same transaction, tables without a primary key get REPLICA IDENTITY FULL
     * ({@link ReplicaIdentities}): published under the default one, PostgreSQL would refuse the
     * application's UPDATE and DELETE on them.
     */
    public static void createPublication(Connection c, String name, Plan plan, List<io.citusmigrate.load.DistributeRule> rules) throws SQLException {
        if (publicationExists(c, name)) return;
        String tables = ConnectorConfigs.streamed(plan).stream().map(t -> t.source().name().sql()).collect(Collectors.joining(", "));
        SchemaCapture.refuseWithoutSuperuser(c);
        io.citusmigrate.db.Databases.inTransaction(c, () -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE PUBLICATION " + Sql.ident(name) + " FOR TABLE " + tables + " WITH (publish_via_partition_root = true)");
            }
            ReplicaIdentities.setFull(c, name, plan);
            PartitionTruncates.create(c, name, plan);
            SchemaCapture.create(c, name, plan, rules);
        });
    }

    /**
     * Refuses, before the source is touched, tables whose rows cannot be streamed through a
     * Connect deployment: without a primary key, a snapshot Debezium reads again after a restart
     * would write their rows twice.
     */
    public static void refuseKeyless(Plan plan) {
        List<String> keyless = ReplicaIdentities.keyless(plan).stream().map(t -> t.source().name().sql()).toList();
        if (keyless.isEmpty()) return;
        throw new io.citusmigrate.UserError("cannot deploy " + String.join(", ", keyless) + ": no primary key, and Debezium's snapshot on"
                + " a Connect cluster may read " + (keyless.size() == 1 ? "its" : "their") + " rows twice after a restart. Nothing was"
                + " changed on the source. Give " + (keyless.size() == 1 ? "it" : "each") + " a primary key, or migrate it live with"
                + " `citus-migrate migrate`, which streams such tables under REPLICA IDENTITY FULL");
    }

    /** After the cutover: the slot would otherwise keep WAL on the source forever. */
    public static void drop(Connection c, String slot, String publication) throws SQLException {
        writable(c);
        if (slotExists(c, slot)) {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.pg_drop_replication_slot(?)")) {
                ps.setString(1, slot);
                ps.execute();
            }
        }
        // the tables' own replica identities back in the publication's transaction: no moment
        // where a keyless table is published under the default one. The capture goes first: it
        // would take the restored default for a dropped primary key and set FULL again.
        io.citusmigrate.db.Databases.inTransaction(c, () -> {
            SchemaCapture.drop(c, publication);
            PartitionTruncates.drop(c, publication);
            ReplicaIdentities.restore(c, publication);
            try (Statement s = c.createStatement()) {
                s.execute("DROP PUBLICATION IF EXISTS " + Sql.ident(publication));
            }
        });
    }

    /**
     * Drops a function this tool made on the source (by its name, in whichever schema) and, by
     * CASCADE, the triggers that call it: nothing of the application's depends on it.
     */
    static void dropOwnFunction(Connection c, String name) throws SQLException {
        List<String> drops = new java.util.ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.format('DROP FUNCTION %I.%I() CASCADE', n.nspname, p.proname)"
                + " FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE p.proname = ? AND p.pronargs = 0")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) drops.add(rs.getString(1));
            }
        }
        try (Statement s = c.createStatement()) {
            for (String d : drops) s.execute(d);
        }
    }


    /**
     * Stops the application's writes: new sessions of the source database start read-only, and
     * the sessions open now are ended (their open transactions roll back, as in any failover),
     * except the migration's own. Returns how many sessions were ended.
     */
    public static int stopWrites(Connection c) throws SQLException {
        writable(c); // an earlier cutover killed (kill -9) may have left it read-only
        try (Statement s = c.createStatement()) {
            s.execute("ALTER DATABASE " + Sql.ident(currentDatabase(c)) + " SET default_transaction_read_only = on");
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FILTER (WHERE pg_catalog.pg_terminate_backend(pid))"
                + " FROM pg_catalog.pg_stat_activity WHERE datname = current_database() AND pid <> pg_catalog.pg_backend_pid()"
                + " AND backend_type = 'client backend'"
                // the migration's own sessions: this tool, the sink's lookups, Debezium's
                + " AND application_name NOT IN ('citus-migrate', 'citus-sink') AND application_name NOT LIKE 'Debezium%'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** Whether the source database is read-only for new sessions (as `cutover --stop-writes` leaves it). */
    public static boolean writesStopped(Connection c) throws SQLException {
        try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_db_role_setting s"
                + " JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase WHERE d.datname = pg_catalog.current_database() AND s.setrole = 0"
                + " AND 'default_transaction_read_only=on' = ANY (s.setconfig))");
             java.sql.ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** Undoes {@link #stopWrites}: new sessions may write again. */
    public static void giveWritesBack(Connection c) throws SQLException {
        writable(c);
        try (Statement s = c.createStatement()) {
            s.execute("ALTER DATABASE " + Sql.ident(currentDatabase(c)) + " RESET default_transaction_read_only");
        }
    }

    private static String currentDatabase(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_catalog.current_database()")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * How much WAL the slot holds on the source, and how safe that is: {@code walStatus} as
     * PostgreSQL reports it (reserved, extended, unreserved, lost), {@code safeBytes} before
     * {@code max_slot_wal_keep_size} makes PostgreSQL invalidate it (null: no limit).
     */
    public record SlotHealth(String walStatus, long retainedBytes, Long safeBytes, String keepSize) {
        /** PostgreSQL invalidated the slot: the changes since are gone from the WAL, and a migration cannot go on from it. */
        public boolean lost() {
            return "lost".equals(walStatus);
        }

        /** A line for `status` when the slot is at risk, or lost; null while it is safe. */
        public String warning(String file) {
            if (lost()) return invalidated(file);
            boolean limited = safeBytes != null;
            if ("unreserved".equals(walStatus) || limited && safeBytes < retainedBytes / 4) {
                return "warning: the slot holds " + LiveProgress.bytes(retainedBytes) + " of WAL, and PostgreSQL invalidates it after "
                        + LiveProgress.bytes(Math.max(0, safeBytes == null ? 0 : safeBytes)) + " more (max_slot_wal_keep_size = " + keepSize
                        + "): keep `migrate` running and caught up, or raise the setting";
            }
            return null;
        }

        /** The one line a run stops with when the slot was invalidated. */
        public static String invalidated(String file) {
            return "the source invalidated the replication slot (its WAL passed max_slot_wal_keep_size): the changes since are gone from"
                    + " the WAL, so this migration cannot go on. Start over: `citus-migrate cleanup " + file + "`, then `citus-migrate migrate "
                    + file + "`";
        }
    }

    /** The slot's health; null when there is no such slot. */
    public static SlotHealth slotHealth(Connection c, String slot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT wal_status, coalesce(pg_catalog.pg_current_wal_lsn() - restart_lsn, 0)::bigint,"
                + " safe_wal_size, pg_catalog.current_setting('max_slot_wal_keep_size') FROM pg_catalog.pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return null;
                long safe = rs.getLong(3);
                Long safeBytes = rs.wasNull() ? null : safe;
                return new SlotHealth(rs.getString(1), rs.getLong(2), safeBytes, rs.getString(4));
            }
        }
    }

    /** The walsender reading the slot now (a running migrate, or a source connector); null when none is. */
    public static Integer slotReader(Connection source, String slot) throws SQLException {
        try (PreparedStatement ps = source.prepareStatement("SELECT active_pid FROM pg_catalog.pg_replication_slots WHERE slot_name = ? AND active")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getInt(1) : null;
            }
        }
    }

    /** Waits up to {@code millis} for whatever reads the slot (a source connector being deleted) to let go of it. */
    public static void awaitNoReader(Connection source, String slot, long millis) throws SQLException, InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (slotReader(source, slot) != null && System.currentTimeMillis() < deadline) Thread.sleep(500);
    }

    /** Writes the cutover marker into the source's WAL, after everything committed before it. */
    public static String emitMarker(Connection c, String slot, String requestId) throws SQLException {
        writable(c);
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.pg_logical_emit_message(true, ?, ?)::text")) {
            ps.setString(1, LiveStream.MARKER_PREFIX);
            ps.setString(2, LiveStream.marker(slot, requestId));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /** The migration's own session writes even once `cutover --stop-writes` made the database read-only. */
    public static void writable(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SET default_transaction_read_only = off");
        }
    }

    private static boolean exists(Connection c, String sql, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
}
