package io.citusmigrate.cli;

import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import org.apache.kafka.connect.util.clusters.EmbeddedKafkaCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

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
        try (EmbeddedPg pg = EmbeddedPg.start(); CitusTarget citus = CitusTarget.open(pg);
             ConnectWorker worker = ConnectWorker.start(dir, kafka.bootstrapServers(), citus, "plugin-path-test")) {
            String url = worker.url();
            String pluginList = worker.plugins();
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
            assertEquals(0, deployed.code(), deployed.out() + deployed.err() + "\nworker:\n" + worker.tail());
            assertTrue(deployed.out().contains("the snapshot is under way"), deployed.out());
            String config = ConnectWorker.get(url + "connectors/citus-migrate-sink/config");
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
            assertEquals(0, cutover.code(), cutover.out() + cutover.err() + "\nworker:\n" + worker.tail());
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
            kafka.stop();
        }
    }
}
