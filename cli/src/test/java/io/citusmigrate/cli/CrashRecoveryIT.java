package io.citusmigrate.cli;

import io.citusmigrate.steps.StepName;

import io.citusmigrate.crash.CrashPoints;
import io.citusmigrate.stream.LiveStream;
import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A live migration whose process dies, as {@code kill -9} kills it, at each step: at a crash
 * point (at the start, in the middle and at the end of the bulk load, of the stream and of the
 * cutover) or at a random moment while the application writes. Then the rerun the tool advises,
 * and the cutover. Afterwards every table equals the source, {@code verify} passes, no slot is
 * left, and every change was applied exactly once: the sink's positions on the target count the
 * change events applied over all runs, and they equal the row changes the application made.
 */
@org.junit.jupiter.api.Timeout(value = 300)
@org.junit.jupiter.api.extension.ExtendWith(io.citusmigrate.testing.SourceAndCitus.class) // its source and the best Citus there is
class CrashRecoveryIT {
    static EmbeddedPg pg;
    static CitusTarget citus;
    static final AtomicInteger N = new AtomicInteger();
    @TempDir
    Path dir;



    /** The crash points of the stream and the cutover; -Dcrash.points=a,b runs only those. */
    static List<String> streamPoints() {
        return only(List.of("stream.after-commit", "sink.before-commit", "sink.mid-move", "cutover.after-marker", "cutover.after-foreign-keys",
                "cutover.after-answer"));
    }

    /** The bulk load's: after the snapshot, the schema, the second range copied, the keys, and the verification. */
    static List<String> bulkPoints() {
        return only(List.of("bulk.after-snapshot", "bulk.after-schema", "bulk.after-range:2", "bulk.after-keys", "bulk.before-record"));
    }

    private static List<String> only(List<String> points) {
        String only = System.getProperty("crash.points");
        return only == null ? points : points.stream().filter(List.of(only.split(","))::contains).toList();
    }

    /** The source database's slots (the server holds those of other tests' databases too). */
    private static final String SLOTS = "select slot_name from pg_replication_slots where database = current_database()";
    /** Every process a test started: one that outlives a failed test is killed, not left streaming into the next. */
    private final List<Child> children = new java.util.ArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void killLeftovers() throws InterruptedException {
        for (Child c : children) if (c.alive()) c.kill();
    }

    private Child run(String crashAt, String... args) throws java.io.IOException {
        Child c = Child.start(dir, crashAt, args);
        children.add(c);
        return c;
    }

    /** The step each bulk-load crash point is in. */
    private static final java.util.Map<String, String> BULK_STEPS = java.util.Map.of("bulk.after-snapshot", "snapshot and orphan check",
            "bulk.after-schema", "schema", "bulk.after-range:2", "data", "bulk.after-keys", "keys, indexes and foreign keys",
            "bulk.before-record", "bulk-load record");

    /** A source database with companies, campaigns and ads, and the command file of its migration. */
    private record Migration(String db, String schema, String slot, Path file) {}

    private Migration migration() throws Exception {
        int n = N.incrementAndGet();
        String db = pg.createDatabase("crash");
        pg.exec(db, """
                create table company (id int primary key, name text not null);
                create table campaign (id int primary key, company_id int not null references company, n int not null);
                create table ad (id int primary key, campaign_id int not null references campaign, n int not null, body text);
                insert into company select g, 'company ' || g from generate_series(1, 6) g;
                insert into campaign select g, g % 6 + 1, 0 from generate_series(1, 60) g;
                insert into ad select g, g % 60 + 1, 0, repeat('x', 20) from generate_series(1, 600) g;
                """);
        String schema = citus.newSchema("crash");
        String slot = "cm_crash_" + n;
        Path file = dir.resolve("crash.load");
        LoadFile.write(file, pg, db, citus, schema, "include drop, slot name = '%s'".formatted(slot), "distribute company using id");
        return new Migration(db, schema, slot, file);
    }

