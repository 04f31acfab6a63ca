package io.citusmigrate.cli;

import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `deploy` puts Debezium's source and the Citus sink on a Connect cluster through its REST API. */
@org.junit.jupiter.api.Timeout(value = 240) // a stream that never ends fails the test, not the build
class DeployIT {
    @TempDir
    Path dir;



    @Test
    void theConnectorsRunOnAConnectClusterAndTheTargetFollowsTheSource() throws Exception {
        EmbeddedConnectCluster connect = EmbeddedConnect.start("deploy");
        try (EmbeddedPg pg = EmbeddedPg.start(); CitusTarget citus = CitusTarget.open(pg)) {
            String db = pg.createDatabase("deploy");
            pg.exec(db, """
                    create table tenant (id int primary key, name text not null);
                    create table item (id serial primary key, tenant_id int not null references tenant, note text, at timetz);
                    insert into tenant select g, 't' || g from generate_series(1, 6) g;
                    insert into item (tenant_id, note, at) select g % 5 + 1, 'n' || g, '10:00+05:30' from generate_series(1, 300) g;
                    create table reading (id serial primary key, item_id int references item, v int);
                    insert into reading (item_id, v) select g % 200 + 101, g from generate_series(1, 50) g;
                    insert into reading (item_id, v) values (null, -1); -- an orphan: no path to a tenant
                    """);
            String schema = citus.newSchema("deploy");
            Path file = dir.resolve("deploy.load");
            LoadFile.write(file, pg, db, citus, schema, "include drop, slot name = 'cm_deploy_test', on orphan rows skip", "distribute tenant using id");
            String url = EmbeddedConnect.url(connect);
            // an invalid setting is reported by name, and nothing is registered
            Run invalid = Run.of("deploy", file.toString(), "--connect", url, "--passwords", "inline", "--dlq-replication-factor", "1",
                    "--topic-prefix", "");
            assertEquals(1, invalid.code(), invalid.out() + invalid.err());
            assertTrue(invalid.err().contains("citus-migrate-source: topic.prefix: "), invalid.err());
            assertEquals(List.of(), connect.connectors().stream().toList(), "nothing registered");
            // --dry-run: validated, printed, not registered; passwords hidden
            Run dry = Run.of("deploy", file.toString(), "--connect", url, "--passwords", "inline", "--dlq-replication-factor", "1", "--dry-run");
            assertEquals(0, dry.code(), dry.out() + dry.err());
            assertTrue(dry.out().contains("citus-migrate-sink (validated by the cluster, not registered):"), dry.out());
            assertTrue(dry.out().lines().filter(l -> l.contains("password = ")).allMatch(l -> l.endsWith("password = (hidden)")), dry.out());
            assertTrue(dry.out().contains("  errors.deadletterqueue.topic.name = citus-migrate-dlq"), dry.out());
            assertEquals(List.of(), connect.connectors().stream().toList(), "nothing registered");

            // a deploy that fails (the target has no schema, and --no-schema says not to make it) leaves nothing running, no slot
            Run failed = Run.of("deploy", file.toString(), "--connect", url, "--passwords", "inline", "--no-schema", "--timeout", "90");
            assertEquals(1, failed.code(), failed.out() + failed.err());
            assertTrue(failed.err().contains("deploy failed and undone: both connectors deleted, the slot cm_deploy_test"), failed.err());
            assertEquals(List.of(), connect.connectors().stream().toList(), "nothing registered");
            assertEquals(List.of(), pg.rows(db, "select slot_name from pg_replication_slots where database = current_database()"
                    + " union all select pubname from pg_publication"), "no slot, no publication");
            // the undone deploy's snapshot stays in the topics (its sink read it: it failed on it); a row deleted since must not come back
            pg.exec(db, "delete from tenant where id = 6");

            Run deployed = Run.of("deploy", file.toString(), "--connect", url, "--passwords", "inline", "--dlq-replication-factor", "1",
                    "--sink-tasks", "2");
            assertEquals(0, deployed.code(), deployed.out() + deployed.err());
            assertTrue(deployed.err().contains("warning: --passwords inline"), deployed.err());
            assertTrue(deployed.out().contains("orphan rows: skip (to the dead-letter topic citus-migrate-dlq)"), deployed.out());
            assertTrue(deployed.out().contains("creating the schema on "), deployed.out());
            assertTrue(deployed.out().contains("citus-migrate-source: RUNNING, citus-migrate-sink: RUNNING; waiting for the snapshot's first rows"),
                    deployed.out());
            assertTrue(deployed.out().contains("the snapshot is under way: the sink writes into "), deployed.out());
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
            assertEquals(List.of("0"), citus.rows("select count(*) from " + schema + ".tenant where id = 6"), "the deleted tenant stays deleted");
            assertEquals(List.of("291|10|10:00:00+05:30"), citus.rows("select count(*), count(*) filter (where note = 'changed'),"
                    + " min(at::text) from " + schema + ".item"));
            // status of a Connect deployment: its connectors and the slot's lag
            Run status = Run.of("status", file.toString(), "--connect", url);
            assertEquals(0, status.code(), status.err());
            assertTrue(status.out().contains("(slot cm_deploy_test): streaming (Connect)"), status.out());
            assertTrue(status.out().contains("  connector citus-migrate-sink: RUNNING"), status.out());
            assertTrue(status.out().contains("  the slot has confirmed all but "), status.out());
            var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Run.of("status", file.toString(), "--connect", url, "--json").out());
            assertEquals("RUNNING", json.get("connectors").get("citus-migrate-source").asText());
            assertTrue(json.get("slot_lag_bytes").asLong() >= 0, json.toString());
            assertEquals(1, json.get("rows_to_dead_letter_topic").asLong(), json.toString());
            assertTrue(status.out().contains("  rows the sink could not place, sent to the dead-letter topic: 1"), status.out());
            // the orphan went to the dead-letter topic; the task kept running
            assertEquals(List.of("50"), citus.rows("select count(*) from " + schema + ".reading"));
            assertEquals(1, connect.kafka().consume(1, 60_000, "citus-migrate-dlq").count());
            assertTrue(connect.connectorStatus("citus-migrate-sink").tasks().get(0).state().equals("RUNNING"));

            // a TRUNCATE on the source empties the target table on Connect too; the rows after it stay
            pg.exec(db, "truncate reading; insert into reading (item_id, v) values (101, 7)");
            long until = System.currentTimeMillis() + 120_000;
            while (!citus.rows("select count(*), min(v) from " + schema + ".reading").equals(List.of("1|7"))
                    && System.currentTimeMillis() < until) Thread.sleep(200);
            assertEquals(List.of("1|7"), citus.rows("select count(*), min(v) from " + schema + ".reading"));

            // a redeploy keeps a setting added on the cluster, and refuses to overwrite one changed there
            Map<String, String> live = new java.util.HashMap<>(connect.connectorInfo("citus-migrate-sink").config());
            live.put("consumer.override.max.poll.records", "250");
            live.put("consumer.override.auto.offset.reset", "latest");
            connect.configureConnector("citus-migrate-sink", live);
            Run again = Run.of("deploy", file.toString(), "--connect", url, "--passwords", "inline", "--dlq-replication-factor", "1", "--sink-tasks", "2");
            assertEquals(1, again.code(), again.out() + again.err());
            assertTrue(again.err().contains("citus-migrate-sink consumer.override.auto.offset.reset: the cluster has latest, the plan gives earliest"),
                    again.err());
            live.put("consumer.override.auto.offset.reset", "earliest");
            connect.configureConnector("citus-migrate-sink", live);
            Run kept = Run.of("deploy", file.toString(), "--connect", url, "--passwords", "inline", "--dlq-replication-factor", "1", "--sink-tasks", "2");
            assertEquals(0, kept.code(), kept.out() + kept.err());
            assertTrue(kept.out().contains("kept from the cluster: citus-migrate-sink consumer.override.max.poll.records = 250"), kept.out());
            assertEquals("250", connect.connectorInfo("citus-migrate-sink").config().get("consumer.override.max.poll.records"));

            Run dryCleanup = Run.of("cleanup", file.toString(), "--connect", url, "--dry-run");
            assertTrue(dryCleanup.out().contains("would remove:\n  connector citus-migrate-source on the Connect cluster " + url), dryCleanup.out());
            assertTrue(dryCleanup.out().contains("  connector citus-migrate-sink on the Connect cluster "), dryCleanup.out());
            Run deleted = Run.of("deploy", file.toString(), "--connect", url, "--delete");
            assertEquals(0, deleted.code(), deleted.out() + deleted.err());
            assertTrue(deleted.out().contains("citus-migrate-sink: deleted"), deleted.out());
            assertTrue(deleted.out().contains("the replication slot cm_deploy_test and the publication cm_deploy_test stay on the source"),
                    deleted.out());
            pg.exec(db, "update item set note = 'while away' where id between 30 and 39");
            // deployed again: the slot is there, so the schema must not be made again
            Run refused = Run.of("deploy", file.toString(), "--connect", url, "--passwords", "inline", "--dlq-replication-factor", "1", "--sink-tasks", "2");
            assertEquals(1, refused.code(), refused.out() + refused.err());
            assertTrue(refused.err().contains("(--no-schema)"), refused.err());
            Run back = Run.of("deploy", file.toString(), "--connect", url, "--passwords", "inline", "--dlq-replication-factor", "1", "--no-schema",
                    "--sink-tasks", "2");
            assertEquals(0, back.code(), back.out() + back.err());
            assertEquals(2, connect.connectorStatus("citus-migrate-sink").tasks().size(), "two sink tasks split the tables");
            // items move to other tenants (with their readings, which the other task writes) while readings come for them
            for (int i = 0; i < 5; i++) {
                pg.exec(db, "update item set tenant_id = tenant_id % 5 + 1 where id between 100 + " + i * 10 + " and 104 + " + i * 10
                        + "; insert into reading (item_id, v) select g, " + i + " from generate_series(100 + " + i * 10 + ", 109 + " + i * 10
                        + ") g; update reading set v = v + 100 where item_id between 100 + " + i * 10 + " and 109 + " + i * 10);
            }
            pg.exec(db, "insert into item (tenant_id, note, at) values (3, 'after the redeploy', '01:00+01'); update tenant set name = 'renamed' where id = 4");

            // a table created while streaming whose tenant key comes through item (the target gains the column), its items moved to
            // other tenants meanwhile; then renamed: with two tasks, the rows under the new name may reach the other task first
            pg.exec(db, "create table item_note (id serial primary key, item_id int not null references item, body text);"
                    + " insert into item_note (item_id, body) select g, 'note ' || g from generate_series(200, 240) g;"
                    + " update item set tenant_id = tenant_id % 5 + 1 where id between 200 and 204");
            pg.exec(db, "update item set tenant_id = tenant_id % 5 + 1 where id between 205 and 209; alter table item_note rename to remark;"
                    + " insert into remark (item_id, body) select g, 'remark ' || g from generate_series(241, 250) g;"
                    + " update remark set body = 'changed' where item_id = 200; update item set tenant_id = tenant_id % 5 + 1 where id = 241");
            String remarks = "select string_agg(id || ':' || item_id || ':' || body, ',' order by id) from %sremark";
            long renamedBy = System.currentTimeMillis() + 120_000;
            while (System.currentTimeMillis() < renamedBy) {
                try {
                    if (pg.rows(db, remarks.formatted("")).equals(citus.rows(remarks.formatted(schema + ".")))) break;
                } catch (java.sql.SQLException notYet) {
                    // the target's table has not been made or renamed yet
                }
                Thread.sleep(250);
            }
            assertEquals(pg.rows(db, remarks.formatted("")), citus.rows(remarks.formatted(schema + ".")));
            // every remark under its item's tenant (the source's remarks have no tenant key of their own), moves included
            String placed = "select string_agg(r.id || ':' || i.tenant_id, ',' order by r.id) from remark r join item i on i.id = r.item_id";
            String onTarget = "select string_agg(id || ':' || tenant_id, ',' order by id) from " + schema + ".remark";
            long movedBy = System.currentTimeMillis() + 60_000;
            while (!citus.rows(onTarget).equals(pg.rows(db, placed)) && System.currentTimeMillis() < movedBy) Thread.sleep(250);
            assertEquals(pg.rows(db, placed), citus.rows(onTarget));

            String tasks = "select count(distinct task) from citus_migrate.sink_offsets where sink = 'citus-migrate-sink'";
            long writtenBy = System.currentTimeMillis() + 120_000;
            while (!citus.rows(tasks).equals(List.of("2")) && System.currentTimeMillis() < writtenBy) {
                // a change to every table now and then: a task given its partitions in a late rebalance has something to write
                // (the table keeps which task wrote each partition last)
                pg.exec(db, "update tenant set name = name where id = 1; update item set note = note where id = 1;"
                        + " update reading set v = v where id = (select min(id) from reading); update remark set body = body where id = 1");
                Thread.sleep(2000);
            }
            assertEquals(List.of("2"), citus.rows(tasks), "both tasks wrote their tables' changes");
            // the cutover of a Connect deployment: writes stopped, everything before the marker applied, foreign keys, connectors and slot gone
            // a cutover that cannot finish in time gives the writes back
            Run tooShort = Run.of("cutover", file.toString(), "--connect", url, "--stop-writes", "--timeout", "1");
            assertEquals(1, tooShort.code(), tooShort.out() + tooShort.err());
            assertTrue(tooShort.out().contains("cutover failed and undone: writes given back, the source is writable again"), tooShort.out());
            pg.exec(db, "update tenant set name = 'after an undone cutover' where id = 1");
            Run cutover = Run.of("cutover", file.toString(), "--connect", url, "--stop-writes", "--timeout", "120");
            assertEquals(0, cutover.code(), cutover.out() + cutover.err());
            assertTrue(cutover.out().contains("waiting until each partition of the sink's 5 topics is drained by the task holding it (of 2 tasks)"), cutover.out());
            assertTrue(cutover.out().contains("cutover done in "), cutover.out());
            assertTrue(cutover.out().contains("connectors citus-migrate-source and citus-migrate-sink removed; slot cm_deploy_test"), cutover.out());
            // autovacuum off on the tables the foreign keys join while they are added, back on after
            assertTrue(cutover.out().matches("(?s).*autovacuum paused on [1-9][0-9]* target tables? until the cutover is done.*"
                    + "autovacuum on again on [1-9][0-9]* target tables?\n.*"), cutover.out());
            assertEquals(List.of(), citus.rows("select relname from pg_class where relnamespace = '" + schema + "'::regnamespace"
                    + " and array_to_string(reloptions, ',') like '%autovacuum%'"), "autovacuum is back on after the cutover");
            assertEquals(List.of(), connect.connectors().stream().toList());
            assertEquals(List.of(), pg.rows(db, "select slot_name from pg_replication_slots where database = current_database()"));
            assertEquals(List.of(), pg.rows(db, "select pubname from pg_publication"));
            assertEquals(List.of("3"), citus.rows("select count(*) from pg_constraint where contype = 'f' and convalidated"
                    + " and connamespace = '" + schema + "'::regnamespace"), "the foreign keys, added and validated at the cutover");
            Run equal = Run.of("verify", file.toString());
            assertEquals(0, equal.code(), equal.out() + equal.err());
            assertEquals(List.of("10"), citus.rows("select count(*) from " + schema + ".item where note = 'while away'"));
            Run left = Run.of("cleanup", file.toString(), "--connect", url, "--dry-run");
            assertFalse(left.out().contains("connector ") || left.out().contains("replication slot"), left.out());
        } finally {
            connect.stop();
        }
    }
}
