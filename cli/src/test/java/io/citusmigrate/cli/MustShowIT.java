package io.citusmigrate.cli;

import io.citusmigrate.demo.DemoApplication;
import io.citusmigrate.example.ExampleData;
import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The live-migration issue's cases, each in a live migration of its own of the example
 * application while the application writes 200 transactions a second (tenant moves and new
 * tenants included): then a cutover that stops the writes, every table equal to the source's
 * by an md5 of its rows (the tenant key aside), `verify` passing, no slot left, and `migrate`
 * having run through it without a `--resume`.
 */
@org.junit.jupiter.api.Timeout(value = 300, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
@org.junit.jupiter.api.extension.ExtendWith(io.citusmigrate.testing.SourceAndCitus.class)
class MustShowIT {
    /** Transactions a second: the 200 where the machine is not shared with other heavy work. */
    private static final int RATE = Integer.getInteger("mustshow.rate", 100);
    static EmbeddedPg pg;
    static CitusTarget citus;
    @TempDir
    Path dir;

    /** What a case does on a live migration that streams while the application writes. */
    private interface Case {
        void run(Live live) throws Exception;
    }

    /** One live migration under way: its source database, target schema, command file, `migrate` and application. */
    private record Live(String db, String schema, Path file, StringWriter out, Run[] result, Thread migrate, DemoApplication[] app) {
        void source(String sql) {
            pg.exec(db, sql);
        }

        /** The application starts (again) on the source. */
        void write() {
            app[0] = new DemoApplication(() -> {
                try {
                    return pg.connect(db);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }, RATE);
            Thread t = new Thread(app[0], "application");
            t.setDaemon(true);
            t.start();
        }

        /** Until the stream has applied a change made now: it is at most a moment behind. */
        void settled() throws Exception {
            String mark = "#settled" + System.nanoTime();
            source("update companies set name = name || ' " + mark + "' where id = (select min(id) from companies)");
            caughtUp("select count(*) from companies where name like '%" + mark + "'");
        }

        /** Until the target has the rows a query finds on the source (the stream caught up on them). */
        void caughtUp(String query) throws Exception {
            long until = System.currentTimeMillis() + 120_000;
            while (!pg.rows(db, query).equals(onTarget(query.replace(" from ", " from " + schema + ".")))) {
                assertTrue(migrate.isAlive(), "migrate ended: " + out + (result[0] == null ? "" : result[0].err()));
                assertTrue(System.currentTimeMillis() < until, "not caught up on: " + query + "\n" + out);
                Thread.sleep(250);
            }
        }
    }

    /** The query's rows on the target, or none while it cannot run there yet (a column the stream has not carried yet). */
    private static List<String> onTarget(String query) {
        try {
            return citus.rows(query);
        } catch (SQLException e) {
            return null;
        }
    }

    private void liveMigration(String name, String extraSchema, Case c) throws Exception {
        String db = pg.createDatabase(name);
        try (Connection conn = pg.connect(db)) {
            ExampleData.generate(conn, 0.002, 0);
        }
        if (extraSchema != null) pg.exec(db, extraSchema);
        String schema = citus.newSchema(name);
        Path file = dir.resolve(name + ".load");
        Files.writeString(file, """
                load database from %s into %s
                  with include drop, reset sequences, slot name = 'ms_%s'
                  alter schema 'public' rename to '%s'
                  distribute companies using id;
                """.formatted(pg.url(db), citus.url(), name, schema));
        StringWriter out = new StringWriter();
        Run[] result = new Run[1];
        Thread migrate = new Thread(() -> result[0] = Run.of(out, "migrate", file.toString()));
        Live live = new Live(db, schema, file, out, result, migrate, new DemoApplication[1]);
        live.write(); // from before the bulk load on
        migrate.start();
        try {
            streamAndCutOver(live, c);
        } finally { // a failed case leaves nothing running into the next: two Debezium engines of one name collide
            live.app()[0].stop();
            migrate.interrupt();
            migrate.join(60_000);
        }
    }

    private void streamAndCutOver(Live live, Case c) throws Exception {
        String db = live.db();
        String schema = live.schema();
        Path file = live.file();
        StringWriter out = live.out();
        Run[] result = live.result();
        Thread migrate = live.migrate();
        long until = System.currentTimeMillis() + 120_000;
        while (!out.toString().contains("streaming changes from slot")) {
            assertTrue(migrate.isAlive() && System.currentTimeMillis() < until, "not streaming: " + out + (result[0] == null ? "" : result[0].err()));
            Thread.sleep(100);
        }
        Thread.sleep(1000);
        c.run(live);
        Thread.sleep(2000); // the application writes on after it
        assertTrue(live.app()[0].transactions() > 0, "the application wrote");
        live.settled();
        Run cutover = Run.of(new StringWriter(), "cutover", file.toString(), "--stop-writes", "--timeout", "120", "--max-lag", "600");
        assertEquals(0, cutover.code(), cutover.out() + cutover.err() + "\nmigrate said:\n" + out);
        live.app()[0].stop();
        migrate.join(60_000);
        assertEquals(0, result[0].code(), result[0].out() + result[0].err());
        assertTrue(!result[0].err().contains("Exception") && !result[0].err().contains("\tat "), result[0].err());
        for (String table : pg.rows(db, "select relname from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p')"
                + " and not relispartition order by 1")) {
            String cols = String.join(", ", pg.rows(db, "select 'x.' || quote_ident(attname) from pg_attribute where attrelid = 'public." + table
                    + "'::regclass and attnum > 0 and not attisdropped order by attnum"));
            String md5 = "select count(*) || ':' || coalesce(md5(string_agg(t::text, ',' order by t::text)), '') from (select " + cols + " from %s x) t";
            assertEquals(pg.rows(db, md5.formatted(table)), citus.rows(md5.formatted(schema + "." + table)), "every row of " + table);
        }
        Run verify = Run.of(new StringWriter(), "verify", file.toString());
        assertEquals(0, verify.code(), verify.out() + verify.err());
        assertEquals(List.of(), pg.rows(db, "select slot_name from pg_replication_slots where database = current_database()"));
        try (Connection conn = pg.connect(db); Statement st = conn.createStatement()) { // the source as it was, for whoever reads it next
            st.execute("set default_transaction_read_only = off");
            st.execute("alter database " + db + " reset default_transaction_read_only");
        }
    }

    @Test
    void aTruncateOfAChildTable() throws Exception {
        liveMigration("ms_truncate", null, l -> {
            String before = pg.rows(l.db(), "select max(id) from impressions").get(0);
            l.source("truncate impressions");
            l.caughtUp("select count(*) from impressions where id <= " + before); // the application goes on inserting

        });
    }

    @Test
    void aColumnAddedWithADefaultAndRowsUsingIt() throws Exception {
        liveMigration("ms_addcol", null, l -> {
            l.source("alter table ads add column note text default 'n0'; update ads set note = 'n' || id where id % 3 = 0");
            l.caughtUp("select count(*) filter (where note <> 'n0') from ads"); // new ads get 'n0'

        });
    }

    @Test
    void aColumnDropped() throws Exception {
        liveMigration("ms_dropcol", null, l -> {
            l.source("alter table ads drop column image_url; update ads set target_url = 'after' where id % 4 = 0");
            l.caughtUp("select count(*) filter (where target_url = 'after') from ads");
        });
    }

    @Test
    void aNewChildTableWithRows() throws Exception {
        liveMigration("ms_newtable", null, l -> {
            l.source("create table ad_notes (id bigserial primary key, ad_id bigint not null references ads, body text);"
                    + " insert into ad_notes (ad_id, body) select id, 'note ' || id from ads where id % 2 = 0");
            l.caughtUp("select count(*) from ad_notes");
        });
    }

    @Test
    void aNewChildTableRenamedBeforeTheStreamReachesItsCreation() throws Exception {
        // one transaction: when the stream meets the CREATE TABLE, the source already has the table under its new name
        liveMigration("ms_newrenamed", null, l -> {
            l.source("begin; create table ad_drafts (id bigserial primary key, ad_id bigint not null references ads, body text);"
                    + " insert into ad_drafts (ad_id, body) select id, 'draft ' || id from ads where id % 3 = 0;"
                    + " alter table ad_drafts rename to ad_memos;"
                    + " insert into ad_memos (ad_id, body) select id, 'memo ' || id from ads where id % 5 = 0; commit");
            l.caughtUp("select count(*), md5(string_agg(id || ':' || ad_id || ':' || body, ',' order by id)) from ad_memos");
        });
    }

    @Test
    void aNewIndex() throws Exception {
        liveMigration("ms_index", null, l -> {
            l.source("create index ads_name_lower on ads (lower(name)); create unique index clicks_id_ad on clicks (id, ad_id)");
            long until = System.currentTimeMillis() + 60_000;
            while (citus.rows("select indexname from pg_indexes where schemaname = '" + l.schema() + "' and indexname in ('ads_name_lower',"
                    + " 'clicks_id_ad') order by 1").size() < 2) {
                assertTrue(System.currentTimeMillis() < until, l.out().toString());
                Thread.sleep(250);
            }
        });
    }

    @Test
    void aTableWithoutAPrimaryKeyUpdatedAndDeletedFrom() throws Exception {
        liveMigration("ms_keyless", """
                create table ad_log (ad_id bigint references ads, at timestamp default now(), line text);
                insert into ad_log (ad_id, line) select id, 'first' from ads;
                insert into ad_log (ad_id, line) select id, 'first' from ads where id % 5 = 0; -- two identical rows
                """, l -> {
            l.source("update ad_log set line = 'updated' where ad_id % 3 = 0; delete from ad_log where ad_id % 7 = 0;"
                    + " insert into ad_log (ad_id, line) select id, 'streamed' from ads where id % 2 = 0");
            l.caughtUp("select line, count(*) from ad_log group by line order by 1");
        });
    }

    @Test
    void aWorkerRestarted() throws Exception {
        restarted(1, "a worker");
    }

    @Test
    void theCoordinatorRestarted() throws Exception {
        restarted(0, "the coordinator");
    }

    private void restarted(int node, String which) throws Exception {
        liveMigration("ms_restart" + node, null, l -> {
            if (!citus.restartNode(node)) {
                System.out.println("[skipped] restarting " + which + ": the target is not a Citus cluster this suite started (" + citus.description() + ")");
                return;
            }
            l.source("update ads set name = name || ' after a restart'");
            l.caughtUp("select count(*) filter (where name like '% after a restart%') from ads");
        });
    }

    @Test
    void theSourceRestarted() throws Exception {
        liveMigration("ms_source_restart", null, l -> {
            pg.restart(); // every session ended, the application's and the stream's
            l.write();
            l.source("update ads set name = name || ' after the source restarted'");
            l.caughtUp("select count(*) filter (where name like '% after the source restarted%') from ads");
        });
    }

    @Test
    void aCutoverThatTimesOut() throws Exception {
        liveMigration("ms_timeout", null, l -> {
            // the sink held up by a lock on the target: the cutover cannot finish in time, gives the writes back and says so
            try (Connection c = citus.connect()) {
                Child late = cutoverHeldUp(l, c, "3");
                late.exitCode(120);
                assertTrue(late.output().contains("writes given back, the source is writable again"), late.output());
                c.rollback();
            }
            l.write(); // its session was ended when the writes stopped
        });
    }

    @Test
    void aCutoverInterrupted() throws Exception {
        liveMigration("ms_interrupt", null, l -> {
            try (Connection c = citus.connect()) {
                Child cutover = cutoverHeldUp(l, c, "60");
                long until = System.currentTimeMillis() + 60_000;
                while (!cutover.output().contains("cutover marker written") && cutover.alive() && System.currentTimeMillis() < until) Thread.sleep(50);
                cutover.terminate(); // as Ctrl-C
                cutover.exitCode(30);
                assertTrue(cutover.output().contains("interrupted and undone"), cutover.output());
                c.rollback();
            }
            l.source("update companies set name = name || ' after an interrupted cutover'");
            l.write();
            l.caughtUp("select count(*) filter (where name like '% after an interrupted cutover') from companies");
        });
    }

    /** Weeks of a live migration in one: schema changes, a TRUNCATE, restarts of every node and a cutover given up, one after the other. */
    @Test
    void manyChangesAndFaultsInOneMigration() throws Exception {
        liveMigration("ms_combined", null, l -> {
            l.source("truncate impressions");
            l.source("alter table ads add column note text default 'n0'; update ads set note = 'n' || id where id % 3 = 0");
            l.source("create table ad_notes (id bigserial primary key, ad_id bigint not null references ads, body text);"
                    + " insert into ad_notes (ad_id, body) select id, 'note ' || id from ads where id % 2 = 0");
            l.caughtUp("select count(*) from ad_notes");
            boolean restarts = citus.restartNode(1);
            if (restarts) {
                l.source("update ads set name = name || ' after a worker restart'");
                l.caughtUp("select count(*) filter (where name like '% after a worker restart%') from ads");
            } else {
                System.out.println("[skipped] the node restarts: the target is not a Citus cluster this suite started (" + citus.description() + ")");
            }
            l.source("alter table ads drop column image_url; create index ads_note on ads (note)");
            pg.restart();
            l.write();
            l.source("update ad_notes set body = body || ' after the source restarted' where id % 3 = 0");
            if (restarts && citus.restartNode(0)) l.source("update ads set note = 'after the coordinator restarted' where id % 5 = 0");
            try (Connection c = citus.connect()) {
                Child late = cutoverHeldUp(l, c, "3");
                late.exitCode(120);
                assertTrue(late.output().contains("writes given back, the source is writable again"), late.output());
                c.rollback();
            }
            l.write();
            l.caughtUp("select count(*) filter (where note = 'after the coordinator restarted') from ads");
        });
    }

    /**
     * A `cutover --stop-writes` in a process of its own whose wait cannot end: a lock on the target
     * holds the sink up on clicks, and a change to clicks made after it waits before the marker
     * (whatever the application happened to write). The lag the cutover weighs first is still
     * reported: `migrate` measures it on a connection of its own.
     */
    private Child cutoverHeldUp(Live l, Connection c, String timeout) throws Exception {
        l.settled();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("lock table " + l.schema() + ".clicks in access exclusive mode");
        }
        l.source("update clicks set user_ip = user_ip where id = (select max(id) from clicks)");
        Child cutover = Child.start(dir, null, "cutover", l.file().toString(), "--stop-writes", "--timeout", timeout, "--max-lag", "600");
        long until = System.currentTimeMillis() + 60_000;
        while (!cutover.output().contains("behind the source") && !cutover.output().contains("has not reported") && cutover.alive()) {
            assertTrue(System.currentTimeMillis() < until, cutover.output());
            Thread.sleep(20);
        }
        return cutover;
    }
}
