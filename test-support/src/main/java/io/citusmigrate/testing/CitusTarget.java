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
 * The Citus database a test writes to: the best Citus there is, in this order, and the test
 * output says which one it got:
 * <ol>
 * <li>{@code CITUS_URL}, a JDBC URL of a coordinator with the extension and nodes registered;</li>
 * <li>a {@code citusdata/citus} container through Testcontainers, when a Docker engine answers;</li>
 * <li>a coordinator and two workers the test JVM starts itself from a Citus extension installed
 * on the machine ({@link LocalCitusCluster});</li>
 * <li>the TEST-ONLY stand-in on the test's embedded PostgreSQL, otherwise.</li>
 * </ol>
 * {@code CITUS_TARGET=url|docker|local|standin} asks for one of them (a missing one is an error).
 * On a real Citus each test works in schemas of its own that {@link #close()} drops.
 */
public final class CitusTarget implements AutoCloseable {
    private final String jdbcUrl;
    private final String commandFileUrl;
    private final String user;
    private final String password;
    private final boolean standIn;
    private final String description;
    private final List<String> schemas = new ArrayList<>();
    private static final java.util.Set<String> ANNOUNCED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private CitusTarget(String jdbcUrl, String commandFileUrl, String user, String password, boolean standIn, String description) {
        this.jdbcUrl = jdbcUrl;
        this.commandFileUrl = commandFileUrl;
        this.user = user;
        this.password = password;
        this.standIn = standIn;
        this.description = description;
    }

    public static CitusTarget open(EmbeddedPg pg) {
        String want = System.getenv().getOrDefault("CITUS_TARGET", "auto").strip().toLowerCase(java.util.Locale.ROOT);
        String citusUrl = System.getenv("CITUS_URL");
        if (citusUrl != null && !citusUrl.isBlank() && (want.equals("auto") || want.equals("url"))) {
            return real(citusUrl, "CITUS_URL");
        }
        if (want.equals("url")) throw new IllegalStateException("CITUS_TARGET=url but CITUS_URL is not set");
        if (want.equals("auto") || want.equals("docker")) {
            java.util.Optional<String> url = DockerCitus.coordinatorUrl();
            if (url.isPresent()) return real(url.get(), "a citusdata/citus container (Testcontainers)");
            if (want.equals("docker")) throw new IllegalStateException("CITUS_TARGET=docker but no Docker engine answers");
        }
        if (want.equals("auto") || want.equals("local")) {
            java.util.Optional<String> url = LocalCitusCluster.coordinatorUrl();
            if (url.isPresent()) {
                return real(url.get(), "a coordinator and two workers started by the tests from the installed extension ("
                        + LocalCitusCluster.installedBin().orElseThrow().getParent() + ")");
            }
            if (want.equals("local")) throw new IllegalStateException("CITUS_TARGET=local but no installed Citus extension could start");
        }
        String db = pg.createDatabase("citus");
        installStandIn(pg, db);
        announce((want.equals("standin") ? "CITUS_TARGET=standin" : "no real Citus (no CITUS_URL, no Docker engine, no installed extension)")
                + ": using the TEST-ONLY Citus stand-in on embedded PostgreSQL");
        return new CitusTarget("jdbc:postgresql://localhost:" + pg.port() + "/" + db, pg.url(db), "postgres", "postgres", true,
                "the TEST-ONLY Citus stand-in on embedded PostgreSQL");
    }

    private static void announce(String line) {
        if (ANNOUNCED.add(line)) System.out.println("[citus-target] " + line);
    }

    /** What this target is, for test and benchmark output: real Citus (and how it was found) or the stand-in. */
    public String description() {
        return description;
    }

    private static CitusTarget real(String jdbcUrl, String source) {
        URI u = URI.create(jdbcUrl.substring("jdbc:".length()));
        String user = null;
        String password = null;
        List<String> params = new ArrayList<>(); // the URL's other parameters (sslmode, for one) reach the tool too
        if (u.getQuery() != null) {
            for (String kv : u.getQuery().split("&")) {
                String[] p = kv.split("=", 2);
                if (p[0].equals("user")) user = p[1];
                else if (p[0].equals("password")) password = p[1];
                else params.add(kv);
            }
        }
        String query = params.isEmpty() ? "" : "?" + String.join("&", params);
        if (u.getUserInfo() != null) {
            String[] p = u.getUserInfo().split(":", 2);
            user = p[0];
            if (p.length > 1) password = p[1];
        }
        String plain = "jdbc:postgresql://" + u.getHost() + ":" + (u.getPort() < 0 ? 5432 : u.getPort()) + u.getPath() + query;
        String fileUrl = "postgresql://" + (user != null ? user : "postgres") + (password != null ? ":" + password : "")
                + "@" + u.getHost() + ":" + (u.getPort() < 0 ? 5432 : u.getPort()) + u.getPath() + query;
        String version;
        try (Connection c = DriverManager.getConnection(plain, user, password); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT citus_version(), (SELECT count(*) FROM pg_dist_node)")) {
            rs.next();
            version = rs.getString(1).replaceFirst(" on .*", "") + ", " + rs.getInt(2) + " nodes";
        } catch (SQLException e) {
            throw new IllegalStateException("the Citus coordinator from " + source + " does not answer: " + e.getMessage(), e);
        }
        String description = "real " + version + " at " + u.getHost() + ":" + u.getPort() + u.getPath() + ", from " + source;
        announce("using " + description);
        return new CitusTarget(plain, fileUrl, user, password, false, description);
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

    /**
     * Restarts a node of the cluster the suite started itself (0: the coordinator, 1 and 2: the
     * workers) with {@code pg_ctl restart -m fast}; false, and nothing done, on any other target,
     * whose nodes a test must not restart.
     */
    public boolean restartNode(int node) {
        return description.contains("started by the tests") && LocalCitusCluster.restart(node);
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

    /**
     * A session on one node of this target (a worker, as {@code pg_dist_node} names it), in the
     * coordinator's database, as the target's user: for a test that holds locks on a worker's
     * shards. Empty when the node does not answer from here (a container's network).
     */
    public java.util.Optional<Connection> connectNode(String host, int port) {
        URI u = URI.create(jdbcUrl.substring("jdbc:".length()));
        try {
            return java.util.Optional.of(DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + u.getPath()
                    + (u.getQuery() == null ? "" : "?" + u.getQuery()), user, password));
        } catch (SQLException e) {
            return java.util.Optional.empty();
        }
    }

    /**
     * A plain PostgreSQL source database beside this target (on the coordinator of the cluster
     * the tests started, with logical decoding): for sources needing the machine's extensions
     * (PostGIS), which zonky's embedded PostgreSQL lacks. Its JDBC URL; empty with any other
     * target.
     */
    public java.util.Optional<String> plainSourceBeside(String prefix) {
        if (!description.contains("started by the tests")) return java.util.Optional.empty();
        return LocalCitusCluster.plainDatabase(prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8));
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
    /** Drops the test's schemas; again, nothing more. */
    public void close() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String schema : schemas) s.execute("DROP SCHEMA IF EXISTS \"" + schema.replace("\"", "\"\"") + "\" CASCADE");
        }
        schemas.clear();
    }
}
