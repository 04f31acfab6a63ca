package io.citusmigrate.cli;

import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import org.apache.kafka.connect.util.clusters.EmbeddedKafkaCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Connect path as a Kafka Connect user runs it: a `ConnectDistributed` worker in a JVM of its
 * own, whose class path holds Kafka Connect only, with `plugin.path` holding the unzipped
 * citus-sink plugin and Debezium's PostgreSQL connector with the fidelity jar beside it, and
 * passwords through the worker's env config provider. Deploy with an orphan row present and two
 * sink tasks, writes (a tenant move among them), a column added and an index, the cutover, equal tables, nothing left.
 */
@org.junit.jupiter.api.Timeout(value = 300)
class PluginPathIT {
    @TempDir
    Path dir;

    @Test
    void aWorkerLoadsThePluginsFromPluginPathAndTheMigrationRunsThroughItToTheCutover() throws Exception {
        EmbeddedKafkaCluster kafka = new EmbeddedKafkaCluster(1, new Properties());
        kafka.start();
        Process worker = null;
        try (EmbeddedPg pg = EmbeddedPg.start(); CitusTarget citus = CitusTarget.open(pg)) {
            Path plugins = plugins();
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Path props = dir.resolve("worker.properties");
            Files.writeString(props, String.join("\n",
                    "bootstrap.servers=" + kafka.bootstrapServers(), "group.id=plugin-path-test", "listeners=http://localhost:" + port,
                    "config.storage.topic=pp-configs", "offset.storage.topic=pp-offsets", "status.storage.topic=pp-status",
                    "config.storage.replication.factor=1", "offset.storage.replication.factor=1", "status.storage.replication.factor=1",
                    "key.converter=org.apache.kafka.connect.json.JsonConverter", "value.converter=org.apache.kafka.connect.json.JsonConverter",
                    "offset.flush.interval.ms=1000", "plugin.path=" + plugins,
                    "config.providers=env", "config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider", ""));
            ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-Xmx512m",
                    "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"), "-cp", connectOnlyClassPath(),
                    "org.apache.kafka.connect.cli.ConnectDistributed", props.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("worker.log").toFile());
            pb.environment().put("CITUS_MIGRATE_SOURCE_PASSWORD", "");
            pb.environment().put("CITUS_MIGRATE_TARGET_PASSWORD", citus.password() == null ? "" : citus.password());
            worker = pb.start();
            String url = "http://localhost:" + port + "/";
            String pluginList = awaitPlugins(url, worker);
            assertTrue(pluginList.contains("io.citusmigrate.sink.CitusSinkConnector"), pluginList);
            assertTrue(pluginList.contains("io.debezium.connector.postgresql.PostgresConnector"), pluginList);

            String db = pg.createDatabase("plugins");
            pg.exec(db, """
                    create table tenant (id int primary key, name text not null);
                    create table item (id serial primary key, tenant_id int not null references tenant, note text, spot point);
                    insert into tenant select g, 't' || g from generate_series(1, 5) g;
                    insert into item (tenant_id, note, spot) select g % 5 + 1, 'n' || g, point(g, -g) from generate_series(1, 200) g;
                    create table reading (id serial primary key, item_id int references item, v int);
                    insert into reading (item_id, v) select g % 200 + 1, g from generate_series(1, 100) g;
                    insert into reading (item_id, v) values (null, -1); -- an orphan: no path to a tenant
                    """);
            String schema = citus.newSchema("plugins");
            Path file = dir.resolve("plugins.load");
            LoadFile.write(file, pg, db, citus, schema, "include drop, slot name = 'cm_plugin_path', on orphan rows skip", "distribute tenant using id");

            // the defaults: a one-broker cluster takes the dead-letter topic at the brokers' default replication
            Run deployed = Run.of("deploy", file.toString(), "--connect", url, "--sink-tasks", "2", "--timeout", "180");
            assertEquals(0, deployed.code(), deployed.out() + deployed.err() + "\nworker:\n" + tail(dir.resolve("worker.log")));
            assertTrue(deployed.out().contains("the snapshot is under way"), deployed.out());
            String config = get(url + "connectors/citus-migrate-sink/config");
            assertTrue(config.contains("${env:CITUS_MIGRATE_TARGET_PASSWORD}"), "passwords reach the cluster as references: " + config);

            pg.exec(db, "update item set note = 'changed' where id <= 20; delete from item where id between 150 and 155;"
                    + " update item set tenant_id = tenant_id % 5 + 1 where id between 100 and 110;"
                    + " insert into reading (item_id, v) select g, 7 from generate_series(100, 110) g;"
                    + " insert into item (tenant_id, note, spot) values (2, 'new', point(1.5, 2.5))");
            // a schema change, carried by the sink through the engine in its plugin directory
            pg.exec(db, "alter table item add column extra text default 'x'; update item set extra = 'y' where id <= 3;"
                    + " create index item_extra on item (extra)");
            // without --connect: the cutover finds the deployment `deploy` recorded on the target
            Run cutover = Run.of("cutover", file.toString(), "--stop-writes", "--timeout", "180");
            assertEquals(0, cutover.code(), cutover.out() + cutover.err() + "\nworker:\n" + tail(dir.resolve("worker.log")));
            assertTrue(cutover.out().contains("the migration was deployed to the Connect cluster " + url), cutover.out());
            assertTrue(cutover.out().contains("is drained by the task holding it (of 2 tasks)"), cutover.out());
            Run verify = Run.of("verify", file.toString());
            assertEquals(0, verify.code(), verify.out() + verify.err());
            String extra = "select string_agg(id || ':' || extra, ',' order by id) from %sitem";
            assertEquals(pg.rows(db, extra.formatted("")), citus.rows(extra.formatted(schema + ".")), "the column added while streaming");
            assertEquals(List.of("111"), citus.rows("select count(*) from " + schema + ".reading"),
                    "100 readings and 11 new ones for the moved items; the orphan went to the dead-letter topic");
            assertEquals(List.of(), pg.rows(db, "select slot_name from pg_replication_slots where database = current_database()"));
            Run left = Run.of("cleanup", file.toString(), "--connect", url, "--dry-run");
            assertFalse(left.out().contains("connector ") || left.out().contains("replication slot"), left.out());
        } finally {
            if (worker != null) {
                worker.destroy();
                worker.waitFor(30, TimeUnit.SECONDS);
                worker.destroyForcibly();
            }
            kafka.stop();
        }
    }

    /** plugin.path as a worker has it: one directory per plugin, each with its jars. */
    private Path plugins() throws IOException {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Path zip = Path.of("..", "migration-engine", "target", "citus-sink.zip").toAbsolutePath().normalize();
        assertTrue(Files.exists(zip), "the sink's plugin zip (mvn package builds it): " + zip);
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

    private String awaitPlugins(String url, Process worker) throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline) {
            if (!worker.isAlive()) throw new AssertionError("the worker ended:\n" + tail(dir.resolve("worker.log")));
            try {
                String body = get(url + "connector-plugins");
                if (body.contains("CitusSinkConnector")) return body;
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the worker's REST API did not list the plugins:\n" + tail(dir.resolve("worker.log")));
    }

    private static String get(String url) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IOException("HTTP " + r.statusCode());
        return r.body();
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
