package io.citusmigrate.sink;

import io.citusmigrate.plan.Plan;
import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import io.citusmigrate.example.ExampleData;
import io.citusmigrate.verify.Verifier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real Debezium events from embedded PostgreSQL, through the task, into Citus (or the stand-in). */
@org.junit.jupiter.api.extension.ExtendWith(io.citusmigrate.testing.SourceAndCitus.class) // its source and the best Citus there is
class SinkStreamIT {
    static EmbeddedPg pg;
    static CitusTarget citus;



    /** A source with the example data, its plan, and the schema created on the target (keys, no foreign keys). */
    record Setup(String db, String schema, Plan plan, String slot) {}

    static Setup setup(String name) throws SQLException {
        String db = pg.createDatabase(name);
        try (Connection c = pg.connect(db)) {
            ExampleData.generate(c, 0.0005, 0);
        }
        String schema = citus.newSchema(name);
        Plan plan = TargetSchema.create(pg, db, citus, schema, "distribute companies using id;");
        return new Setup(db, schema, plan, name + "_slot");
    }

    static CitusSinkTask task(Setup s, int batchSize) {
        return task(s, batchSize, null);
    }

    /** A task with a worker context whose dead-letter queue is {@code dlq} (null: none configured). */
    static CitusSinkTask task(Setup s, int batchSize, List<SinkRecord> dlq) {
        return task(s, batchSize, dlq, null);
    }

    /** A sink's settings for the setup's target and source, writing batches of {@code batchSize}. */
    static Map<String, String> props(Setup s, int batchSize) {
        Map<String, String> props = TargetSchema.sinkProps(citus, s.plan(), s.schema());
        props.put("source.connection.url", "jdbc:postgresql://localhost:" + pg.port() + "/" + s.db());
        props.put("source.connection.password", "postgres");
        props.put("batch.size", String.valueOf(batchSize));
        return props;
    }

    /** {@code sinkName}: the positions it keeps on the target (null: the default). */
    static CitusSinkTask task(Setup s, int batchSize, List<SinkRecord> dlq, String sinkName) {
        Map<String, String> props = props(s, batchSize);
        if (sinkName != null) props.put("sink.name", sinkName);
        props.put("enrichment.max.retries", "0");
        CitusSinkTask t = new CitusSinkTask();
        if (dlq != null) t.initialize(workerContext(props, null, dlq));
        t.start(props);
        return t;
    }

    /**
     * A worker's context for a task: the partitions it rewinds, pauses and resumes are noted in
     * {@code calls} (when given), the rows it sets aside go to {@code dlq} (null: no dead-letter queue).
     */
    static org.apache.kafka.connect.sink.SinkTaskContext workerContext(Map<String, String> props, List<String> calls, List<SinkRecord> dlq) {
        List<String> noted = calls != null ? calls : new java.util.ArrayList<>();
        return new org.apache.kafka.connect.sink.SinkTaskContext() {
            public Map<String, String> configs() { return props; }
            public void offset(Map<TopicPartition, Long> offsets) { }
            public void offset(TopicPartition tp, long offset) { noted.add("offset " + tp + " " + offset); }
            public void timeout(long timeoutMs) { }
            public java.util.Set<TopicPartition> assignment() { return java.util.Set.of(); }
            public void pause(TopicPartition... partitions) { noted.add("pause " + Arrays.toString(partitions)); }
            public void resume(TopicPartition... partitions) { noted.add("resume " + Arrays.toString(partitions)); }
            public void requestCommit() { }
            public org.apache.kafka.common.metrics.PluginMetrics pluginMetrics() { return null; }
            public org.apache.kafka.connect.sink.ErrantRecordReporter errantRecordReporter() {
                return dlq == null ? null : (record, error) -> {
                    dlq.add(record);
                    return java.util.concurrent.CompletableFuture.completedFuture(null);
                };
            }
        };
    }

    static DebeziumCapture capture(Setup s) throws Exception {
        return new DebeziumCapture(pg, s.db(), s.slot(), "public.companies,public.campaigns,public.ads,public.clicks,public.impressions");
    }

