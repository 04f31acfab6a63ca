package io.citusmigrate.demo;

import io.citusmigrate.UserError;
import io.citusmigrate.db.Databases;
import io.citusmigrate.sql.Sql;
import io.citusmigrate.load.ConnectionUrl;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The demo's databases: an embedded source with logical decoding, and the target: the user's
 * Citus coordinator ({@code --target}) or a second embedded server in rehearsal mode. Closing
 * stops the embedded servers and, unless kept, drops what the demo made on a given target.
 */
public final class DemoServers implements AutoCloseable {
    /** The schema the demo migrates into: dropped from a given target afterwards unless kept. */
    public static final String SCHEMA = "citus_migrate_demo";
    static final String SOURCE_DB = "shop";
    static final String TARGET_DB = "shop_on_citus";

    private final EmbeddedServer source;
    private final EmbeddedServer embeddedTarget;
    private final ConnectionUrl target;
    private final String targetUrl;
    private boolean keep;
    private String dropOnClose;

    private DemoServers(EmbeddedServer source, EmbeddedServer embeddedTarget, String targetUrl) {
        this.source = source;
        this.embeddedTarget = embeddedTarget;
        this.targetUrl = targetUrl;
        this.target = ConnectionUrl.parse(targetUrl);
    }

    public static DemoServers start(Path work, String givenTarget, PrintWriter out) throws IOException, SQLException {
        EmbeddedServer source = EmbeddedServer.start(work.resolve("source"));
        EmbeddedServer embedded = null;
        try {
            source.createDatabase(SOURCE_DB);
            out.println("source: embedded PostgreSQL on port " + source.port() + ", database " + SOURCE_DB + ", wal_level=logical");
            String url = givenTarget;
            if (url == null) {
                embedded = EmbeddedServer.start(work.resolve("target"));
                embedded.createDatabase(TARGET_DB);
                url = embedded.url(TARGET_DB);
                out.println("target: embedded PostgreSQL on port " + embedded.port() + " in REHEARSAL mode: it has no Citus, so nothing is"
                        + " distributed there (the distribution calls are printed, not run). Give --target <a Citus coordinator> to"
                        + " migrate into real Citus.");
            }
            DemoServers s = new DemoServers(source, embedded, url);
            if (givenTarget != null) {
                try (Connection c = s.targetConnection(); Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT extversion FROM pg_extension WHERE extname = 'citus'")) {
                    if (!rs.next()) throw new UserError("--target " + s.target + " has no citus extension: give a Citus coordinator database");
                    out.println("target: " + s.target + ", Citus " + rs.getString(1));
                }
                s.dropOnClose = SCHEMA;
            }
            out.flush();
            return s;
        } catch (IOException | SQLException | RuntimeException e) {
            if (embedded != null) embedded.close();
            source.close();
            throw e;
        }
    }

    public boolean rehearsal() {
        return embeddedTarget != null;
    }

    public String sourceUrl() {
        return source.url(SOURCE_DB);
    }

    /** The target as the command file's INTO clause takes it. */
    public String targetUrl() {
        return targetUrl;
    }

    public Connection source() throws SQLException {
        return source.connect(SOURCE_DB);
    }

    /** A source session for the application (its session is the one `cutover --stop-writes` ends). */
    public Connection sourceConnection() {
        try {
            return source.connect(SOURCE_DB);
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    public Connection targetConnection() {
        return Databases.connect("target", target);
    }

    /** After `cutover --stop-writes`: the source database writable again. */
    public void sourceWritable() throws SQLException {
        try (Connection c = source.connect("postgres"); Statement s = c.createStatement()) {
            s.execute("SET default_transaction_read_only = off");
            s.execute("ALTER DATABASE " + Sql.ident(SOURCE_DB) + " RESET default_transaction_read_only");
        }
    }

    public void keep(boolean keep) {
        this.keep = keep;
    }

    @Override
    public void close() throws IOException {
        try {
            if (dropOnClose != null && !keep) {
                try (Connection c = targetConnection(); Statement s = c.createStatement()) {
                    s.execute("DROP SCHEMA IF EXISTS " + Sql.ident(dropOnClose) + " CASCADE");
                } catch (SQLException | RuntimeException e) {
                    // the demo's own schema: left behind, said nowhere better than here
                    System.err.println("warning: could not drop schema " + dropOnClose + " on the target: " + e.getMessage());
                }
            }
        } finally {
            try {
                if (embeddedTarget != null) embeddedTarget.close();
            } finally {
                source.close();
            }
        }
    }
}
