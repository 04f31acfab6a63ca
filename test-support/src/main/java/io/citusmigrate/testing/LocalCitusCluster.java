package io.citusmigrate.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Citus cluster the test JVM starts itself from a Citus extension installed on the
 * machine: a coordinator and two workers under {@code target/}, on free loopback ports, the
 * nodes registered, stopped when the JVM exits. One per JVM, shared by every test class (each
 * works in schemas of its own). PostgreSQL refuses to run as root, so as root the servers run
 * as the {@code postgres} system user (which Debian's server package creates).
 */
final class LocalCitusCluster {
    static final String DATABASE = "citus_migrate_test";
    private static final int NODES = 3;
    private static LocalCitusCluster started;
    private static boolean tried;

    private final Path bin;
    private final Path root;
    private final int[] ports = new int[NODES];
    private final String osUser;

    private LocalCitusCluster(Path bin, Path root, String osUser) {
        this.bin = bin;
        this.root = root;
        this.osUser = osUser;
    }

    /** The PostgreSQL bin directory of an installation with the citus extension, if any. */
    static Optional<Path> installedBin() {
        List<Path> candidates = new ArrayList<>();
        String pgConfig = System.getenv("CITUS_PG_BIN");
        if (pgConfig != null && !pgConfig.isBlank()) candidates.add(Path.of(pgConfig));
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                versions.sorted(Comparator.reverseOrder()).forEach(v -> candidates.add(v.resolve("bin")));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return candidates.stream()
                .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.exists(b.getParent().resolve("lib").resolve("citus.so")))
                .findFirst();
    }

    /** The cluster's coordinator as a JDBC URL, starting the cluster on first use; empty when it cannot start. */
    static synchronized Optional<String> coordinatorUrl() {
        if (!tried) {
            tried = true;
            Optional<Path> bin = installedBin();
            if (bin.isEmpty()) return Optional.empty();
            String user = isRoot() ? "postgres" : null;
            Path root = Path.of("target", "citus-cluster-" + ProcessHandle.current().pid()).toAbsolutePath();
            if (user != null && !reachable(root.getParent(), user)) {
                // a checkout under a directory the postgres user cannot enter (/root, say)
                root = Path.of(System.getProperty("java.io.tmpdir").startsWith("/") ? "/tmp" : System.getProperty("java.io.tmpdir"),
                        "citus-cluster-" + ProcessHandle.current().pid());
            }
            LocalCitusCluster c = new LocalCitusCluster(bin.get(), root, user);
            try {
                stopLeftovers(root.getParent(), bin.get(), user);
                c.start();
                Runtime.getRuntime().addShutdownHook(new Thread(c::stop, "citus-cluster-stop"));
                started = c;
            } catch (Exception e) {
                System.out.println("[citus-target] the installed Citus (" + bin.get() + ") could not start a cluster: " + e.getMessage());
                c.stop();
            }
        }
        return started == null ? Optional.empty()
                : Optional.of("jdbc:postgresql://127.0.0.1:" + started.ports[0] + "/" + DATABASE + "?user=postgres");
    }

    /**
     * A new plain database (no citus) on the started cluster's coordinator, as a JDBC URL: a source
     * with the machine's PostgreSQL extensions (PostGIS, say) and logical decoding. Empty when the
     * tests did not start the cluster.
     */
    static synchronized Optional<String> plainDatabase(String name) {
        if (started == null) return Optional.empty();
        try (Connection c = connect(started.ports[0], "postgres"); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create the database " + name + " on the local cluster: " + e.getMessage(), e);
        }
        return Optional.of("jdbc:postgresql://127.0.0.1:" + started.ports[0] + "/" + name + "?user=postgres");
    }

    /**
     * Restarts one node of the started cluster (0: the coordinator) as an operator would
     * ({@code pg_ctl restart -m fast}: its sessions are ended); false when the tests did not start it.
     */
    static synchronized boolean restart(int node) {
        if (started == null) return false;
        Path data = started.root.resolve("node" + node);
        try {
            started.run(List.of(started.bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l",
                    started.root.resolve("node" + node + ".log").toString(), "-m", "fast", "-w", "-t", "60", "restart"));
            return true;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("cannot restart " + data + ": " + e.getMessage(), e);
        }
    }

    private void start() throws IOException, InterruptedException, SQLException {
        Files.createDirectories(root);
        own(root);
        for (int i = 0; i < NODES; i++) {
            ports[i] = freePort();
            Path data = root.resolve("node" + i);
            run(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-A", "trust", "-U", "postgres", "--no-sync",
                    "-E", "UTF8", "--locale=C"));
            Files.writeString(data.resolve("postgresql.conf"), String.join("\n",
                    "port = " + ports[i],
                    "listen_addresses = '127.0.0.1'",
                    "unix_socket_directories = ''",
                    "shared_preload_libraries = 'citus'",
                    // a plain database on the coordinator can be a logical-decoding source (extensions zonky's PostgreSQL lacks)
                    "wal_level = logical",
                    "max_connections = 300",
                    "max_worker_processes = 32",
                    "shared_buffers = 128MB",
                    // test data is thrown away: durability buys nothing here
                    "fsync = off",
                    "synchronous_commit = off",
                    "full_page_writes = off",
                    // fewer shards per table keep the many small test schemas quick to create
                    "citus.shard_count = 4",
                    ""), java.nio.file.StandardOpenOption.APPEND);
            run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", root.resolve("node" + i + ".log").toString(),
                    "-w", "-t", "60", "start"));
        }
        for (int i = 0; i < NODES; i++) {
            try (Connection c = connect(ports[i], "postgres"); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + DATABASE);
            }
            try (Connection c = connect(ports[i], DATABASE); Statement s = c.createStatement()) {
                s.execute("CREATE EXTENSION citus");
            }
        }
        try (Connection c = connect(ports[0], DATABASE); Statement s = c.createStatement()) {
            s.execute("SELECT citus_set_coordinator_host('127.0.0.1', " + ports[0] + ")");
            for (int i = 1; i < NODES; i++) s.execute("SELECT citus_add_node('127.0.0.1', " + ports[i] + ")");
        }
    }

    private void stop() {
        for (int i = 0; i < NODES; i++) {
            Path data = root.resolve("node" + i);
            if (!Files.exists(data.resolve("postmaster.pid"))) continue;
            try {
                run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"));
            } catch (Exception e) {
                System.out.println("[citus-target] could not stop " + data + ": " + e.getMessage());
            }
        }
        deleteTree(root);
    }

    /** Clusters of JVMs that died without their shutdown hook (kill -9) are stopped and removed. */
    private static void stopLeftovers(Path dir, Path bin, String user) throws IOException {
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> old = Files.list(dir)) {
            for (Path p : old.filter(x -> x.getFileName().toString().startsWith("citus-cluster-")).toList()) {
                long pid = Long.parseLong(p.getFileName().toString().substring("citus-cluster-".length()));
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
                new LocalCitusCluster(bin, p, user).stop();
            }
        } catch (NumberFormatException e) {
            // not one of ours
        }
    }

    /** Whether {@code user} can reach (enter every directory up to) {@code dir}. */
    private static boolean reachable(Path dir, String user) {
        try {
            Files.createDirectories(dir);
            exec(List.of("runuser", "-u", user, "--", "test", "-x", dir.toString()));
            return true;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static Connection connect(int port, String db) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + db, "postgres", "");
    }

    private void own(Path dir) throws IOException, InterruptedException {
        if (osUser != null) exec(List.of("chown", osUser, dir.toString()));
    }

    /** Runs a PostgreSQL program, as the postgres user when this JVM is root. */
    private void run(List<String> cmd) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (osUser != null) full.addAll(List.of("runuser", "-u", osUser, "--"));
        full.addAll(cmd);
        exec(full);
    }

    private static void exec(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out.strip());
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: target/ is cleaned by the next build
        }
    }
}
