package io.citusmigrate.cli;

import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A partitioned table through a Connect deployment: its rows stream through its root, and a TRUNCATE of one partition arrives in its
 * place; the cutover refuses a schema the target does not have, and takes the source's privileges and comments.
 */
@org.junit.jupiter.api.Timeout(value = 240) // a stream that never ends fails the test, not the build
class DeployPartitionsIT {
    @TempDir
    Path dir;

    @Test
    void aPartitionsRowsAndTruncateStreamThroughConnectAndTheCutoverRefusesSchemaDriftAndTakesPrivileges() throws Exception {
        EmbeddedConnectCluster connect = EmbeddedConnect.start("parts");
        try (EmbeddedPg pg = EmbeddedPg.start(); CitusTarget citus = CitusTarget.open(pg)) {
            String db = pg.createDatabase("parts");
            pg.exec(db, """
                    create table tenant (id int primary key);
                    create table event (tenant_id int not null references tenant, id int, at date not null, note text,
                      primary key (tenant_id, id, at)) partition by range (at);
                    create table event_2025 partition of event for values from ('2025-01-01') to ('2026-01-01');
                    create table event_2026 partition of event for values from ('2026-01-01') to ('2027-01-01');
                    insert into tenant select generate_series(1, 3);
                    insert into event select g % 3 + 1, g, date '2025-03-01' + g, 'a' from generate_series(1, 40) g;
                    insert into event select g % 3 + 1, g, date '2026-03-01' + g, 'b' from generate_series(1, 40) g;
                    """);
            String schema = citus.newSchema("parts");
            Path file = dir.resolve("parts.load");
            LoadFile.write(file, pg, db, citus, schema, "include drop, slot name = 'cm_deploy_parts'", "distribute tenant using id");
            String url = EmbeddedConnect.url(connect);
            Run deployed = Run.of("deploy", file.toString(), "--connect", url, "--passwords", "inline", "--dlq-replication-factor", "1");
            assertEquals(0, deployed.code(), deployed.out() + deployed.err());
            String rows = "select string_agg(tenant_id || ':' || id || ':' || at || ':' || note, ',' order by tenant_id, id, at) from %sevent";
            waitUntilEqual(pg, citus, db, rows.formatted(""), rows.formatted(schema + "."));
            // streamed rows of both partitions; then one partition emptied and filled again, while the other changes
            pg.exec(db, """
                    update event set note = 'changed' where id <= 5;
                    insert into event select 1, g, date '2025-12-01', 'before the truncate' from generate_series(100, 104) g;
                    truncate event_2025;
                    insert into event select 2, g, date '2025-06-01', 'after the truncate' from generate_series(200, 203) g;
                    update event set note = 'after too' where at >= '2026-01-01' and id <= 3;
                    """);
            waitUntilEqual(pg, citus, db, rows.formatted(""), rows.formatted(schema + "."));
            assertEquals(List.of("4"), citus.rows("select count(*) from " + schema + ".event_2025"), "only the rows after the TRUNCATE");
            assertEquals(List.of("40"), citus.rows("select count(*) from " + schema + ".event_2026"), "the other partition untouched");
            // a schema change is not carried through Connect: the cutover finds it, says so and gives the writes back
            pg.exec(db, "alter table event add column extra int; create index event_note on event (note)");
            Run refused = Run.of("cutover", file.toString(), "--connect", url, "--stop-writes", "--timeout", "120");
            assertEquals(1, refused.code(), refused.out() + refused.err());
            assertTrue(refused.err().contains("a Connect deployment does not carry schema changes: column " + schema + ".event.extra is on the"
                    + " source, not on the target; index event_note on " + schema + ".event is on the source, not on the target"), refused.err());
            assertTrue(refused.out().contains("writes given back, the source is writable again"), refused.out());
            // undone on the source; privileges granted meanwhile reach the target at the cutover
            pg.exec(db, "alter table event drop column extra; drop index event_note; grant select on event to public; comment on table tenant is 'who'");
            Run cutover = Run.of("cutover", file.toString(), "--connect", url, "--stop-writes", "--timeout", "120");
            assertEquals(0, cutover.code(), cutover.out() + cutover.err());
            assertTrue(cutover.out().contains("made the source's on the target"), cutover.out());
            assertEquals(List.of("true|who"), citus.rows("select has_table_privilege('public', '" + schema + ".event', 'SELECT') || '|'"
                    + " || obj_description('" + schema + ".tenant'::regclass, 'pg_class')"));
            Run verify = Run.of("verify", file.toString());
            assertEquals(0, verify.code(), verify.out() + verify.err());
            assertEquals(List.of(), pg.rows(db, "select tgname from pg_trigger where tgname like 'citus_migrate%'"), "the triggers went with the slot");
            assertEquals(List.of(), pg.rows(db, "select slot_name from pg_replication_slots where database = current_database()"));
        } finally {
            connect.stop();
        }
    }

    private static void waitUntilEqual(EmbeddedPg pg, CitusTarget citus, String db, String onSource, String onTarget) throws Exception {
        long until = System.currentTimeMillis() + 120_000;
        while (!pg.rows(db, onSource).equals(citus.rows(onTarget)) && System.currentTimeMillis() < until) Thread.sleep(250);
        assertEquals(pg.rows(db, onSource), citus.rows(onTarget));
    }
}
