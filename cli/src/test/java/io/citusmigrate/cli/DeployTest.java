package io.citusmigrate.cli;

import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `deploy` puts Debezium's source and the Citus sink on a Connect cluster through its REST API. */
@org.junit.jupiter.api.Timeout(value = 240) // a stream that never ends fails the test, not the build
class DeployTest {
    @TempDir
    Path dir;



    @Test
    void theConnectorsRunOnAConnectClusterAndTheTargetFollowsTheSource() throws Exception {
        EmbeddedConnectCluster connect = new EmbeddedConnectCluster.Builder().name("deploy").numWorkers(1).numBrokers(1)
                .workerProps(new java.util.HashMap<>(Map.of("plugin.discovery", "service_load", "offset.flush.interval.ms", "1000"))).build();
        connect.start();
        try (EmbeddedPg pg = EmbeddedPg.start(); CitusTarget citus = CitusTarget.open(pg)) {
            String db = pg.createDatabase("deploy");
            pg.exec(db, """
                    create table tenant (id int primary key, name text not null);
                    create table item (id serial primary key, tenant_id int not null references tenant, note text, at timetz);
                    insert into tenant select g, 't' || g from generate_series(1, 5) g;
                    insert into item (tenant_id, note, at) select g % 5 + 1, 'n' || g, '10:00+05:30' from generate_series(1, 300) g;
                    """);
            String schema = citus.newSchema("deploy");
            Path file = dir.resolve("deploy.load");
            Files.writeString(file, """
                    load database from %s into %s
                      with include drop, schema only, no foreign keys, slot name = 'cm_deploy_test'
                      alter schema 'public' rename to '%s'
                      distribute tenant using id;
                    """.formatted(pg.url(db), citus.url(), schema));
            Run created = Run.of("migrate", file.toString());
            assertEquals(0, created.code(), created.out() + created.err());

            String url = connect.endpointForResource("connectors").replaceAll("connectors$", "");
            Run deployed = Run.of("deploy", file.toString(), "--connect", url, "--passwords", "inline");
            assertEquals(0, deployed.code(), deployed.out() + deployed.err());
            assertTrue(deployed.out().contains("citus-migrate-source: RUNNING, citus-migrate-sink: RUNNING"), deployed.out());
            String config = connect.connectorInfo("citus-migrate-sink").config().toString();
            assertFalse(deployed.out().contains("password=") || deployed.err().contains("postgres@"), "no password printed");
            assertTrue(config.contains("citus.tables"), config);

            pg.exec(db, "update item set note = 'changed' where id <= 10; delete from item where id between 20 and 29;"
                    + " insert into item (tenant_id, note, at) values (2, 'new', '23:59-12')");
            Run verify = null;
            long deadline = System.currentTimeMillis() + 120_000;
            while (System.currentTimeMillis() < deadline) {
                verify = Run.of("verify", file.toString());
                if (verify.code() == 0) break;
                Thread.sleep(1000);
            }
            assertEquals(0, verify.code(), verify.out() + verify.err());
            assertEquals(List.of("291|10|10:00:00+05:30"), citus.rows("select count(*), count(*) filter (where note = 'changed'),"
                    + " min(at::text) from " + schema + ".item"));

            Run deleted = Run.of("deploy", file.toString(), "--connect", url, "--delete");
            assertEquals(0, deleted.code(), deleted.out() + deleted.err());
            assertTrue(deleted.out().contains("citus-migrate-sink: deleted"), deleted.out());
            pg.exec(db, "select pg_drop_replication_slot('cm_deploy_test')");
        } finally {
            connect.stop();
        }
    }
}
