package io.citusmigrate.live;

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

    /**
     * The publication must exist before the slot: pgoutput reads it as of each change, so changes
     * made before it was created would not be sent. Partitions are published through their root.
     */
    public static void createPublication(Connection c, String name, Plan plan) throws SQLException {
        if (exists(c, "SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = ?", name)) return;
        String tables = ConnectorConfigs.streamed(plan).stream().map(t -> t.source().name().sql()).collect(Collectors.joining(", "));
        try (Statement s = c.createStatement()) {
            s.execute("CREATE PUBLICATION " + Sql.ident(name) + " FOR TABLE " + tables + " WITH (publish_via_partition_root = true)");
        }
    }

    /**
     * Refuses, before the source is touched, tables whose rows cannot be streamed: without a
     * primary key their updates and deletes cannot be matched on the target, and once published
     * PostgreSQL would refuse the application's own UPDATE and DELETE on them.
     */
    public static void refuseKeyless(Plan plan) {
        List<String> keyless = ConnectorConfigs.streamed(plan).stream().filter(t -> t.source().primaryKey().isEmpty())
                .map(t -> t.source().name().sql()).toList();
        if (keyless.isEmpty()) return;
        throw new io.citusmigrate.UserError("cannot stream " + String.join(", ", keyless) + ": no primary key, so updates and deletes"
                + " cannot be matched on the target, and publishing " + (keyless.size() == 1 ? "it" : "them") + " would make the source"
                + " refuse the application's UPDATE and DELETE. Nothing was changed on the source. Give "
                + (keyless.size() == 1 ? "it" : "each") + " a primary key, or move the data with `with snapshot only`");
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
        try (Statement s = c.createStatement()) {
            s.execute("DROP PUBLICATION IF EXISTS " + Sql.ident(publication));
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

    /** The walsender reading the slot now (a running migrate, or a source connector); null when none is. */
    public static Integer slotReader(Connection source, String slot) throws SQLException {
        try (PreparedStatement ps = source.prepareStatement("SELECT active_pid FROM pg_catalog.pg_replication_slots WHERE slot_name = ? AND active")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getInt(1) : null;
            }
        }
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
