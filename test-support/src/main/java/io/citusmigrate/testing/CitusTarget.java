package io.citusmigrate.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The Citus database a test writes to. With CITUS_URL set (a JDBC URL of a coordinator with the
 * extension and nodes registered) it is that database, and each test works in schemas of its
 * own that {@link #close()} drops. Otherwise it is a database on the test's embedded PostgreSQL
 * with the TEST-ONLY Citus stand-in installed, and the test output says so.
 */
public final class CitusTarget implements AutoCloseable {
    private final String jdbcUrl;
    private final String commandFileUrl;
    private final String user;
    private final String password;
    private final boolean standIn;
    private final List<String> schemas = new ArrayList<>();

    private CitusTarget(String jdbcUrl, String commandFileUrl, String user, String password, boolean standIn) {
        this.jdbcUrl = jdbcUrl;
        this.commandFileUrl = commandFileUrl;
        this.user = user;
        this.password = password;
        this.standIn = standIn;
    }

    public static CitusTarget open(EmbeddedPg pg) {
        String citusUrl = System.getenv("CITUS_URL");
        if (citusUrl != null && !citusUrl.isBlank()) return real(citusUrl);
        String db = pg.createDatabase("citus");
        installStandIn(pg, db);
        System.out.println("[citus-target] no CITUS_URL: using the TEST-ONLY Citus stand-in on embedded PostgreSQL (database " + db + ")");
        return new CitusTarget("jdbc:postgresql://localhost:" + pg.port() + "/" + db, pg.url(db), "postgres", "postgres", true);
    }

    private static CitusTarget real(String jdbcUrl) {
        URI u = URI.create(jdbcUrl.substring("jdbc:".length()));
        String user = null;
        String password = null;
        if (u.getQuery() != null) {
            for (String kv : u.getQuery().split("&")) {
                String[] p = kv.split("=", 2);
                if (p[0].equals("user")) user = p[1];
                if (p[0].equals("password")) password = p[1];
            }
        }
        if (u.getUserInfo() != null) {
            String[] p = u.getUserInfo().split(":", 2);
            user = p[0];
            if (p.length > 1) password = p[1];
        }
        String plain = "jdbc:postgresql://" + u.getHost() + ":" + (u.getPort() < 0 ? 5432 : u.getPort()) + u.getPath();
        String fileUrl = "postgresql://" + (user != null ? user : "postgres") + (password != null ? ":" + password : "")
                + "@" + u.getHost() + ":" + (u.getPort() < 0 ? 5432 : u.getPort()) + u.getPath();
        System.out.println("[citus-target] CITUS_URL set: using the real Citus coordinator at " + u.getHost() + ":" + u.getPort() + u.getPath());
        return new CitusTarget(plain, fileUrl, user, password, false);
    }

    private static void installStandIn(EmbeddedPg pg, String db) {
        try (Connection c = pg.connect("postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT setting FROM pg_config WHERE name = 'SHAREDIR'")) {
            rs.next();
            Path ext = Path.of(rs.getString(1), "extension");
            for (String f : List.of("citus.control", "citus--13.2.sql")) {
                try (InputStream in = CitusTarget.class.getResourceAsStream("/citus-standin/" + f)) {
                    Files.write(ext.resolve(f), in.readAllBytes());
                }
            }
        } catch (SQLException | IOException e) {
            throw new IllegalStateException("cannot install the Citus stand-in", e);
        }
        pg.exec(db, "CREATE EXTENSION citus");
    }

    public boolean isStandIn() {
        return standIn;
    }

    /** The URL to write into a command file's INTO clause. */
    public String url() {
        return commandFileUrl;
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl, user, password);
    }

    /** A fresh schema name for this test, dropped (with everything in it) on close. */
    public String newSchema(String prefix) {
        String name = prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        schemas.add(name);
        return name;
    }

    /** Registers a schema (possibly with a mixed-case name) to drop on close. */
    public String track(String schema) {
        schemas.add(schema);
        return schema;
    }

    /** The rows of a query on the target, each as its columns joined by '|'. */
    public List<String> rows(String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                StringBuilder b = new StringBuilder();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) b.append(i > 1 ? "|" : "").append(rs.getString(i));
                out.add(b.toString());
            }
        }
        return out;
    }

    @Override
    public void close() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String schema : schemas) s.execute("DROP SCHEMA IF EXISTS \"" + schema.replace("\"", "\"\"") + "\" CASCADE");
        }
    }
}
