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
 * place; schema changes (columns, an identity column and a unique key, an index, a table dropped) are carried in their place among the rows, one
 * cancelled by a distributed deadlock is carried again, a table renamed stops the sink's task until it is undone, and the undo, read late from
 * another topic, does not take back a column added after it; the
 * cutover takes the source's privileges and comments.
 */
@org.junit.jupiter.api.Timeout(value = 240) // a stream that never ends fails the test, not the build
class DeployPartitionsIT {
    @TempDir
    Path dir;

    @Test
    void aPartitionsRowsTruncateAndSchemaChangesStreamThroughConnectAndTheCutoverTakesPrivileges() throws Exception {
        EmbeddedConnectCluster connect = EmbeddedConnect.start("parts");
        try (EmbeddedPg pg = EmbeddedPg.start(); CitusTarget citus = CitusTarget.open(pg)) {
            String db = pg.createDatabase("parts");
            pg.exec(db, """
                    create table tenant (id int primary key);
                    create table event (tenant_id int not null references tenant, id int, at date not null, note text,
                      primary key (tenant_id, id, at)) partition by range (at);
                    create table event_2025 partition of event for values from ('2025-01-01') to ('2026-01-01');
                    create table event_2026 partition of event for values from ('2026-01-01') to ('2027-01-01');
                    create table scratch (tenant_id int references tenant, id int, primary key (tenant_id, id));
                    insert into tenant select generate_series(1, 3);
                    insert into scratch select g % 3 + 1, g from generate_series(1, 10) g;
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
            // schema changes while streaming, each in its place among the rows: a column added with a default and rows using it, a
            // column added and dropped, a column added to the partitioned table, an index
            pg.exec(db, """
                    insert into tenant values (4);
                    alter table tenant add column name text default 'n0', add column tmp int;
                    update tenant set name = 'two', tmp = 2 where id = 2;
                    insert into tenant values (5, 'five', 5);
                    alter table tenant drop column tmp;
                    update tenant set name = 'three' where id = 3;
                    create index tenant_name on tenant (name);
                    alter table event add column extra int default 5;
                    insert into event values (4, 300, date '2026-05-01', 'with extra', 9);
                    update event set extra = 6 where id = 1 and at >= '2026-01-01';
                    insert into scratch values (1, 100);
                    drop table scratch;
                    alter table tenant add column code bigint generated always as identity, add constraint tenant_code unique (code);
                    insert into tenant (id, name) values (6, 'six');
                    """);
            String tenants = "select string_agg(id || ':' || name || ':' || code, ',' order by id) from %stenant";
            String events = "select string_agg(tenant_id || ':' || id || ':' || at || ':' || note || ':' || extra, ',' order by tenant_id, id, at) from %sevent";
            waitUntilEqual(pg, citus, db, tenants.formatted(""), tenants.formatted(schema + "."));
            waitUntilEqual(pg, citus, db, events.formatted(""), events.formatted(schema + "."));
            assertEquals(List.of("0"), citus.rows("select count(*) from information_schema.columns where table_schema = '" + schema
                    + "' and table_name = 'tenant' and column_name = 'tmp'"), "the column dropped on the source is dropped on the target");
            assertEquals(List.of("1"), citus.rows("select count(*) from pg_indexes where schemaname = '" + schema + "' and indexname = 'tenant_name'"));
            if (!citus.isStandIn()) carriedAgainAfterADeadlock(connect, pg, citus, db, schema);
            long until = System.currentTimeMillis() + 60_000;
            while (!citus.rows("select count(*) from pg_tables where schemaname = '" + schema + "' and tablename = 'scratch'").equals(List.of("0"))
                    && System.currentTimeMillis() < until) Thread.sleep(250);
            assertEquals(List.of("0"), citus.rows("select count(*) from pg_tables where schemaname = '" + schema + "' and tablename = 'scratch'"),
                    "the table dropped on the source is dropped on the target");
            // a table created while streaming: planned by the command file's rules (a foreign key to tenant makes it distributed by
            // the tenant key), made on the target, its rows streamed through a topic of its own that the sink finds
            pg.exec(db, "create table note (tenant_id int references tenant, id int primary key, body text); insert into note values (1, 1, 'x'),"
                    + " (2, 2, 'y'); update tenant set name = 'after the note' where id = 1");
            String notes = "select string_agg(tenant_id || ':' || id || ':' || body, ',' order by id, body) from %snote";
            waitUntilEqual(pg, citus, db, notes.formatted(""), notes.formatted(schema + "."));
            assertEquals(List.of("tenant_id"), citus.rows("select column_to_column_name(logicalrelid, partkey) from pg_dist_partition"
                    + " where logicalrelid = '" + schema + ".note'::regclass"), "distributed by the tenant key, as the plan says");
            pg.exec(db, "insert into note values (3, 3, 'z'); update note set body = 'x2' where id = 1; delete from note where id = 2");
            waitUntilEqual(pg, citus, db, notes.formatted(""), notes.formatted(schema + "."));
            // its primary key changed: the sink writes its rows by the new one from there on (two rows with the same id)
            pg.exec(db, "alter table note drop constraint note_pkey, add primary key (id, body);"
                    + " insert into note values (1, 5, 'five'), (2, 5, 'another five'); delete from note where id = 3;"
                    + " update note set tenant_id = 2 where id = 5 and body = 'five'");
            waitUntilEqual(pg, citus, db, notes.formatted(""), notes.formatted(schema + "."));
            assertEquals(List.of("tenant_id,id,body"), citus.rows("select string_agg(a.attname, ',' order by k.n) from pg_constraint c,"
                    + " unnest(c.conkey) with ordinality k(attnum, n) join pg_attribute a on a.attnum = k.attnum where c.conrelid = '" + schema
                    + ".note'::regclass and a.attrelid = c.conrelid and c.contype = 'p'"), "the target's key: the source's with the tenant key");
            // a table renamed: its change comes in the old name's topic after its last rows there; the target's table is renamed
            // and the rows under the new name (its own topic, maybe read first) wait for it
            pg.exec(db, "insert into note values (3, 6, 'before the rename'); alter table note rename to memo;"
                    + " insert into memo values (4, 7, 'after the rename'); update memo set body = 'renamed' where id = 1");
            String memos = notes.replace("note", "memo");
            waitUntilEqual(pg, citus, db, memos.formatted(""), memos.formatted(schema + "."));
            assertEquals(List.of("0"), citus.rows("select count(*) from pg_tables where schemaname = '" + schema + "' and tablename = 'note'"));
            // a table the command file names, renamed: the command file no longer plans; the sink's task stops naming the statement
            // and why; undone on the source and the task restarted, the stream goes on
            pg.exec(db, "alter table tenant rename to customer");
            String failed = awaitFailedTask(connect, "citus-migrate-sink");
            assertTrue(failed.contains("ALTER TABLE public.customer (alter table tenant rename to customer)"), failed);
            assertTrue(failed.contains("table tenant does not exist in the source database"), failed);
            assertTrue(failed.contains("restart the sink's failed task"), failed);
            pg.exec(db, "alter table customer rename to tenant; insert into memo values (4, 8, 'after the undo')");
            connect.restartTask("citus-migrate-sink", 0);
            waitUntilEqual(pg, citus, db, memos.formatted(""), memos.formatted(schema + "."));
            waitUntilEqual(pg, citus, db, tenants.formatted(""), tenants.formatted(schema + "."));
            // the undo came in the topic of the name it undid (customer), which the sink finds later than tenant's: a column
            // added after it, carried first, stays when the undo (older) is read
            pg.exec(db, "alter table tenant add column since text default 'f'; update tenant set since = 'g' where id = 2");
            String since = "select string_agg(id || ':' || since, ',' order by id) from %stenant";
            waitUntilEqual(pg, citus, db, since.formatted(""), since.formatted(schema + "."));
            long read = System.currentTimeMillis() + 60_000;
            String undoRead = "select count(*) from citus_migrate.sink_offsets where topic like '%.public.customer'";
            while (!citus.rows(undoRead).equals(List.of("1")) && System.currentTimeMillis() < read) Thread.sleep(250);
            assertEquals(List.of("1"), citus.rows(undoRead), "the undo's topic was read");
            pg.exec(db, "update tenant set since = 'h' where id = 3");
            waitUntilEqual(pg, citus, db, since.formatted(""), since.formatted(schema + "."));
            // privileges granted meanwhile reach the target at the cutover
            pg.exec(db, "grant select on event to public; comment on table tenant is 'who'");
            Run cutover = Run.of("cutover", file.toString(), "--connect", url, "--stop-writes", "--timeout", "120");
            assertEquals(0, cutover.code(), cutover.out() + cutover.err());
            assertTrue(cutover.out().contains("made the source's on the target"), cutover.out());
            assertEquals(List.of("true|who"), citus.rows("select has_table_privilege('public', '" + schema + ".event', 'SELECT') || '|'"
                    + " || obj_description('" + schema + ".tenant'::regclass, 'pg_class')"));
            assertEquals(pg.rows(db, events.formatted("")), citus.rows(events.formatted(schema + ".")));
            assertEquals(pg.rows(db, memos.formatted("")), citus.rows(memos.formatted(schema + ".")));
            Run verify = Run.of("verify", file.toString());
            assertEquals(0, verify.code(), verify.out() + verify.err());
            assertEquals(List.of(), pg.rows(db, "select tgname from pg_trigger where tgname like 'citus_migrate%'"), "the triggers went with the slot");
            assertEquals(List.of(), pg.rows(db, "select evtname from pg_event_trigger"), "the schema capture went with the slot");
            assertEquals(List.of(), pg.rows(db, "select slot_name from pg_replication_slots where database = current_database()"));
        } finally {
            connect.stop();
        }
    }

    /**
     * A carry Citus cancels to end a distributed deadlock, as another task's batch on the same
     * shards can make it: a session on a worker holds the last of the tenant table's shards there,
     * the carry's ALTER TABLE takes the others and waits for it, then the session asks for the
     * first. Citus cancels the younger transaction, the carry's; the sink carries the change again
     * instead of failing its task.
     */
    private static void carriedAgainAfterADeadlock(EmbeddedConnectCluster connect, EmbeddedPg pg, CitusTarget citus, String db, String schema)
            throws Exception {
        List<String> placed = citus.rows("select n.nodename || '|' || n.nodeport || '|' || min(s.shardid) || '|' || max(s.shardid)"
                + " from pg_dist_shard s join pg_dist_placement p using (shardid) join pg_dist_node n using (groupid)"
                + " where s.logicalrelid = '" + schema + ".tenant'::regclass group by n.nodename, n.nodeport order by n.nodeport limit 1");
        String[] w = placed.get(0).split("\\|");
        java.util.Optional<java.sql.Connection> node = citus.connectNode(w[0], Integer.parseInt(w[1]));
        if (node.isEmpty()) {
            System.out.println("[DeployPartitionsIT] worker " + w[0] + ":" + w[1] + " does not answer from here: the deadlock step is not run");
            return;
        }
        String first = schema + ".tenant_" + w[2];
        String last = schema + ".tenant_" + w[3];
        try (java.sql.Connection c = node.get(); java.sql.Statement st = c.createStatement()) {
            // this session is never the one PostgreSQL's own check ends
            st.execute("set deadlock_timeout = '10min'");
            st.execute("set citus.enable_manual_changes_to_shards = on");
            c.setAutoCommit(false);
            st.execute("lock table " + last + " in access share mode"); // the carry reads the table, then waits to alter it
            pg.exec(db, "alter table tenant add column flag int default 7");
            String waiting = "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and query like"
                    + " '%worker_apply_shard_ddl_command (" + w[3] + ",%'";
            long until = System.currentTimeMillis() + 60_000;
            while (true) {
                st.execute("select pg_stat_clear_snapshot()"); // read afresh within this session's transaction
                try (java.sql.ResultSet rs = st.executeQuery(waiting)) {
                    rs.next();
                    if (rs.getInt(1) > 0) break;
                }
                if (System.currentTimeMillis() > until) throw new AssertionError("the carry never waited for " + last);
                Thread.sleep(100);
            }
            // granted only once the carry's transaction, holding it, is gone: cancelled by the deadlock
            st.execute("lock table " + first + " in access share mode");
            c.rollback();
        }
        pg.exec(db, "update tenant set flag = 8 where id = 1");
        String flags = "select string_agg(id || ':' || flag, ',' order by id) from %stenant";
        waitUntilEqual(pg, citus, db, flags.formatted(""), flags.formatted(schema + "."));
        assertTrue(connect.connectorStatus("citus-migrate-sink").tasks().stream().noneMatch(t -> "FAILED".equals(t.state())));
    }

    /** The trace of the sink's first task once it failed. */
    private static String awaitFailedTask(EmbeddedConnectCluster connect, String connector) throws Exception {
        long until = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < until) {
            var st = connect.connectorStatus(connector);
            for (var t : st.tasks()) if ("FAILED".equals(t.state())) return t.trace();
            Thread.sleep(250);
        }
        throw new AssertionError("the task of " + connector + " did not fail");
    }

    /** Until the target answers as the source does (a column the stream has not carried yet is an error meanwhile). */
    private static void waitUntilEqual(EmbeddedPg pg, CitusTarget citus, String db, String onSource, String onTarget) throws Exception {
        long until = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < until) {
            try {
                if (pg.rows(db, onSource).equals(citus.rows(onTarget))) return;
            } catch (java.sql.SQLException notYet) {
                // the target's table has not got the column yet
            }
            Thread.sleep(250);
        }
        assertEquals(pg.rows(db, onSource), citus.rows(onTarget));
    }
}
