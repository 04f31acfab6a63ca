package io.citusmigrate.cli;

import io.citusmigrate.testing.CitusTarget;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A Kafka Connect worker as a user runs one: `ConnectDistributed` in a JVM of its own, whose class
 * path holds Kafka Connect only, with `plugin.path` holding the unzipped citus-sink plugin and
 * Debezium's PostgreSQL connector with the fidelity jar beside it, and passwords through the
 * worker's env config provider.
 */
final class ConnectWorker implements AutoCloseable {
    private final Process process;
    private final String url;
    private final Path log;

    private ConnectWorker(Process process, String url, Path log) {
        this.process = process;
        this.url = url;
        this.log = log;
    }

    /** Started in {@code dir} against the brokers at {@code bootstrap}; returns once its REST API lists the plugins. */
    static ConnectWorker start(Path dir, String bootstrap, CitusTarget citus, String group) throws Exception {
        Path plugins = plugins(dir);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path props = dir.resolve("worker.properties");
        Files.writeString(props, String.join("\n",
                "bootstrap.servers=" + bootstrap, "group.id=" + group, "listeners=http://localhost:" + port,
                "config.storage.topic=" + group + "-configs", "offset.storage.topic=" + group + "-offsets", "status.storage.topic=" + group + "-status",
                "config.storage.replication.factor=1", "offset.storage.replication.factor=1", "status.storage.replication.factor=1",
                "key.converter=org.apache.kafka.connect.json.JsonConverter", "value.converter=org.apache.kafka.connect.json.JsonConverter",
                "offset.flush.interval.ms=1000", "plugin.path=" + plugins,
                "config.providers=env", "config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider", ""));
        Path log = dir.resolve("worker.log");
        // its log says when: which task waited on which is read from it (slf4j-simple's own settings)
        ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-Xmx512m",
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"), "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS", "-cp", connectOnlyClassPath(),
                "org.apache.kafka.connect.cli.ConnectDistributed", props.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("CITUS_MIGRATE_SOURCE_PASSWORD", "");
        pb.environment().put("CITUS_MIGRATE_TARGET_PASSWORD", citus.password() == null ? "" : citus.password());
        ConnectWorker w = new ConnectWorker(pb.start(), "http://localhost:" + port + "/", log);
        w.awaitPlugins();
        return w;
    }

    /** Its REST API's base URL, as `--connect` takes it. */
    String url() {
        return url;
    }

    long pid() {
        return process.pid();
    }

    /** The last lines of its log. */
    String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** The connector plugins its REST API lists, once it lists the Citus sink. */
    String plugins() throws IOException, InterruptedException {
        return get(url + "connector-plugins");
    }

    static String get(String url) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IOException("HTTP " + r.statusCode());
        return r.body();
    }

    private void awaitPlugins() throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline) {
            if (!process.isAlive()) throw new IllegalStateException("the worker ended:\n" + tail());
            try {
                if (plugins().contains("CitusSinkConnector")) return;
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("the worker's REST API did not list the plugins:\n" + tail());
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor(30, TimeUnit.SECONDS);
        process.destroyForcibly();
    }

    /** plugin.path as a worker has it: one directory per plugin, each with its jars. */
    private static Path plugins(Path dir) throws IOException {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Path zip = Path.of("..", "migration-engine", "target", "citus-sink.zip").toAbsolutePath().normalize();
        if (!Files.exists(zip)) throw new IllegalStateException("the sink's plugin zip (mvn package builds it): " + zip);
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                Path to = plugins.resolve(e.getName()).normalize();
                if (e.isDirectory()) Files.createDirectories(to);
                else {
                    Files.createDirectories(to.getParent());
                    Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Path debezium = Files.createDirectories(plugins.resolve("debezium-connector-postgres"));
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            boolean fidelity = entry.contains("debezium-fidelity");
            boolean theirs = (entry.contains("/io/debezium/") && !entry.contains("debezium-embedded")) || entry.contains("/org/postgresql/")
                    || entry.contains("/com/google/protobuf/");
            if (!fidelity && !theirs) continue;
            if (Files.isDirectory(p)) jar(p, debezium.resolve("debezium-fidelity.jar")); // a reactor build's classes
            else Files.copy(p, debezium.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
        return plugins;
    }

    /** The test's class path without this project, Debezium and pgjdbc: what Kafka Connect itself needs. */
    private static String connectOnlyClassPath() {
        Path root = Path.of("..").toAbsolutePath().normalize();
        List<String> keep = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (Path.of(entry).toAbsolutePath().normalize().startsWith(root) || entry.contains("/io/citusmigrate/") || entry.contains("/io/debezium/")
                    || entry.contains("/org/postgresql/") || entry.contains("/io/zonky/") || entry.contains("/org/testcontainers/")) continue;
            keep.add(entry);
        }
        return String.join(File.pathSeparator, keep);
    }

    private static void jar(Path classes, Path to) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(to)); Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                out.putNextEntry(new ZipEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                try (InputStream in = Files.newInputStream(f)) {
                    in.transferTo(out);
                }
                out.closeEntry();
            }
        }
    }
}
