package io.citusmigrate.stream;

import io.citusmigrate.progress.CutoverTable;
import io.citusmigrate.UserError;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.sink.ChangeEvent;
import io.citusmigrate.sink.CitusSinkTask;
import io.citusmigrate.sink.SinkPositions;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.source.SourceRecord;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The streaming half of a live migration, in this process and without a broker: Debezium's
 * embedded engine reads the replication slot the bulk load's snapshot came from (so streaming
 * starts exactly where the snapshot ends) and hands each batch to the Citus sink task. A batch
 * is marked processed only after the task has written it, so the slot's confirmed position
 * never passes what is on the target. Exactly once across crashes: Debezium's offset of the last
 * change written is kept on the target in the same transaction as the rows, and a rerun's engine
 * starts from it (see {@link SeededOffsetStore}), so what is on the target is not read again.
 *
 * <p>The cutover marker is a transactional logical decoding message with prefix
 * {@link #MARKER_PREFIX} written on the source by {@code citus-migrate cutover}: once it has come
 * through, everything committed on the source before it is on the target.
 */
public final class LiveStream implements AutoCloseable {
    public static final String MARKER_PREFIX = "citus_migrate";
    static final String TOPIC_PREFIX = "citus_migrate";

    /** Replaced, with its rules, when a table created on the source joins the plan. */
    private volatile CitusSinkTask task = new CitusSinkTask();
    /** Rows written per table by the sink tasks a change of plan replaced (see {@link #rowsPerTable}). */
    private final java.util.Map<String, Long> earlierRows = new java.util.concurrent.ConcurrentHashMap<>();
    private final DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private final ExecutorService runner = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "citus-migrate-stream");
        t.setDaemon(true);
        return t;
    });
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch cutover = new CountDownLatch(1);
    private final CountDownLatch ended = new CountDownLatch(1);
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong lastEventMillis = new AtomicLong();
    private final Map<String, Long> offsets = new HashMap<>();
    private final String markerPrefix;
    /** The plan the stream writes by: the migration's, and from a new table on the one it was carried by. */
    private volatile Plan plan;
    /** Tenant databases consolidated: the whole migration's plan, which every database's stream shares, and this stream's database. */
    private java.util.concurrent.atomic.AtomicReference<Plan> whole;
    private String database;
    private volatile io.citusmigrate.catalog.Catalog catalog;
    private volatile java.util.Set<String> plannedTopics;
    private final String slot;
    private final LoadCommand cmd;
    /** False once the stream stopped on a change a rerun from the same slot cannot get past (see {@link SchemaChanges.NotCarried}). */
    private volatile boolean resumable = true;
    /** Tables whose row changes came and are not the plan's (said once each). */
    private final java.util.Set<String> passedOver = new java.util.HashSet<>();
    /** Whether a marker's request is one a cutover waits on now (see CutoverTable). */
    private volatile java.util.function.Predicate<String> pendingRequest = id -> false;
    private volatile String cutoverRequest;
    /**
     * Row changes that came through after the marker a cutover is taken on: none are written (the
     * cutover's work must not race the sink's batches, and what follows the marker is not the
     * cutover's), and any at all say the source was still being written.
     */
    private final AtomicLong afterMarker = new AtomicLong();
    private final LiveProgress progress = new LiveProgress();
    private volatile java.util.function.Consumer<String> say = line -> { };
    private volatile long retryMillis = 600_000;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * {@code snapshotMode}: {@code no_data} when the bulk load took the snapshot from this slot,
     * {@code initial} for Debezium's own snapshot, then streaming.
     */
    public LiveStream(LoadCommand cmd, Plan plan, io.citusmigrate.catalog.Catalog catalog, String slot, String publication,
                      String snapshotMode) {
        this.markerPrefix = marker(slot, "");
        this.plan = plan;
        this.catalog = catalog;
        this.plannedTopics = topics(plan);
        this.slot = slot;
        this.cmd = cmd;
        Map<String, String> sink = ConnectorConfigs.sink(cmd, plan, TOPIC_PREFIX, sinkName(slot), ConnectorConfigs.Passwords.INLINE);
        task.start(sink);
        // this run's Kafka-like positions go on from the last ones on the target, which the task skips up to
        task.appliedAtStart().forEach((tp, last) -> offsets.put(tp.topic(), last + 1));
        String engineName = "citus-migrate-" + slot;
        var kept = task.keptSourceOffset();

        Properties p = new Properties();
        p.putAll(ConnectorConfigs.source(cmd, plan, catalog, TOPIC_PREFIX, slot, publication, snapshotMode, ConnectorConfigs.Passwords.INLINE));
        p.setProperty("name", engineName);
        // Debezium resumes right after the last change on the target: it is kept there with the rows (exactly once)
        p.setProperty("offset.storage", SeededOffsetStore.class.getName());
        kept.ifPresent(o -> p.setProperty(SeededOffsetStore.TOKEN_PROPERTY, SeededOffsetStore.seed(engineName, o)));
        p.setProperty("offset.flush.interval.ms", "1000");
        // Debezium waits this long for more changes before it hands over a batch smaller than max.batch.size, and an idle
        // stream looks for new changes this often: every batch paid it, and the cutover marker twice (at 100 ms: 0.1 s
        // of each batch cycle at 1,000 transactions/s, and of the write downtime; benchmark/RESULTS.md, session 17)
        p.setProperty("poll.interval.ms", "10");
        // A stream behind the source writes bigger batches (one transaction on the target each): the per-batch lookups
        // and statements weigh less per change. On real Citus at 1,000 transactions/s with tenant moves, with 4096 the
        // stream fell behind for good; with 16384 it catches up and stays a batch behind (benchmark/RESULTS.md,
        // session 16); 32768 did no better, for 100 MB more memory. The queue is bounded in bytes too, for big rows.
        p.setProperty("max.batch.size", "16384");
        p.setProperty("max.queue.size", "32768");
        p.setProperty("max.queue.size.in.bytes", String.valueOf(32L << 20));
        p.setProperty("slot.drop.on.stop", "false");
        // The offset kept on the target is that of the last row change written. The heartbeats after it are confirmed to
        // the slot too (never stored: they carry no row), and once the slot's restart position passes that offset
        // Debezium refused to resume from it ("no longer available on the server"): a --resume after a quiet spell
        // failed. The slot is confirmed only past changes already on the target, so starting at the later of the two
        // positions loses nothing; with the slot behind, the target's offset wins, as before.
        p.setProperty("offset.mismatch.strategy", "trust_greater_lsn");
        // this process created the publication before the slot (see LiveSource)
        p.setProperty("publication.autocreate.mode", "disabled");
        // after our own bulk load, the publication says which tables stream: a table created on the source while
        // streaming joins it (see SchemaChanges) and its rows must get through Debezium's own filter too
        // (a tenant schema created while streaming is not known yet: then the publication alone says)
        if ("no_data".equals(snapshotMode) && CapturedSchemas.any(cmd.distribute())) {
            p.remove("table.include.list");
        } else if ("no_data".equals(snapshotMode)) {
            p.setProperty("table.include.list", ConnectorConfigs.schemasIncludeList(plan));
        }
        p.setProperty("message.prefix.include.list", MARKER_PREFIX + "," + PartitionTruncates.PREFIX + "," + SchemaCapture.PREFIX);
        engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class)).using(p)
                .using(new DebeziumEngine.ConnectorCallback() {
                    @Override
                    public void taskStarted() {
                        started.countDown();
                    }
                })
                .using((success, message, error) -> {
                    if (!success) failure.compareAndSet(null, message + (error == null ? "" : ": " + rootMessage(error)));
                    started.countDown();
                    ended.countDown();
                })
                .notifying(this::handle)
                .build();
    }

    /** The name the embedded run's sink keeps its positions under on the target: one per slot, so a rerun finds them. */
    public static String sinkName(String slot) {
        return "live-" + slot;
    }

    /**
     * The marker's content for a slot and a cutover request: a cutover of another migration on the
     * same source is not ours, and a marker read again after a crash is known by its request.
     */
    public static String marker(String slot, String requestId) {
        return "cutover " + slot + " " + requestId;
    }

    /** Which cutover requests the stream answers: those a cutover waits on when their marker comes through. */
    public void answering(java.util.function.Predicate<String> pending) {
        this.pendingRequest = pending;
    }

    /** The request of the marker that ended the stream; null before. */
    public String cutoverRequest() {
        return cutoverRequest;
    }

    /** Starts streaming; returns once Debezium's task runs (or fails). */
    public void start() throws InterruptedException {
        runner.execute(engine);
        if (!started.await(120, TimeUnit.SECONDS)) throw new UserError("the change stream did not start within 120 s");
        throwIfFailed();
    }

    private void handle(List<RecordChangeEvent<SourceRecord>> records,
                        DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) throws InterruptedException {
        if (cutover.getCount() == 0) {
            // past the marker of the cutover being finished: counted, not written, not confirmed to the slot (a resume reads them again)
            for (RecordChangeEvent<SourceRecord> e : records) if (rowChange(e.record())) afterMarker.incrementAndGet();
            return;
        }
        List<SinkRecord> batch = new ArrayList<>();
        String sawMarker = null;
        long heartbeat = -1;
        int written = 0;
        int upToMarker = records.size();
        Map<TopicPartition, OffsetAndMetadata> all = new HashMap<>();
        for (int i = 0; i < records.size(); i++) {
            RecordChangeEvent<SourceRecord> e = records.get(i);
            SourceRecord r = e.record();
            if (sawMarker != null) {
                if (rowChange(r)) afterMarker.incrementAndGet();
                continue;
            }
            if (r.topic().equals(TOPIC_PREFIX + ".message")) {
                Message msg = Message.of(r);
                if (msg == null) continue;
                switch (msg.prefix()) {
                    case SchemaCapture.PREFIX, PartitionTruncates.PREFIX -> {
                        // what came before it first, then it, at its place, then what comes after it
                        written += write(batch, all);
                        batch = new ArrayList<>();
                        if (msg.prefix().equals(SchemaCapture.PREFIX)) carrySchemaChange(msg.content());
                        else truncatePartition(PartitionTruncates.partition(msg.content()), sourceOffset(r));
                    }
                    case MARKER_PREFIX -> {
                        heartbeat = Math.max(heartbeat, LiveProgress.heartbeatMillis(msg.content()));
                        if (msg.content().startsWith(markerPrefix) && cutover.getCount() > 0) {
                            // what came before it on the target first; then, when a cutover waits on it (tenant databases: until
                            // every stream has met its own), nothing after it is written; a marker whose cutover gave up is passed over
                            written += write(batch, all);
                            batch = new ArrayList<>();
                            String request = msg.content().substring(markerPrefix.length());
                            if (pendingRequest.test(request)) {
                                sawMarker = request;
                                upToMarker = i + 1;
                            }
                        }
                    }
                    default -> { }
                }
            } else if (r.topic().startsWith(TOPIC_PREFIX + ".") && r.value() != null && !planned(r.topic())) {
                // published, and not the plan's: never passed over without a word
                if (passedOver.add(r.topic())) {
                    say.accept("row changes of " + r.topic().substring(TOPIC_PREFIX.length() + 1) + " are not migrated: the command file's"
                            + " rules leave the table out");
                }
            } else if (r.topic().startsWith(TOPIC_PREFIX + ".") && r.value() != null) {
                long offset = offsets.merge(r.topic(), 1L, Long::sum) - 1;
                SinkRecord s = new SinkRecord(r.topic(), 0, r.keySchema(), r.key(), r.valueSchema(), r.value(), offset, r.timestamp(),
                        TimestampType.CREATE_TIME);
                // kept on the target with the rows: where Debezium resumes after a crash
                s.headers().add(ChangeEvent.SOURCE_OFFSET_HEADER, sourceOffset(r), null);
                batch.add(s);
            }
        }
        written += write(batch, all); // written and committed on the target: now Debezium may confirm them to the slot
        if (written > 0) io.citusmigrate.crash.CrashPoints.reach("stream.after-commit"); // on the target, not confirmed to the slot
        for (RecordChangeEvent<SourceRecord> e : records.subList(0, upToMarker)) committer.markProcessed(e);
        committer.markBatchFinished();
        applied.addAndGet(written);
        if (heartbeat >= 0) progress.applied(heartbeat); // everything before it is on the target now
        if (written > 0) lastEventMillis.set(System.currentTimeMillis());
        if (sawMarker != null) {
            cutoverRequest = sawMarker;
            cutover.countDown();
        }
    }

    /**
     * Puts the batch and flushes it. Rows that cannot be placed yet are retried as a Connect
     * worker would; the task counts the attempts and then stops, naming the row. A batch is never
     * given up: Debezium must not go on past it.
     */
    /** Puts the changes and flushes them (see {@link #untilWritten}); returns how many. */
    private int write(List<SinkRecord> batch, Map<TopicPartition, OffsetAndMetadata> all) throws InterruptedException {
        offsets.keySet().forEach(t -> all.put(new TopicPartition(t, 0), null));
        boolean[] put = {false};
        untilWritten("the batch of " + batch.size() + " changes", () -> {
            if (!put[0]) task.put(batch);
            put[0] = true; // the rows are buffered in the task from now on: a retry flushes them again
            task.preCommit(all);
        });
        return batch.size();
    }

    /** Debezium's offset of a record, kept on the target with what it wrote. */
    private static SinkPositions.SourceOffset sourceOffset(SourceRecord r) {
        return new SinkPositions.SourceOffset(asObjects(r.sourcePartition()), asObjects(r.sourceOffset()));
    }

    /** A partition's TRUNCATE, met as a message: the target partition emptied, with the message's offset. */
    private void truncatePartition(io.citusmigrate.catalog.QualifiedName partition, SinkPositions.SourceOffset offset) throws InterruptedException {
        String target = plan.table(partition).map(t -> t.target().sql()).orElse(null);
        if (target == null) {
            fail("a TRUNCATE of " + partition + ", a partition the plan does not know (attached since the migration began): it cannot be"
                    + " carried");
        }
        String source = partition.schema() + "." + partition.name();
        untilWritten("the TRUNCATE of " + source, () -> task.truncatePartition(source, target, offset));
    }

    /** A row change of a table the plan takes (a new table the command file's rules leave out is published, and passed over). */
    private boolean planned(String topic) {
        return plannedTopics.contains(topic);
    }

    private static java.util.Set<String> topics(Plan plan) {
        return ConnectorConfigs.streamed(plan).stream().map(t -> TOPIC_PREFIX + "." + t.source().name().schema() + "." + t.source().name().name())
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
    }

    /** The plan the stream writes by now (a table created on the source while streaming joins it). */
    public Plan plan() {
        return plan;
    }

    /** The source's catalog the plan was made from. */
    public io.citusmigrate.catalog.Catalog catalog() {
        return catalog;
    }

    /**
     * A schema change met as a message: carried to the target. One that cannot be carried as the
     * command left the table is carried as the table is on the source now, if the user undid it
     * since (see {@link SettledChanges}); otherwise the stream stops on it, and a {@code --resume}
     * after the user undid it goes on.
     */
    private void carrySchemaChange(String content) throws InterruptedException {
        try {
            for (int waits = 0; ; waits++) {
                try {
                    carry(content);
                    break;
                } catch (SchemaChanges.NotCarried e) {
                    // 1, 2, 4 ... 30 s, about 90 s in all: what the source may yet do (a tenant's mapping row) comes in seconds
                    if (e.waitingFor() == null || waits >= 7) throw e;
                    long wait = backoffMillis(waits);
                    say.accept("waiting for " + e.waitingFor() + ": looking again in " + (wait / 1000) + " s");
                    Thread.sleep(wait);
                }
            }
        } catch (SchemaChanges.NotCarried e) {
            if (!e.undoable()) {
                resumable = false;
                fail(e.getMessage());
            }
            java.util.Optional<String> now;
            try (java.sql.Connection source = io.citusmigrate.db.Databases.connect("source", cmd.source())) {
                now = SettledChanges.asNow(content, source);
            } catch (java.sql.SQLException read) {
                now = java.util.Optional.empty();
            }
            if (now.isEmpty()) fail(e.getMessage());
            try {
                carry(now.get());
                say.accept("a schema change the stream could not carry was undone on the source since; the table was carried as the source"
                        + " has it now");
            } catch (SchemaChanges.NotCarried again) {
                fail(e.getMessage());
            }
        }
    }

    private void carry(String content) throws InterruptedException {
        try {
            java.util.Optional<String> passed = SchemaChanges.consolidated(content, plan, cmd);
            if (passed.isPresent()) {
                if (!passed.get().isEmpty()) say.accept(passed.get());
                return;
            }
        } catch (java.sql.SQLException e) {
            fail("reading a schema change's type on the source failed: " + io.citusmigrate.db.Databases.oneLine(e, cmd.source()));
        }
        if (SchemaChanges.replans(content, plan)) {
            carryTableChange(content);
            return;
        }
        String done = carriedOnTarget(target -> SchemaChanges.carry(content, plan, target, cmd));
        if (!done.isEmpty()) say.accept(done);
        untilWritten("the schema change", task::schemaChanged);
    }

    /**
     * Tenant databases consolidated: this stream is one database's; a schema change rolled out to
     * the databases one after the other is decided on the whole migration's plan, which the
     * streams share (one change at a time).
     */
    public void consolidating(java.util.concurrent.atomic.AtomicReference<Plan> whole, String database) {
        this.whole = whole;
        this.database = database;
    }

    /** A table created, dropped, renamed or keyed otherwise: carried to the target, then the sink starts again with the new plan's rules (nothing is buffered now). */
    private void carryTableChange(String content) throws InterruptedException {
        SchemaChanges.Replanned t = carriedOnTarget(target -> {
            if (whole == null) return SchemaChanges.replan(content, plan, catalog, target, cmd);
            synchronized (whole) {
                SchemaChanges.Replanned all = SchemaChanges.replan(content, whole.get(), catalog, target, cmd, database);
                whole.set(all.plan());
                return new SchemaChanges.Replanned(all.plan().forDatabase(database), all.catalog(), all.said());
            }
        });
        if (!t.said().isEmpty()) say.accept(t.said());
        if (t.plan() == plan) return;
        if (io.citusmigrate.plan.StreamRules.json(t.plan()).equals(io.citusmigrate.plan.StreamRules.json(plan))) {
            // the sink writes as before (a consolidated tenant's table altered): it reads the target's columns again
            plan = t.plan();
            catalog = t.catalog();
            untilWritten("the schema change", task::schemaChanged);
            return;
        }
        CitusSinkTask next = new CitusSinkTask();
        next.start(ConnectorConfigs.sink(cmd, t.plan(), TOPIC_PREFIX, sinkName(slot), ConnectorConfigs.Passwords.INLINE));
        next.appliedAtStart().forEach((tp, last) -> offsets.merge(tp.topic(), last + 1, Math::max));
        CitusSinkTask was = task;
        // the new task counts from zero: what the old one wrote stays in the counts `status` shows
        was.metrics().rowsPerTable().forEach((table, n) -> earlierRows.merge(table, n, Long::sum));
        task = next;
        plan = t.plan();
        catalog = t.catalog();
        plannedTopics = topics(plan);
        was.stop();
    }

    /** What a schema change does on the target, on a connection of its own. */
    private interface TargetWork<T> {
        T run(java.sql.Connection target) throws java.sql.SQLException;
    }

    /**
     * A schema change carried to the target. What PostgreSQL or Citus cancelled to end a
     * deadlock (another session's statement on the same shards) or a serialization failure, and a
     * lost connection, are tried again with backoff, one line per wait, for up to
     * {@code retryMillis}: the carry compares with the target as it is and each change is all of
     * it or none, so a second try does what the first rolled back. Anything else stops the stream.
     */
    private <T> T carriedOnTarget(TargetWork<T> work) throws InterruptedException {
        long since = System.currentTimeMillis();
        for (int waits = 0; ; waits++) {
            try (java.sql.Connection target = io.citusmigrate.db.Databases.target(cmd)) {
                return work.run(target);
            } catch (java.sql.SQLException e) {
                String why = io.citusmigrate.db.Databases.oneLine(e, null);
                boolean again = CitusSinkTask.transientFailure(e) || CitusSinkTask.rolledBackByConflict(e);
                if (!again || System.currentTimeMillis() - since >= retryMillis) fail("carrying a schema change to the target failed: " + why);
                long wait = backoffMillis(waits);
                say.accept("carrying a schema change to the target was rolled back (" + why + "): trying again in " + (wait / 1000) + " s");
                Thread.sleep(wait);
            }
        }
    }

    /** The wait before try {@code waits} + 2: 1, 2, 4 ... 30 s. */
    private static long backoffMillis(int waits) {
        return Math.min(30_000, 1000L << Math.min(5, waits));
    }

    /** Whether a {@code --resume} can get past what stopped the stream. */
    public boolean resumable() {
        return resumable;
    }

    /**
     * Runs a write to the target until it is done. A lost connection (a node restarted) is waited
     * out with backoff, one line per wait, for up to {@code retryMillis}; rows that cannot be
     * placed yet are retried as a Connect worker would (the task counts the attempts and then
     * stops, naming the row). A write is never given up: Debezium must not go on past it.
     */
    private void untilWritten(String what, Runnable write) throws InterruptedException {
        long lostSince = 0;
        int waits = 0;
        while (true) {
            try {
                write.run();
                if (lostSince > 0) say.accept("the target answers again: " + what + " is written, streaming goes on");
                return;
            } catch (io.citusmigrate.sink.TargetUnreachable e) {
                long now = System.currentTimeMillis();
                if (lostSince == 0) lostSince = now;
                if (now - lostSince >= retryMillis) fail("a connection stayed lost for " + (retryMillis / 1000) + " s (" + e.getMessage() + ")");
                // 1, 2, 4 ... 30 s: a restarted node is back in seconds, a longer outage is not asked every second
                long wait = backoffMillis(waits++);
                say.accept("a connection was lost (" + e.getMessage() + "): " + what + " was rolled back; trying again in " + (wait / 1000)
                        + " s, for up to " + Math.max(0, (retryMillis - (now - lostSince)) / 1000) + " s more");
                Thread.sleep(wait);
            } catch (org.apache.kafka.connect.errors.RetriableException e) {
                Thread.sleep(1000);
            } catch (RuntimeException e) {
                // the run stops on it, whatever the engine then does with the batch
                failure.compareAndSet(null, rootMessage(e));
                throw e;
            }
        }
    }

    private void fail(String why) {
        failure.compareAndSet(null, why);
        throw new UserError(why);
    }

    /**
     * Where the stream says that it waits for a lost connection, and for how long it keeps
     * trying before it stops (the run then says how to resume).
     */
    public void onConnectionLost(java.util.function.Consumer<String> say, long retryMillis) {
        this.say = say;
        this.retryMillis = retryMillis;
    }

    /** Debezium's maps as they are (a new one per record): no copy per change event. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> asObjects(Map<String, ?> m) {
        return (Map<String, Object>) m;
    }

    /** A logical decoding message of ours: the cutover marker, a heartbeat, a partition's TRUNCATE, a schema change. */
    private record Message(String prefix, String content) {
        /** Null for a message with no prefix of ours. */
        static Message of(SourceRecord r) {
            if (!(r.value() instanceof Struct v) || v.schema().field("message") == null) return null;
            Struct m = v.getStruct("message");
            if (m == null) return null;
            String prefix = m.getString("prefix");
            if (!List.of(MARKER_PREFIX, PartitionTruncates.PREFIX, SchemaCapture.PREFIX).contains(prefix)) return null;
            Object content = m.get("content");
            return new Message(prefix, content instanceof byte[] b ? new String(b, StandardCharsets.UTF_8)
                    : content instanceof java.nio.ByteBuffer bb ? StandardCharsets.UTF_8.decode(bb.duplicate()).toString() : String.valueOf(content));
        }
    }

    /** Heartbeats and how far behind the stream is (see LiveProgress). */
    public LiveProgress progress() {
        return progress;
    }

    /** Rows written per source table so far. */
    /** TRUNCATEs carried to the target so far, per source table. */
    public java.util.Map<String, Long> truncatesPerTable() {
        return task.metrics().truncatesPerTable();
    }

    public java.util.Map<String, Long> rowsPerTable() {
        java.util.Map<String, Long> out = new java.util.TreeMap<>(earlierRows);
        task.metrics().rowsPerTable().forEach((t, n) -> out.merge(t, n, Long::sum));
        return out;
    }

    /** Waits until the cutover marker has been applied; false on timeout. A failed stream throws. */
    public boolean awaitCutover(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < deadline) {
            throwIfFailed();
            if (cutover.await(Math.min(500, Math.max(1, deadline - System.currentTimeMillis())), TimeUnit.MILLISECONDS)) return true;
        }
        throwIfFailed();
        return false;
    }

    /** Row changes that came through after the cutover's marker (none written); more than none: the source was still written. */
    public long changesAfterMarker() {
        return afterMarker.get();
    }

    /** A row change of a table (not a message of ours). */
    private static boolean rowChange(SourceRecord r) {
        return r.topic().startsWith(TOPIC_PREFIX + ".") && !r.topic().equals(TOPIC_PREFIX + ".message") && r.value() != null;
    }

    /** Row changes applied to the target so far. */
    public long applied() {
        return applied.get();
    }

    /** When the last row change was applied (0: none yet). */
    public long lastEventMillis() {
        return lastEventMillis.get();
    }

    private void throwIfFailed() {
        String f = failure.get();
        if (f == null && ended.getCount() == 0 && cutover.getCount() > 0) f = "the change stream stopped";
        if (f != null) throw new UserError("streaming changes failed: " + f);
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) c = c.getCause();
        return c.getMessage() == null ? c.toString() : c.getMessage();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        // Closing with the interrupt flag set must still wait for Debezium to let go of the slot (the waits below would
        // return at once); the flag is set again at the end.
        boolean interrupted = Thread.interrupted();
        try {
            try {
                engine.close();
            } catch (Exception e) {
                // closing after a failure: the failure is what is reported
            }
            runner.shutdown();
            try {
                runner.awaitTermination(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
            task.stop();
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

}
