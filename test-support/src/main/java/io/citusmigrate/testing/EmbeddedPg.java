package io.citusmigrate.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/** Embedded PostgreSQL for tests: one server per test class, logical decoding on. */
public final class EmbeddedPg implements AutoCloseable {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private final EmbeddedPostgres pg;

    private EmbeddedPg(EmbeddedPostgres pg) {
        this.pg = pg;
    }

    public static EmbeddedPg start() {
        try {
            Path dir = Path.of("target", "pgdata", "pg-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet());
            Files.createDirectories(dir.getParent());
            return new EmbeddedPg(EmbeddedPostgres.builder()
                    .setDataDirectory(dir)
                    .setCleanDataDirectory(true)
                    .setServerConfig("wal_level", "logical")
                    .setServerConfig("max_replication_slots", "20")
                    .setServerConfig("max_wal_senders", "20")
                    // zonky turns it off; tests that read WAL right away need it on
                    .setServerConfig("synchronous_commit", "on")
                    .start());
        } catch (IOException e) {
            throw new IllegalStateException("cannot start embedded PostgreSQL", e);
        }
    }

    public int port() {
        return pg.getPort();
    }

    /** Creates a database and returns its name. */
    public String createDatabase(String prefix) {
        String name = prefix + "_" + SEQ.incrementAndGet();
        exec("postgres", "CREATE DATABASE " + name);
        return name;
    }

    public Connection connect(String db) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://localhost:" + port() + "/" + db, "postgres", "postgres");
    }

    /** A command-file URL for a database of this server. */
    public String url(String db) {
        return "postgresql://postgres@localhost:" + port() + "/" + db;
    }

    public void exec(String db, String sql) {
        try (Connection c = connect(db); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** The rows of a query on a database of this server, each as its columns joined by '|'. */
    public java.util.List<String> rows(String db, String sql) {
        java.util.List<String> out = new java.util.ArrayList<>();
        try (Connection c = connect(db); Statement s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                StringBuilder b = new StringBuilder();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) b.append(i > 1 ? "|" : "").append(rs.getString(i));
                out.add(b.toString());
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        return out;
    }

    @Override
    public void close() {
        try {
            pg.close();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
