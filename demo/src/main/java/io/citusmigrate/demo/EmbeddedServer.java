package io.citusmigrate.demo;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/** A PostgreSQL server the demo starts itself (zonky's binaries: nothing to install), with logical decoding on. */
final class EmbeddedServer implements AutoCloseable {
    private final EmbeddedPostgres pg;

    private EmbeddedServer(EmbeddedPostgres pg) {
        this.pg = pg;
    }

    static EmbeddedServer start(Path dataDir) throws IOException {
        return new EmbeddedServer(EmbeddedPostgres.builder()
                .setDataDirectory(dataDir)
                .setCleanDataDirectory(true)
                .setServerConfig("wal_level", "logical")
                .setServerConfig("max_replication_slots", "10")
                .setServerConfig("max_wal_senders", "10")
                .start());
    }

    int port() {
        return pg.getPort();
    }

    /** A command-file URL of one of its databases (trust authentication: no password). */
    String url(String db) {
        return "postgresql://postgres@localhost:" + port() + "/" + db;
    }

    Connection connect(String db) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://localhost:" + port() + "/" + db + "?ApplicationName=citus-migrate-demo",
                "postgres", "");
    }

    void createDatabase(String name) throws SQLException {
        try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
    }

    @Override
    public void close() throws IOException {
        pg.close();
    }
}