    /**
     * One round of the application's writes, each statement its own transaction: updates, new
     * rows, a campaign moving to another company with its ads, a delete, a large (TOASTed)
     * value. Returns the row changes made: one change event each.
     */
    private static long writes(Connection c, int round) throws SQLException {
        long n = 0;
        try (Statement s = c.createStatement()) {
            n += s.executeUpdate("update ad set n = n + 1 where id % 7 = " + round % 7);
            n += s.executeUpdate("insert into ad select 100000 * " + round + " + g, g % 60 + 1, 0, 'new' from generate_series(1, 20) g");
            n += s.executeUpdate("update campaign set company_id = company_id % 6 + 1, n = n + 1 where id = " + (round % 60 + 1));
            n += s.executeUpdate("delete from ad where id = " + (round * 3 + 1));
            n += s.executeUpdate("update ad set body = repeat('y', 5000) || " + round + " where id % 97 = " + round % 97);
        }
        return n;
    }

    @ParameterizedTest
    @MethodSource("streamPoints")
    void aCrashWhileStreamingOrCuttingOverThenTheAdvisedRerunLosesAndRepeatsNothing(String point) throws Exception {
        Migration m = migration();
        Child first = run(point, "migrate", m.file().toString());
        awaitOutput(first, "streaming changes from slot");
        long events = 0;
        boolean answered = point.equals("cutover.after-answer");
        try (Connection c = pg.connect(m.db())) {
            for (int round = 1; round <= 3; round++) events += writes(c, round);
            if (point.startsWith("cutover")) {
                Run cutover = Run.of("cutover", m.file().toString(), "--timeout", "120");
                if (answered) {
                    assertEquals(0, cutover.code(), cutover.err());
                } else {
                    assertEquals(1, cutover.code(), cutover.out() + cutover.err());
                    assertTrue(cutover.err().contains("Run `citus-migrate migrate " + m.file() + " --resume`, then this cutover again"),
                            cutover.err());
                }
            }
            assertEquals(CrashPoints.EXIT, first.exitCode(120), first.output());
            assertTrue(first.output().contains("crash point " + point.replaceAll(":\\d+$", "") + " reached"), first.output());
            if (!answered) for (int round = 4; round <= 5; round++) events += writes(c, round); // nothing streams: the slot keeps them

            Child resume = run(null, "migrate", m.file().toString(), "--resume");
            if (!answered) {
                awaitOutput(resume, "streaming changes from slot");
                events += writes(c, 6);
                cutOver(m, resume);
            }
            assertEquals(0, resume.exitCode(120), resume.output());
            if (answered) assertTrue(resume.output().contains("the cutover of the interrupted run had answered"), resume.output());
        }
        assertMigrated(m, events);
    }

    @ParameterizedTest
    @MethodSource("bulkPoints")
    void aCrashDuringTheBulkLoadThenTheAdvisedRerunStartsOverAndNeverStreamsOntoAPartialCopy(String point) throws Exception {
        Migration m = migration();
        Child first = run(point, "migrate", m.file().toString());
        assertEquals(CrashPoints.EXIT, first.exitCode(120), first.output());
        assertTrue(first.output().contains("crash point " + point.replaceAll(":\\d+$", "") + " reached"), first.output());

        // run again as a user would: the tool says what to do
        Run again = Run.of("migrate", m.file().toString());
        assertEquals(1, again.code(), again.out() + again.err());
        assertTrue(again.err().contains("Stream from it again with `citus-migrate migrate " + m.file() + " --resume`"), again.err());

        long events = 0;
        try (Connection c = pg.connect(m.db())) {
            writes(c, 1); // while nothing runs: the new snapshot has these
            Child resume = run(null, "migrate", m.file().toString(), "--resume");
            awaitOutput(resume, "streaming changes from slot");
            assertTrue(resume.output().contains("--resume: the interrupted run stopped in its step \"" + BULK_STEPS.get(point) + "\""),
                    resume.output());
            assertTrue(resume.output().contains("--resume: the bulk load of the interrupted run did not finish, and the snapshot it read"
                    + " died with that run. Starting over: the slot " + m.slot() + " and the publication " + m.slot()
                    + " are dropped and made again"), resume.output());
            for (int round = 2; round <= 3; round++) events += writes(c, round);
            cutOver(m, resume);
            assertEquals(0, resume.exitCode(120), resume.output());
        }
        assertMigrated(m, events);
    }

