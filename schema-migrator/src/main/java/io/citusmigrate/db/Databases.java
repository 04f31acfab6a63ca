package io.citusmigrate.db;

import io.citusmigrate.UserError;
import io.citusmigrate.load.ConnectionUrl;
import io.citusmigrate.load.LoadCommand;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/** Opening connections, with one-line errors that name the database and never its password. */
public final class Databases {
    private Databases() {}

    /** @param role "source" or "target", for the error message */
    public static Connection connect(String role, ConnectionUrl url) {
        Properties p = url.properties();
        p.putIfAbsent("ApplicationName", "citus-migrate");
        p.putIfAbsent("connectTimeout", "10");
        try {
            return DriverManager.getConnection(url.jdbcUrl(), p);
        } catch (SQLException e) {
            throw new ConnectionError("cannot connect to the " + role + " database " + url + ": " + oneLine(e, url));
        }
    }

    /** A target connection with the command file's SET settings applied. */
    public static Connection target(LoadCommand cmd) {
        Connection c = connect("target", cmd.target());
        try {
            applySettings(c, cmd.settings());
        } catch (SQLException e) {
            close(c);
            throw new UserError("cannot apply SET on the target database " + cmd.target() + ": " + oneLine(e, cmd.target()));
        }
        return c;
    }

    /** Work on one connection whose SQLException ends the command. */
    public interface Work<T> {
        T on(Connection c) throws SQLException;
    }

    /** {@code work} on a new target connection; a failure is one line naming the target database. */
    public static <T> T onTarget(LoadCommand cmd, Work<T> work) {
        try (Connection c = target(cmd)) {
            return work.on(c);
        } catch (SQLException e) {
            throw targetFailed(cmd, e);
        }
    }

    /** A target statement's failure as the one line that ends the command. */
    public static UserError targetFailed(LoadCommand cmd, SQLException e) {
        return new UserError("the target database " + cmd.target() + " failed: " + oneLine(e, cmd.target()));
    }

    /** {@code work} on a new source connection; a failure is one line naming the source. */
    public static <T> T onSource(LoadCommand cmd, Work<T> work) {
        try (Connection c = connect("source", cmd.source())) {
            return work.on(c);
        } catch (SQLException e) {
            throw new UserError("the source " + cmd.source() + " failed: " + oneLine(e, cmd.source()));
        }
    }

    public static void applySettings(Connection c, List<LoadCommand.Setting> settings) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT set_config(?, ?, false)")) {
            for (LoadCommand.Setting s : settings) {
                ps.setString(1, s.name());
                ps.setString(2, s.value());
                ps.execute();
            }
        }
    }

    /** The Citus version of the target, or empty when the extension is not there. */
    public static Optional<String> citusVersion(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT extversion FROM pg_extension WHERE extname = 'citus'");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
        }
    }

    /** A session's time zone: the copy, its verification and `verify` render dates alike with it. */
    /** Whether the server has hash_record_extended (PostgreSQL 14 and later), used by checksums. */
    public static boolean hasRecordHash(Connection c) throws SQLException {
        return c.getMetaData().getDatabaseMajorVersion() >= 14;
    }

    public static String timeZone(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT current_setting('TimeZone')"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }

    public static void setTimeZone(Connection c, String tz) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT set_config('TimeZone', ?, false)")) {
            ps.setString(1, tz);
            ps.execute();
        }
    }

    /** The first line of a driver error, with the password masked should a server echo it. */
    public static String oneLine(SQLException e, ConnectionUrl url) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        if (nl >= 0) m = m.substring(0, nl);
        if (url != null && url.password() != null && !url.password().isEmpty()) m = m.replace(url.password(), "********");
        return m.strip();
    }

    public static void close(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // closing after a failure: the first error is the one to report
        }
    }

    /** Statements that may fail with an SQLException. */
    public interface Statements {
        void run() throws SQLException;
    }

    /** Runs {@code work} in one transaction on {@code c}: committed, or rolled back when it fails; the connection's autocommit put back. */
    public static void inTransaction(Connection c, Statements work) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            work.run();
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /** The rows a query with text parameters finds, each as its columns' text. */
    public static List<String[]> rows(Connection c, String sql, String... params) throws SQLException {
        try (java.sql.PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) ps.setString(i + 1, params[i]);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                int n = rs.getMetaData().getColumnCount();
                List<String[]> out = new java.util.ArrayList<>();
                while (rs.next()) {
                    String[] row = new String[n];
                    for (int j = 0; j < n; j++) row[j] = rs.getString(j + 1);
                    out.add(row);
                }
                return out;
            }
        }
    }

    /** The first column of the rows a query with text parameters finds. */
    public static List<String> column(Connection c, String sql, String... params) throws SQLException {
        return rows(c, sql, params).stream().map(r -> r[0]).toList();
    }
}
