package io.citusmigrate.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Embedded PostgreSQL for tests: one server per test class, logical decoding on. */
public final class EmbeddedPg implements AutoCloseable {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private final EmbeddedPostgres pg;
    private final Path dataDirectory;

    private EmbeddedPg(EmbeddedPostgres pg, Path dataDirectory) {
        this.pg = pg;
        this.dataDirectory = dataDirectory;
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
                    .start(), dir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start embedded PostgreSQL", e);
        }
    }

    /**
     * Restarts the server as an operator would with {@code pg_ctl restart -m fast}: the postmaster
     * is sent SIGINT (every session ended, a checkpoint written), then started again on the same
     * data directory and port. pg_ctl itself refuses to run as root, which the embedded server does.
     */
    public synchronized void restart() {
        try {
            // the postmaster by its pid file (the embedded server's own process handle may be a launcher that has exited)
            long pid = Long.parseLong(Files.readAllLines(dataDirectory.resolve("postmaster.pid")).get(0).strip());
            ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("no postmaster " + pid));
            // its command line as the kernel has it (ProcessHandle.Info may leave it out)
            Path proc = Path.of("/proc", Long.toString(postmaster.pid()));
            List<String> command = List.of(new String(Files.readAllBytes(proc.resolve("cmdline"))).split("\0"));
            // and its environment: the embedded binaries run as root only with what their launcher set
            java.util.Map<String, String> env = new java.util.HashMap<>();
            for (String kv : new String(Files.readAllBytes(proc.resolve("environ"))).split("\0")) {
                int eq = kv.indexOf('=');
                if (eq > 0) env.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            stop(postmaster);
            // as root, PostgreSQL refuses to start; zonky starts it in a user namespace of its own, and so does this
            List<String> launched = new java.util.ArrayList<>(command);
            if ("root".equals(System.getProperty("user.name"))) launched.addAll(0, List.of("unshare", "-U"));
            ProcessBuilder launch = new ProcessBuilder(launched); // its data directory relative to this process's, as at the start
            launch.environment().clear();
            launch.environment().putAll(env);
            restarted = launch.redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of("target", "pgdata", "restarted-" + port() + ".log").toFile())).start();
            long until = System.currentTimeMillis() + 60_000;
            while (true) {
                try (Connection c = connect("postgres")) {
                    return;
                } catch (SQLException e) {
                    if (!restarted.isAlive() || System.currentTimeMillis() > until) throw new IllegalStateException("embedded PostgreSQL did not come back", e);
                    Thread.sleep(100);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot restart embedded PostgreSQL", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The postmaster started by {@link #restart}, which the embedded server's own close does not know of. */
    private Process restarted;

    private static void stop(ProcessHandle postmaster) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-INT", Long.toString(postmaster.pid())).inheritIO().start().waitFor();
        try {
            postmaster.onExit().get(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("embedded PostgreSQL did not stop", e);
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
            if (restarted != null && restarted.isAlive()) stop(restarted.toHandle());
            pg.close();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