    /** What a crash at the start or the end of a step leaves, and so what is run again. */
    enum After {
        /** no slot yet: `migrate FILE` again, as a first run */
        NO_SLOT,
        /** the slot, the bulk load not recorded as finished: `--resume` starts over */
        PARTIAL_LOAD,
        /** the load recorded, nothing streamed yet: `--resume` streams */
        LOADED,
        /** the cutover answered: `--resume` finishes what follows it */
        ANSWERED,
        /** everything done: nothing to run */
        DONE
    }

    /** Every step's start and end (the runner's crash points), with what each leaves. */
    static List<org.junit.jupiter.params.provider.Arguments> stepEdges() {
        List<org.junit.jupiter.params.provider.Arguments> out = new java.util.ArrayList<>();
        Object[][] edges = {
                {StepName.PLAN.start(), After.NO_SLOT}, {StepName.PLAN.end(), After.NO_SLOT}, {StepName.PUBLICATION.start(), After.NO_SLOT}, {StepName.PUBLICATION.end(), After.NO_SLOT},
                {StepName.SNAPSHOT.start(), After.NO_SLOT}, {StepName.SNAPSHOT.end(), After.PARTIAL_LOAD},
                {StepName.SCHEMA.start(), After.PARTIAL_LOAD}, {StepName.SCHEMA.end(), After.PARTIAL_LOAD}, {StepName.DATA.start(), After.PARTIAL_LOAD},
                {StepName.DATA.end(), After.PARTIAL_LOAD}, {StepName.KEYS.start(), After.PARTIAL_LOAD},
                {StepName.KEYS.end(), After.PARTIAL_LOAD}, {StepName.SEQUENCES.start(), After.PARTIAL_LOAD},
                {StepName.SEQUENCES.end(), After.PARTIAL_LOAD}, {StepName.VERIFICATION.start(), After.PARTIAL_LOAD}, {StepName.VERIFICATION.end(), After.PARTIAL_LOAD},
                {StepName.AFTER_LOAD.start(), After.PARTIAL_LOAD}, {StepName.AFTER_LOAD.end(), After.PARTIAL_LOAD}, {StepName.REPORT.start(), After.PARTIAL_LOAD},
                {StepName.REPORT.end(), After.PARTIAL_LOAD}, {StepName.BULK_LOAD_RECORD.start(), After.PARTIAL_LOAD}, {StepName.BULK_LOAD_RECORD.end(), After.LOADED},
                {StepName.STREAM.start(), After.LOADED}, {StepName.STREAM.end(), After.ANSWERED},
                {StepName.AFTER_CUTOVER.start(), After.ANSWERED}, {StepName.AFTER_CUTOVER.end(), After.DONE}};
        String only = System.getProperty("crash.points");
        for (Object[] e : edges) {
            if (only == null || List.of(only.split(",")).contains((String) e[0])) out.add(org.junit.jupiter.params.provider.Arguments.of(e));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stepEdges")
    void aCrashAtTheStartOrTheEndOfAnyStepThenWhatTheToolAdvisesLosesAndRepeatsNothing(String point, After after) throws Exception {
        Migration m = migration();
        Child first = run(point, "migrate", m.file().toString());
        long events = 0;
        try (Connection c = pg.connect(m.db())) {
            if (after == After.ANSWERED || after == After.DONE) {
                awaitOutput(first, "streaming changes from slot");
                for (int round = 1; round <= 2; round++) events += writes(c, round);
                cutOver(m, first);
            }
            assertEquals(CrashPoints.EXIT, first.exitCode(120), first.output());
            assertTrue(first.output().contains("crash point " + point + " reached"), first.output());
            if (after == After.DONE) {
                assertMigrated(m, events);
                return;
            }
            if (after == After.LOADED) events += writes(c, 3); // streamed from the recorded slot when it resumes
            if (after == After.NO_SLOT || after == After.PARTIAL_LOAD) writes(c, 3); // in the snapshot the rerun takes
            Child second = run(null, "migrate", m.file().toString(), after == After.NO_SLOT ? "--verbose" : "--resume");
            if (after != After.ANSWERED) {
                awaitOutput(second, "streaming changes from slot");
                if (after == After.PARTIAL_LOAD) assertTrue(second.output().contains("Starting over"), second.output());
                for (int round = 4; round <= 5; round++) events += writes(c, round);
                cutOver(m, second);
            }
            assertEquals(0, second.exitCode(120), second.output());
        }
        assertMigrated(m, events);
    }

    @Test
    void killMinus9AtARandomMomentWhileTheApplicationWritesThenResumeAndCutOver() throws Exception {
        Migration m = migration();
        Child first = run(null, "migrate", m.file().toString());
        awaitOutput(first, "streaming changes from slot"); // from here on each write is a change event
        AtomicLong events = new AtomicLong();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger rounds = new AtomicInteger();
        CompletableFuture<Void> application = CompletableFuture.runAsync(() -> {
            try (Connection c = pg.connect(m.db())) {
                while (writing.get()) {
                    events.addAndGet(writes(c, rounds.incrementAndGet()));
                    Thread.sleep(20);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(1000 + new java.util.Random().nextInt(3000));
        first.kill();

        Child resume = run(null, "migrate", m.file().toString(), "--resume");
        awaitOutput(resume, "streaming changes from slot");
        Thread.sleep(2000);
        writing.set(false);
        application.get(60, TimeUnit.SECONDS);
        cutOver(m, resume);
        assertEquals(0, resume.exitCode(120), resume.output());
        assertTrue(rounds.get() > 10, "the application wrote while the migration ran and died: " + rounds.get() + " rounds");
        assertMigrated(m, events.get());
    }

    @Test
    void aResumeWhoseCommandFileNowPlansOtherwiseIsRefusedSayingWhatChanged() throws Exception {
        Migration m = migration();
        Child first = run("bulk.before-record", "migrate", m.file().toString());
        assertEquals(CrashPoints.EXIT, first.exitCode(120), first.output());
        Files.writeString(m.file(), Files.readString(m.file()).replace("distribute company using id;",
                "distribute company using id\n  cast column ad.n to bigint;"));
        Run resume = Run.of("migrate", m.file().toString(), "--resume");
        assertEquals(1, resume.code(), resume.out() + resume.err());
        assertTrue(resume.err().contains("--resume refused: the plan of " + m.file() + " is not the one the interrupted run started with:\n"
                + "  table " + m.schema() + ".ad was distributed by company_id (added); "), resume.err());
        assertTrue(resume.err().contains("n integer"), resume.err());
        assertTrue(resume.err().contains("is now distributed by company_id (added); "), resume.err());
        assertTrue(resume.err().contains("n bigint"), resume.err());
        assertEquals(List.of(m.slot()), pg.rows(m.db(), SLOTS), "a refusal changes nothing");
        assertEquals(0, Run.of("cleanup", m.file().toString()).code());
    }

    @Test
    void cleanupSaysWhatAnAbandonedMigrationLeftThenRemovesIt() throws Exception {
        Migration m = migration();
        Child first = run("bulk.after-range:2", "migrate", m.file().toString());
        assertEquals(CrashPoints.EXIT, first.exitCode(120), first.output());

        // what the progress catalog says of the interrupted run: its steps, and the ranges copied, each noted
        // in the transaction of its rows (so exactly the rows on the target)
        Run status = Run.of("status", m.file().toString());
        assertEquals(0, status.code(), status.err());
        assertTrue(status.out().contains("  step data: begun "), status.out());
        assertTrue(status.out().contains("  step schema: done in "), status.out());
        assertTrue(status.out().contains("  bulk load, copied so far:"), status.out());
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Run.of("status", m.file().toString(), "--json").out());
        var copied = json.get("bulk_load_copied");
        assertTrue(copied != null && copied.size() > 0, json.toString());
        for (var it = copied.fields(); it.hasNext(); ) {
            var e = it.next();
            assertEquals(List.of(e.getValue().get("rows").asText()), citus.rows("select count(*) from " + e.getKey()), e.getKey());
        }

        Run dry = Run.of("cleanup", m.file().toString(), "--dry-run");
        assertEquals(0, dry.code(), dry.err());
        assertTrue(dry.out().contains("would remove:\n  replication slot " + m.slot() + " on the source"), dry.out());
        assertTrue(dry.out().contains("  publication " + m.slot() + " on the source"), dry.out());
        assertTrue(dry.out().contains("row of citus_migrate.bulk_loads on the target"), dry.out());
        assertEquals(List.of(m.slot()), pg.rows(m.db(), SLOTS), "a dry run removes nothing");
        Run cleanup = Run.of("cleanup", m.file().toString());
        assertEquals(0, cleanup.code(), cleanup.err());
        assertTrue(cleanup.out().contains("removing:\n  replication slot " + m.slot()), cleanup.out());
        assertEquals(List.of(), pg.rows(m.db(), SLOTS));
        assertEquals(List.of(), pg.rows(m.db(), "select pubname from pg_publication"));
        assertTrue(Run.of("cleanup", m.file().toString()).out().startsWith("nothing to clean up"));
    }

    /** The cutover, whatever the lag (these tests are about what a crash leaves, not about lag). */
    private static void cutOver(Migration m, Child migrate) {
        Run cutover = Run.of("cutover", m.file().toString(), "--timeout", "120", "--max-lag", "off");
        assertEquals(0, cutover.code(), cutover.out() + cutover.err() + "\nmigrate said:\n" + migrate.output());
    }

    /** Equal tables, verify passing, no slot, and each change applied once over all the runs. */
    private static void assertMigrated(Migration m, long events) throws Exception {
        for (String q : List.of("select count(*), sum(n), md5(string_agg(id || ':' || campaign_id || ':' || n || ':' || body, ',' order by id)) from %sad",
                "select count(*), sum(n), md5(string_agg(id || ':' || company_id || ':' || n, ',' order by id)) from %scampaign")) {
            assertEquals(pg.rows(m.db(), q.formatted("")), citus.rows(q.formatted(m.schema() + ".")), q);
        }
        assertEquals(List.of("0"), citus.rows("select count(*) from " + m.schema() + ".ad a where not exists (select 1 from " + m.schema()
                + ".campaign c where c.company_id = a.company_id and c.id = a.campaign_id)"), "every ad under its campaign's company");
        Run verify = Run.of("verify", m.file().toString());
        assertEquals(0, verify.code(), verify.out() + verify.err());
        assertEquals(List.of(), pg.rows(m.db(), SLOTS), "no slot is left");
        assertEquals(List.of(String.valueOf(events)), citus.rows("select coalesce(sum(kafka_offset + 1), 0) from citus_migrate.sink_offsets"
                + " where sink = '" + LiveStream.sinkName(m.slot()) + "'"), "every change applied once: none skipped, none twice");
    }

    private static void awaitOutput(Child c, String text) throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        while (!c.output().contains(text)) {
            if (!c.alive()) throw new AssertionError("migrate ended early:\n" + c.output());
            if (System.currentTimeMillis() > deadline) throw new AssertionError("timed out:\n" + c.output());
            Thread.sleep(50);
        }
    }
}