    static void deliver(CitusSinkTask t, List<SinkRecord> records, int chunk) {
        for (int i = 0; i < records.size(); i += chunk) t.put(records.subList(i, Math.min(records.size(), i + chunk)));
        Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> current = new HashMap<>();
        for (SinkRecord r : records) current.put(new TopicPartition(r.topic(), r.kafkaPartition()), null);
        t.preCommit(current);
    }

    /** The records of the tables named (true), and the others (false), each in the order they came. */
    static Map<Boolean, List<SinkRecord>> byTable(List<SinkRecord> records, String... tables) {
        return records.stream().collect(Collectors.partitioningBy(r -> Arrays.stream(tables).anyMatch(t -> r.topic().endsWith(t))));
    }

    static long rows(Setup s) throws SQLException {
        try (Connection c = pg.connect(s.db()); var st = c.createStatement();
             var rs = st.executeQuery("select (select count(*) from companies) + (select count(*) from campaigns) + (select count(*) from ads)"
                     + " + (select count(*) from clicks) + (select count(*) from impressions)")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static void assertSame(Setup s) throws SQLException {
        try (Connection src = pg.connect(s.db()); Connection tgt = citus.connect()) {
            List<Verifier.TableCheck> checks = Verifier.verify(s.plan(), src, tgt);
            for (Verifier.TableCheck c : checks) assertTrue(c.ok(), c.table() + ": " + c.problem() + " e.g. " + c.sampleKey());
        }
    }

    static void sql(Setup s, String q) {
        pg.exec(s.db(), q);
    }

    /** The statements run on the source, their {@code events} change events delivered, and the target then equal to the source. */
    static void applied(Setup s, CitusSinkTask task, DebeziumCapture dbz, int events, String... statements) throws Exception {
        for (String q : statements) sql(s, q);
        deliver(task, dbz.take(events), 10);
        assertSame(s);
    }

    /** A test that streams on from a task that has written the snapshot. */
    interface AfterSnapshot {
        void run(Setup s, CitusSinkTask task, DebeziumCapture dbz) throws Exception;
    }

    /** A source set up, a task (whose dead-letter queue is {@code dlq}) that has written its snapshot, then the test; the task stopped after. */
    static void afterSnapshot(String name, List<SinkRecord> dlq, AfterSnapshot test) throws Exception {
        Setup s = setup(name);
        CitusSinkTask task = task(s, 500, dlq);
        try (DebeziumCapture dbz = capture(s)) {
            deliver(task, dbz.take((int) rows(s)), 500);
            test.run(s, task, dbz);
        } finally {
            task.stop();
        }
    }

    @Test
    void snapshotThenStreamingLandsEveryRowOnItsTenant() throws Exception {
        Setup s = setup("stream");
        CitusSinkTask task = task(s, 500);
        try (DebeziumCapture dbz = capture(s)) {
            deliver(task, dbz.take((int) rows(s)), 200);
            assertSame(s);

            sql(s, "insert into clicks (ad_id, clicked_at, site_url, user_ip, user_data) values (3, now(), 'new', '1.1.1.1', '{}')");
            sql(s, "update ads set name = 'renamed' where id = 4");
            sql(s, "delete from clicks where id = 5");
            sql(s, "update impressions set site_url = 'changed' where id = 6");
            // a click that moves to an ad of another company: deleted and re-inserted under the new tenant key
            sql(s, "update clicks set ad_id = (select a.id from ads a join campaigns c on c.id = a.campaign_id"
                    + " where c.company_id <> (select c2.company_id from clicks k join ads a2 on a2.id = k.ad_id"
                    + " join campaigns c2 on c2.id = a2.campaign_id where k.id = 7) limit 1) where id = 7");
            sql(s, "begin; insert into campaigns (company_id, name, cost_model, state, created_at, updated_at) values (2, 'fresh', 'x', 'y', now(), now());"
                    + " insert into ads (campaign_id, name, created_at, updated_at) values (currval('campaigns_id_seq'), 'fresh ad', now(), now());"
                    + " insert into clicks (ad_id, clicked_at, site_url, user_ip, user_data) values (currval('ads_id_seq'), now(), 'f', '2.2.2.2', '{}');"
                    + " commit;");
            deliver(task, dbz.take(8), 3);
            assertSame(s);
            assertEquals(List.of("1"), citus.rows("select count(*) from " + s.schema() + ".clicks c join " + s.schema() + ".ads a"
                    + " on a.id = c.ad_id and a.company_id = c.company_id where c.id = 7"));
            // deletes under the default replica identity carry the key only (Debezium fills the NOT NULL
            // company_id of campaigns with 0): with nothing cached (a new task), the tenant key must
            // come from the target
            task.stop();
            task = task(s, 500);
            sql(s, "alter table campaigns alter column company_id set not null");
            sql(s, "begin; delete from clicks where ad_id in (select a.id from ads a join campaigns c on c.id = a.campaign_id where c.name = 'fresh');"
                    + " delete from ads where campaign_id in (select id from campaigns where name = 'fresh');"
                    + " delete from campaigns where name = 'fresh'; commit;");
            long lookupsBefore = task.metrics().lookupQueries();
            deliver(task, dbz.take(3), 3);
            assertSame(s);
            // each went by its key alone, on every shard: no query asked where the rows live first
            assertEquals(0, task.metrics().lookupQueries() - lookupsBefore);
            assertEquals(List.of("0"), citus.rows("select count(*) from " + s.schema() + ".campaigns where name = 'fresh'"));
            // changed rows this new task knows nothing of are upserted under their tenant key, with no query first asking
            // where they live; one that moved to another company's ad leaves no copy under its old tenant key
            lookupsBefore = task.metrics().lookupQueries();
            applied(s, task, dbz, 2, "update clicks set site_url = 'again' where id = 8",
                    "update clicks set ad_id = (select a.id from ads a join campaigns c on c.id = a.campaign_id"
                            + " where c.company_id <> (select c2.company_id from clicks k join ads a2 on a2.id = k.ad_id"
                            + " join campaigns c2 on c2.id = a2.campaign_id where k.id = 9) limit 1) where id = 9");
            // one query: the ads' tenant keys (a new task caches none), none asking where the clicks live
            assertEquals(1, task.metrics().lookupQueries() - lookupsBefore);
            assertEquals(List.of("1"), citus.rows("select count(*) from " + s.schema() + ".clicks where id = 9"));
            // a big UPDATE (more rows than one VALUES statement takes, as one large source transaction makes) of rows the
            // task knows nothing of: one upsert of column arrays, and the row among them that moved leaves no copy behind
            sql(s, "insert into clicks (ad_id, clicked_at, site_url, user_ip, user_data) select (select min(id) from ads), now(), 'bulk',"
                    + " '5.5.5.5', ('{\"n\": ' || g || '}')::jsonb from generate_series(1, 1500) g");
            deliver(task, dbz.take(1500), 1500);
            task.stop();
            task = task(s, 5000);
            sql(s, "begin; update clicks set site_url = 'bulk2', cost_per_click_usd = 0.5 where site_url = 'bulk';"
                    + " update clicks set ad_id = (select a.id from ads a join campaigns c on c.id = a.campaign_id where c.company_id <>"
                    + " (select c2.company_id from ads a2 join campaigns c2 on c2.id = a2.campaign_id where a2.id = (select min(id) from ads))"
                    + " limit 1) where id = (select max(id) from clicks where site_url = 'bulk2'); commit;");
            deliver(task, dbz.take(1501), 1501);
            assertSame(s);
            assertEquals(List.of("1500"), citus.rows("select count(*) from " + s.schema() + ".clicks where site_url = 'bulk2'"));
            assertEquals(List.of("1"), citus.rows("select count(*) from " + s.schema() + ".clicks where id = (select max(id) from "
                    + s.schema() + ".clicks where site_url = 'bulk2')"));
        } finally {
            task.stop();
        }
    }

    @Test
    void enrichmentIsOneQueryPerBatchPerParentTable() throws Exception {
        Setup s = setup("batching");
        CitusSinkTask task = task(s, 100_000);
        try (DebeziumCapture dbz = capture(s)) {
            // parents first, then every click and impression in one batch
            Map<Boolean, List<SinkRecord>> snapshot = byTable(dbz.take((int) rows(s)), "clicks", "impressions");
            List<SinkRecord> parents = snapshot.get(false);
            List<SinkRecord> children = snapshot.get(true);
            deliver(task, parents, parents.size());
            // a new task: nothing cached, every parent key must be looked up
            task.stop();
            task = task(s, 100_000);
            long before = task.metrics().lookupQueries();
            deliver(task, children, children.size());
            assertTrue(children.size() > 100, "a batch of many rows");
            // clicks look their ads up in one query; impressions, written after them, find the same ads in the cache
            assertEquals(1, task.metrics().lookupQueries() - before, "one lookup query per batch per parent table");
            assertTrue(task.metrics().cacheHits() > 0, "impressions' ads came from the cache");
            assertSame(s);
        } finally {
            task.stop();
        }
    }

    @Test
    void parentsNotOnTheTargetYetAreFoundOnTheSource() throws Exception {
        Setup s = setup("interleave");
        CitusSinkTask task = task(s, 100_000);
        try (DebeziumCapture dbz = capture(s)) {
            // clicks arrive before their ads and campaigns (topics interleave)
            Map<Boolean, List<SinkRecord>> snapshot = byTable(dbz.take((int) rows(s)), "clicks");
            List<SinkRecord> clicks = snapshot.get(true);
            List<SinkRecord> rest = snapshot.get(false);
            deliver(task, clicks, clicks.size());
            assertEquals(1, task.metrics().sourceLookups());
            deliver(task, rest, rest.size());
            assertSame(s);
        } finally {
            task.stop();
        }
    }

    @Test
    void rowsOfATableNoRuleNamesYetWaitPausedUntilASchemaChangeGivesItsRule() throws Exception {
        // on Connect, the rows of a table renamed can come before the change (in another partition) that gives their rule
        Setup s = setup("unknown");
        Map<String, String> props = props(s, 100000);
        Map<String, TableRule> all = TableRule.parse(props.get("citus.tables"));
        TableRule clicks = all.remove("public.clicks");
        props.put("citus.tables", TableRule.toJson(List.copyOf(all.values())));
        List<String> calls = new java.util.ArrayList<>();
        CitusSinkTask task = new CitusSinkTask();
        task.initialize(workerContext(props, calls, null));
        task.start(props);
        try (DebeziumCapture dbz = capture(s); Connection target = citus.connect()) {
            Map<Boolean, List<SinkRecord>> snapshot = byTable(dbz.take((int) rows(s)), "clicks");
            List<SinkRecord> rest = snapshot.get(false);
            List<SinkRecord> mixed = new java.util.ArrayList<>(snapshot.get(true));
            mixed.addAll(rest);
            // the clicks' partition is rewound to its first row and paused; the other tables' rows are written
            deliver(task, mixed, mixed.size());
            SinkRecord first = snapshot.get(true).get(0);
            TopicPartition tp = new TopicPartition(first.topic(), first.kafkaPartition());
            assertEquals(List.of("offset " + tp + " " + first.kafkaOffset(), "pause [" + tp + "]"), calls);
            assertEquals(List.of("0"), citus.rows("select count(*) from " + s.schema() + ".clicks"));
            assertTrue(Integer.parseInt(citus.rows("select count(*) from " + s.schema() + ".ads").get(0)) > 0);
            // another task carries the change that names the table; a second later the partition is read again, and written
            SinkPositions.saveTableRule(target, s.schema(), "public.clicks", clicks.toJson());
            Thread.sleep(1100);
            calls.clear();
            deliver(task, snapshot.get(true), snapshot.get(true).size());
            assertEquals(List.of("resume [" + tp + "]"), calls);
            assertSame(s);
        } finally {
            task.stop();
        }
    }

    /** A carrier that knows no rule for the table until {@link #ready}: as when the table's rename, in another topic, is not carried yet. */
    public static final class WaitingCarrier implements SchemaChangeCarrier {
        static final java.util.concurrent.atomic.AtomicBoolean ready = new java.util.concurrent.atomic.AtomicBoolean();
        static final java.util.concurrent.atomic.AtomicInteger carried = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void configure(Map<String, String> sinkSettings) {}

        @Override
        public Carried carry(String content, long sourceLsn) {
            if (!ready.get()) throw new NotYet("the sink has no rule for public.ads2");
            carried.incrementAndGet();
            return new Carried("carried", false);
        }
    }

    @Test
    void aSchemaChangeOfATableNoRuleNamesYetWaitsPausedUntilItsRuleIsThere() throws Exception {
        // on Connect, a renamed table's change under its new name can come before the rename (in another partition)
        Setup s = setup("ddlwait");
        Map<String, String> props = props(s, 100000);
        props.put(CitusSinkConfig.SCHEMA_CHANGES_CARRIER, WaitingCarrier.class.getName());
        List<String> calls = new java.util.ArrayList<>();
        CitusSinkTask task = new CitusSinkTask();
        task.initialize(workerContext(props, calls, null));
        task.start(props);
        org.apache.kafka.connect.data.Schema message = org.apache.kafka.connect.data.SchemaBuilder.struct()
                .field("prefix", org.apache.kafka.connect.data.Schema.STRING_SCHEMA).field("content", org.apache.kafka.connect.data.Schema.BYTES_SCHEMA).build();
        org.apache.kafka.connect.data.Schema envelope = org.apache.kafka.connect.data.SchemaBuilder.struct()
                .field("op", org.apache.kafka.connect.data.Schema.STRING_SCHEMA).field("message", message).build();
        String content = "{\"tag\": \"ALTER TABLE\", \"type\": \"table\", \"identity\": \"public.ads2\", \"query\": \"alter table ads2 add column x int\"}";
        SinkRecord ddl = new SinkRecord("cm.public.ads2", 0, null, null, envelope, new org.apache.kafka.connect.data.Struct(envelope).put("op", "m")
                .put("message", new org.apache.kafka.connect.data.Struct(message).put("prefix", SchemaChangeMessage.PREFIX)
                        .put("content", content.getBytes(java.nio.charset.StandardCharsets.UTF_8))), 7);
        TopicPartition tp = new TopicPartition("cm.public.ads2", 0);
        try (DebeziumCapture dbz = capture(s)) {
            List<SinkRecord> mixed = new java.util.ArrayList<>(List.of(ddl));
            mixed.addAll(dbz.take((int) rows(s)));
            // its partition is rewound to it and paused, not the task stopped; the other partitions' rows are written
            deliver(task, mixed, mixed.size());
            assertEquals(List.of("offset " + tp + " 7", "pause [" + tp + "]"), calls);
            assertEquals(0, WaitingCarrier.carried.get());
            assertTrue(Integer.parseInt(citus.rows("select count(*) from " + s.schema() + ".ads").get(0)) > 0);
            // the rename carried meanwhile: a second later the partition is read again, and the change carried
            WaitingCarrier.ready.set(true);
            Thread.sleep(1100);
            calls.clear();
            deliver(task, List.of(ddl), 1);
            assertEquals(List.of("resume [" + tp + "]"), calls);
            assertEquals(1, WaitingCarrier.carried.get());
            assertSame(s);
        } finally {
            task.stop();
        }
    }

    @Test
    void withParentsFromTheSourceOffAChildWaitsForItsParentInsteadOfTakingTheSourcesTenantKey() throws Exception {
        // a Connect deployment: the source is ahead, and a tenant key read there may be one the target's parent never has
        Setup s = setup("waiting");
        Map<String, String> props = props(s, 100000);
        props.put("enrichment.max.retries", "3");
        props.put(CitusSinkConfig.PARENTS_FROM_SOURCE, "false");
        CitusSinkTask task = new CitusSinkTask();
        task.start(props);
        try (DebeziumCapture dbz = capture(s)) {
            Map<Boolean, List<SinkRecord>> snapshot = byTable(dbz.take((int) rows(s)), "clicks", "impressions");
            List<SinkRecord> children = snapshot.get(true);
            List<SinkRecord> rest = snapshot.get(false);
            // the clicks' and impressions' ads are not on the target yet: the batch waits (the embedded run retries it itself),
            // nothing read on the source; an attempt to be retried stops at the first of the two tables (the other is not written in vain)
            var waits = assertThrows(org.apache.kafka.connect.errors.RetriableException.class, () -> deliver(task, children, children.size()));
            long clicks = children.stream().filter(r -> r.topic().endsWith("clicks")).count();
            assertTrue(waits.getMessage().matches("(" + clicks + "|" + (children.size() - clicks) + ") rows cannot be placed yet .*"), waits.getMessage());
            assertEquals(0, task.metrics().sourceLookups());
            // their parents come: the buffered clicks are written with them, each under its ad's tenant key on the target
            deliver(task, rest, rest.size());
            assertSame(s);
        } finally {
            task.stop();
        }
    }

    @Test
    void theSinksSessionKeepsItsWorkerConnectionsBetweenBatches() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(citus.isStandIn(), "a Citus setting: the stand-in has no workers");
        Setup s = setup("cached");
        for (String[] c : new String[][] {{null, "8"}, {"3", "3"}}) {
            Map<String, String> props = props(s, 100);
            if (c[0] != null) props.put("citus.cached.connections.per.worker", c[0]);
            CitusSinkTask t = new CitusSinkTask();
            t.start(props);
            try (java.sql.Statement st = t.targetSession().createStatement();
                 java.sql.ResultSet rs = st.executeQuery("SHOW citus.max_cached_conns_per_worker")) {
                rs.next();
                assertEquals(c[1], rs.getString(1), "Citus keeps one by default; the sink asks for more");
            } finally {
                t.stop();
            }
        }
    }

    @Test
    void insertsAppliedAgainWithoutPositionsChangeNothing() throws Exception {
        // what a live migration resumed from its slot sees: changes already on the target come
        // again, and the sink has no position of them (on Citus, COPY reports the duplicate keys
        // as SQLSTATE XX000)
        Setup s = setup("again");
        try (DebeziumCapture dbz = capture(s)) {
            List<SinkRecord> all = dbz.take((int) rows(s));
            for (String name : List.of("again-1", "again-2")) {
                CitusSinkTask t = task(s, 300, null, name);
                try {
                    deliver(t, all, 100);
                } finally {
                    t.stop();
                }
                assertSame(s);
            }
        }
    }

    @Test
    void aCrashAndRestartLosesAndRepeatsNothing() throws Exception {
        Setup s = setup("crash");
        try (DebeziumCapture dbz = capture(s)) {
            List<SinkRecord> all = dbz.take((int) rows(s));
            sql(s, "update clicks set site_url = 'after snapshot' where id % 3 = 0");
            sql(s, "delete from impressions where id % 4 = 0");
            sql(s, "insert into clicks (ad_id, clicked_at, site_url, user_ip, user_data) select 2, now(), 'late', '3.3.3.3', '{}' from generate_series(1, 20)");
            long changes = 0;
            try (Connection c = pg.connect(s.db()); var st = c.createStatement();
                 var rs = st.executeQuery("select (select count(*) from clicks where id % 3 = 0 and site_url = 'after snapshot')"
                         + " + (select count(*) from clicks where site_url = 'late')")) {
                rs.next();
                changes = rs.getLong(1);
            }
            List<SinkRecord> stream = dbz.take((int) changes + 1);
            List<SinkRecord> records = new java.util.ArrayList<>(all);
            records.addAll(stream);

            CitusSinkTask first = task(s, 300);
            int half = records.size() / 2;
            for (int i = 0; i < half; i += 100) first.put(records.subList(i, Math.min(half, i + 100)));
            // the worker dies here: its target connection is cut in the middle of the stream,
            // no preCommit ran, its consumer offsets were never committed
            citus.rows("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'citus-sink'"
                    + " and pid <> pg_backend_pid()");
            assertThrows(ConnectException.class, () -> {
                for (int i = half; i < records.size(); i += 100) first.put(records.subList(i, Math.min(records.size(), i + 100)));
            });
            first.stop();

            CitusSinkTask second = task(s, 300);
            try {
                // Kafka hands everything again from the last committed offset (none): the sink skips what it applied
                deliver(second, records, 100);
                assertTrue(second.metrics().skippedReplays() > 0, "replays were skipped");
                assertSame(s);
            } finally {
                second.stop();
            }
        }
    }

    @Test
    void aParentThatChangesTenantTakesItsDescendantsAlong() throws Exception {
        afterSnapshot("moves", null, (s, task, dbz) -> {
        // an ad moves to a campaign of another company: its clicks and impressions go with it
        applied(s, task, dbz, 1, "update ads set campaign_id = (select id from campaigns where company_id <> (select c.company_id from ads a"
                + " join campaigns c on c.id = a.campaign_id where a.id = 1) limit 1) where id = 1");
        // a campaign moves to another company: its ads, and their clicks and impressions, two levels down
        long before = task.metrics().moveStatements();
        applied(s, task, dbz, 1, "update campaigns set company_id = (select id from companies where id <> (select company_id from campaigns"
                + " where id = 2) limit 1) where id = 2");
        // set-based: an INSERT ... SELECT and a DELETE per table below (ads, clicks, impressions), whatever their row counts
        assertEquals(6, task.metrics().moveStatements() - before);
        // several campaigns moving to different companies in one batch: still six statements, for all of them
        before = task.metrics().moveStatements();
        applied(s, task, dbz, 3, "update campaigns set company_id = company_id % (select count(*) from companies) + 1 where id in (3, 4, 5)");
        assertEquals(6, task.metrics().moveStatements() - before);
        assertTrue(Long.parseLong(citus.rows("select count(*) from " + s.schema() + ".clicks c join " + s.schema() + ".ads a"
                + " on a.company_id = c.company_id and a.id = c.ad_id where a.campaign_id = 2").get(0)) > 0,
                "the moved campaign's clicks are with its ads under the new tenant");
        // a click that arrives later for a moved ad finds the new tenant (the lookup cache was updated)
        applied(s, task, dbz, 1, "insert into clicks (ad_id, clicked_at, site_url, user_ip, user_data) select id, now(), 'late', '3.3.3.3', '{}'"
                + " from ads where campaign_id = 2 limit 1");
        // the caches followed the rows the last batch moved (their keys came back from the moves), and kept what the old
        // tenants still hold: a moved impression, one of a campaign that stayed with a tenant rows left (campaign 6 with
        // company 1, which campaign 3 left), and a click for a moved ad are all placed without a lookup
        long lookups = task.metrics().lookupQueries();
        applied(s, task, dbz, 3,
                "update impressions set site_url = 'moved' where id = (select min(i.id) from impressions i join ads a on a.id = i.ad_id"
                        + " where a.campaign_id = 3)",
                "update impressions set site_url = 'stayed' where id = (select min(i.id) from impressions i join ads a on a.id = i.ad_id"
                        + " where a.campaign_id = 6)",
                "insert into clicks (ad_id, clicked_at, site_url, user_ip, user_data) select min(id), now(), 'later', '4.4.4.4', '{}'"
                        + " from ads where campaign_id = 4");
        assertEquals(0, task.metrics().lookupQueries() - lookups, "no lookup after the moves");
        });
    }

    @Test
    void unchangedToastedValuesAreKept() throws Exception {
        afterSnapshot("toast", null, (s, task, dbz) -> {
        sql(s, "update clicks set user_data = jsonb_build_object('blob', (select string_agg(md5(random()::text), '')"
                + " from generate_series(1, 2000))) where id = 9");
        deliver(task, dbz.take(1), 10);
        sql(s, "update clicks set site_url = 'only this changed' where id = 9");
        List<SinkRecord> update = dbz.take(1);
        org.apache.kafka.connect.data.Struct after = ((org.apache.kafka.connect.data.Struct) update.get(0).value()).getStruct("after");
        assertEquals(PgText.TOAST_PLACEHOLDER, after.get("user_data"), "Debezium sent the placeholder, not the value");
        deliver(task, update, 10);
        assertSame(s);
        });
    }

    /** Large, barely compressible text: stored out of line (TOASTed). */
    static final String BIG = "(select string_agg(md5(random()::text), '') from generate_series(1, 2000))";

    @Test
    void unchangedToastedValuesSurviveTenantMovesAndRowsTheTargetLacks() throws Exception {
        afterSnapshot("toastmove", null, (s, task, dbz) -> {
        sql(s, "update ads set target_url = " + BIG + " where id in (1, 2)");
        deliver(task, dbz.take(2), 10);
        // ad 1 moves to a campaign of another company; its event leaves target_url out
        sql(s, "update ads set campaign_id = (select id from campaigns where company_id <> (select c.company_id from ads a"
                + " join campaigns c on c.id = a.campaign_id where a.id = 1) limit 1) where id = 1");
        List<SinkRecord> move = dbz.take(1);
        org.apache.kafka.connect.data.Struct after = ((org.apache.kafka.connect.data.Struct) move.get(0).value()).getStruct("after");
        assertEquals(PgText.TOAST_PLACEHOLDER, after.get("target_url"), "Debezium sent the placeholder, not the value");
        deliver(task, move, 10);
        assertSame(s);
        // ad 2 is carried along by its campaign's move to another company
        applied(s, task, dbz, 1, "update campaigns set company_id = (select id from companies where id <> (select c.company_id from campaigns c"
                + " join ads a on a.campaign_id = c.id where a.id = 2) limit 1) where id = (select campaign_id from ads where id = 2)");
        // a row the target does not have yet (its insert not delivered): the value comes from the source
        sql(s, "insert into ads (campaign_id, name, target_url, created_at, updated_at) select campaign_id, 'new', " + BIG
                + ", now(), now() from ads where id = 3");
        List<SinkRecord> insert = dbz.take(1);
        sql(s, "update ads set name = 'renamed' where name = 'new'");
        List<SinkRecord> update = dbz.take(1);
        assertEquals(PgText.TOAST_PLACEHOLDER, ((org.apache.kafka.connect.data.Struct) update.get(0).value()).getStruct("after")
                .get("target_url"));
        assertEquals(1, insert.size());
        deliver(task, update, 10);
        assertSame(s);
        assertEquals(List.of("0"), citus.rows("select count(*) from " + s.schema() + ".ads where target_url is null and id in (1, 2)"
                + " or target_url = '" + PgText.TOAST_PLACEHOLDER + "'"));
        });
    }

    @Test
    void aRowThatCannotBePlacedStopsTheSinkNamingIt() throws Exception {
        afterSnapshot("orphan", null, (s, task, dbz) -> {
        sql(s, "insert into clicks (ad_id, clicked_at, site_url, user_ip, user_data) values (null, now(), 'orphan', '5.5.5.5', '{}')");
        List<SinkRecord> orphan = dbz.take(1);
        // no dead-letter queue configured: the task stops, it neither guesses a tenant nor drops the row
        ConnectException e = assertThrows(ConnectException.class, () -> deliver(task, orphan, 10));
        assertTrue(e.getMessage().contains("rows cannot be placed on a tenant") && e.getMessage().contains("ad_id is NULL: no path to a tenant"),
                e.getMessage());
        assertEquals(List.of("0"), citus.rows("select count(*) from " + s.schema() + ".clicks where site_url = 'orphan'"));
        });
    }

    @Test
    void withADeadLetterQueueTheRowGoesThereAndTheRestIsWritten() throws Exception {
        List<SinkRecord> dlq = new java.util.ArrayList<>();
        afterSnapshot("dlq", dlq, (s, task, dbz) -> {
        sql(s, "insert into clicks (ad_id, clicked_at, site_url, user_ip, user_data) values (null, now(), 'orphan', '5.5.5.5', '{}'),"
                + " (2, now(), 'placed', '6.6.6.6', '{}')");
        deliver(task, dbz.take(2), 10);
        assertEquals(1, dlq.size());
        assertEquals("orphan", ((org.apache.kafka.connect.data.Struct) dlq.get(0).value()).getStruct("after").getString("site_url"));
        assertEquals(List.of("placed"), citus.rows("select site_url from " + s.schema() + ".clicks where site_url in ('orphan', 'placed')"));
        // a batch written again after an orphan was set aside counts its rows once
        long ads = task.metrics().rowsPerTable().getOrDefault("public.ads", 0L);
        sql(s, "insert into ads (campaign_id, name, created_at, updated_at) values (1, 'counted once', now(), now())");
        sql(s, "insert into clicks (ad_id, clicked_at, site_url, user_ip, user_data) values (null, now(), 'orphan 2', '5.5.5.5', '{}')");
        deliver(task, dbz.take(2), 10);
        assertEquals(2, dlq.size());
        assertEquals(ads + 1, task.metrics().rowsPerTable().get("public.ads"));
        });
    }
}
