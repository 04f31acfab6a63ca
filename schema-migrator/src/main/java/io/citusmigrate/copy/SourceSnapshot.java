package io.citusmigrate.copy;

import io.citusmigrate.UserError;
import io.citusmigrate.db.Databases;
import io.citusmigrate.sql.Sql;
import io.citusmigrate.load.ConnectionUrl;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * One consistent view of the source for every reader. It is exported by creating the logical
 * replication slot, so that streaming can later start exactly where the snapshot ends (the
 * slot's consistent point). The exporting connection stays open until every reader has
 * imported the snapshot; closing it ends the export (and drops a temporary slot).
 */
public final class SourceSnapshot implements AutoCloseable {
    private final Connection exporter;
    private final String snapshot;
    private final String slot;
    private final String consistentPoint;

    private SourceSnapshot(Connection exporter, String snapshot, String slot, String consistentPoint) {
        this.exporter = exporter;
        this.snapshot = snapshot;
        this.slot = slot;
        this.consistentPoint = consistentPoint;
    }

    /**
     * Creates the slot and exports its snapshot. A temporary slot (a snapshot-only load) goes
     * away with the connection. Without wal_level=logical there is no slot: a snapshot-only
     * load then exports a plain snapshot.
     */
    public static SourceSnapshot open(ConnectionUrl source, String slotName, boolean temporary) {
        String walLevel;
        try (Connection c = Databases.connect("source", source); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_setting('wal_level')")) {
            rs.next();
            walLevel = rs.getString(1);
        } catch (SQLException e) {
            throw new UserError("cannot read wal_level on the source " + source + ": " + Databases.oneLine(e, source));
        }
        if (!"logical".equals(walLevel)) {
            if (!temporary) {
                throw new UserError("the source " + source + " has wal_level=" + walLevel
                        + ": streaming needs wal_level=logical (set it and restart the source)");
            }
            return plainSnapshot(source);
        }
        Properties p = source.properties();
        p.setProperty("replication", "database");
        p.setProperty("preferQueryMode", "simple");
        p.setProperty("assumeMinServerVersion", "10");
        Connection c;
        try {
            c = java.sql.DriverManager.getConnection(source.jdbcUrl(), p);
        } catch (SQLException e) {
            throw new io.citusmigrate.db.ConnectionError("cannot open a replication connection to the source database " + source
                    + ": " + Databases.oneLine(e, source) + " (the user needs the REPLICATION attribute)");
        }
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("CREATE_REPLICATION_SLOT " + Sql.ident(slotName) + (temporary ? " TEMPORARY" : "")
                     + " LOGICAL pgoutput EXPORT_SNAPSHOT")) {
            rs.next();
            return new SourceSnapshot(c, rs.getString("snapshot_name"), rs.getString("slot_name"), rs.getString("consistent_point"));
        } catch (SQLException e) {
            Databases.close(c);
            throw new UserError("creating the replication slot " + slotName + " on the source " + source + " failed: "
                    + Databases.oneLine(e, source));
        }
    }

    private static SourceSnapshot plainSnapshot(ConnectionUrl source) {
        Connection c = Databases.connect("source", source);
        try {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_export_snapshot()")) {
                rs.next();
                return new SourceSnapshot(c, rs.getString(1), null, null);
            }
        } catch (SQLException e) {
            Databases.close(c);
            throw new UserError("exporting a snapshot on the source " + source + " failed: " + Databases.oneLine(e, source));
        }
    }

    public String name() {
        return snapshot;
    }

    /** The slot whose stream starts where this snapshot ends, or null without one. */
    public String slot() {
        return slot;
    }

    public String consistentPoint() {
        return consistentPoint;
    }

    /** Makes a connection's next transaction read this snapshot. */
    public void use(Connection reader) throws SQLException {
        reader.setAutoCommit(false);
        reader.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        reader.setReadOnly(true);
        try (Statement s = reader.createStatement()) {
            s.execute("SET TRANSACTION SNAPSHOT " + Sql.literal(snapshot));
        }
    }

    @Override
    public void close() {
        Databases.close(exporter);
    }
}
