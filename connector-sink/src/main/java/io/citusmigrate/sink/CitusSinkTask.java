package io.citusmigrate.sink;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes Debezium change events into Citus. Exactly-once effect: the Kafka position of every
 * write is stored in the same target transaction, replays at or below it are skipped, and
 * {@link #preCommit} reports only positions that are durable on the target.
 */
public final class CitusSinkTask extends SinkTask {
    private static final Logger LOG = LoggerFactory.getLogger(CitusSinkTask.class);

    /** The task's number among the connector's tasks, set by the connector. */
    static final String TASK_INDEX = "citus.task.index";
    static final String TASK_COUNT = "citus.task.count";

    private CitusSinkConfig config;
    private int taskIndex;
    private Connection target;
    private Connection source;
    private CitusWriter writer;
    private Map<String, TableRule> rules;
    /** The rules of the config: those the plan gave at the deploy (schema changes carried since may add or take some). */
    private Map<String, TableRule> configured;
    /** Source tables whose rows are not written: dropped, or created and left out by the command file's rules (on Connect). */
    private final java.util.Set<String> notWritten = new java.util.HashSet<>();
    /** Source tables renamed while streaming (on Connect): rows under the name again wait for the change that gives it back. */
    private final java.util.Set<String> renamedAway = new java.util.HashSet<>();
    /** When the rules kept on the target were last read, and their version then. */
    private long rulesRead;
    private String rulesVersion;
    /**
     * Partitions whose next row is of a table no task has carried the schema change of yet (a
     * table renamed: its change comes in the old name's topic, maybe to another task), since when:
     * paused and read again each second, up to {@link #UNKNOWN_TABLE_WAIT_MS}.
     */
    private final Map<TopicPartition, Long> waiting = new HashMap<>();
    private long lastResume;
    /** The source's WAL position this migration began at: a change below it is an earlier deployment's (0: none kept). */
    private long began;
    private long earlierPassed;
    /** When partitions were last given to this task. */
    private long openedAt;
    /** Partitions paused so, then taken from this task: resumed if they come back to it. */
    private final java.util.Set<TopicPartition> pausedOnce = new java.util.HashSet<>();
    static final long UNKNOWN_TABLE_WAIT_MS = 600_000;
    private final Map<TopicPartition, Long> applied = new HashMap<>();
    private final Map<TopicPartition, Long> appliedAtStart = new HashMap<>();
    private final SinkMetrics metrics = new SinkMetrics();
    private int attempts;
    /** The last batch failed on a lost connection: the next flush opens new ones first. */
    private boolean connectionLost;
    /** On a worker: not before this moment is a batch with rows waiting for their tenant written again. */
    private long nextAttempt;
    /** The embedded run's reject files (`on orphan rows skip`), opened on the first such row. */
    private RejectFiles rejects;
    /** Carries the schema changes met in the stream (on Connect; the embedded run carries them itself); null when unset. */
    private SchemaChangeCarrier carrier;
    private long lastLog = System.currentTimeMillis();
    private long lastFlush = System.currentTimeMillis();

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public void start(Map<String, String> props) {
        config = new CitusSinkConfig(props);
        taskIndex = Integer.parseInt(props.getOrDefault(TASK_INDEX, "0"));
        configured = TableRule.parse(config.getString(CitusSinkConfig.TABLES));
        rules = configured;
        try {
            openConnections();
            rules = withCarried();
            applied.putAll(SinkPositions.kafka(target, sinkName()));
            appliedAtStart.putAll(applied);
            began = SinkPositions.began(target, sinkName());
            writer = new CitusWriter(target, source, sinkName(), rules, config.getInt(CitusSinkConfig.CACHE_SIZE), metrics,
                    Integer.parseInt(props.getOrDefault(TASK_COUNT, "1")) > 1, taskIndex, config.getBoolean(CitusSinkConfig.PARENTS_FROM_SOURCE));
            writer.rulesVersion(rulesVersion);
            if (context != null && context.pluginMetrics() != null) metrics.register(context.pluginMetrics(), rules.keySet());
            Class<?> carries = config.getClass(CitusSinkConfig.SCHEMA_CHANGES_CARRIER);
            if (carries != null) {
                carrier = (SchemaChangeCarrier) carries.getDeclaredConstructor().newInstance();
                carrier.configure(config.originalsStrings());
            }
        } catch (SQLException e) {
            throw new ConnectException("cannot start the Citus sink: " + e.getMessage(), e);
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new ConnectException("cannot start the Citus sink: " + CitusSinkConfig.SCHEMA_CHANGES_CARRIER + " names no schema change carrier: "
                    + e, e);
        }
    }

    /**
     * The config's rules with what schema changes carried on Connect made of them since (a table
     * created, dropped, left out), kept on the target where every task finds them; only those whose
     * target table exists.
     */
    private Map<String, TableRule> withCarried() throws SQLException {
        // the version first: a rule saved while they are read makes the next check read them again
        SinkPositions.create(target);
        rulesVersion = SinkPositions.tableRulesVersion(target, sinkName());
        if (writer != null) writer.rulesVersion(rulesVersion);
        Map<String, TableRule> out = new java.util.LinkedHashMap<>(configured);
        notWritten.clear();
        renamedAway.clear();
        SinkPositions.tableRules(target, sinkName()).forEach((table, json) -> {
            if (json == null) {
                out.remove(table);
                notWritten.add(table);
            } else if (json.equals(SinkPositions.RENAMED_AWAY)) {
                out.remove(table);
                renamedAway.add(table);
            } else {
                out.put(table, TableRule.parseOne(json));
            }
        });
        rulesRead = System.currentTimeMillis();
        return onTarget(out);
    }

    /**
     * The rules whose target table exists: one dropped while streaming (on Connect, its rule is
     * still in the deploy's config) gets no more rows; a row for it would stop the task, naming it.
     */
    private Map<String, TableRule> onTarget(Map<String, TableRule> all) throws SQLException {
        java.util.Set<String> present = new java.util.HashSet<>();
        try (java.sql.PreparedStatement ps = target.prepareStatement("SELECT t FROM unnest(?::text[]) t WHERE pg_catalog.to_regclass(t) IS NOT NULL")) {
            ps.setArray(1, target.createArrayOf("text", all.values().stream().map(TableRule::target).toArray()));
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                while (rs.next()) present.add(rs.getString(1));
            }
        }
        if (!target.getAutoCommit()) target.commit();
        Map<String, TableRule> out = new java.util.LinkedHashMap<>();
        for (TableRule r : all.values()) {
            if (present.contains(r.target())) out.put(r.source(), r);
            else LOG.warn("citus sink {}: the target has no table {} (dropped while streaming?): a row of {} stops the task", sinkName(),
                    r.target(), r.source());
        }
        return out;
    }

    private void openConnections() throws SQLException {
        target = connect(config.getString(CitusSinkConfig.CONNECTION_URL), config.getString(CitusSinkConfig.CONNECTION_USER),
                config.getPassword(CitusSinkConfig.CONNECTION_PASSWORD), "target");
        keepWorkerConnections(target, config.getInt(CitusSinkConfig.CACHED_WORKER_CONNECTIONS));
        if (config.getString(CitusSinkConfig.SOURCE_URL) != null) {
            source = connect(config.getString(CitusSinkConfig.SOURCE_URL), config.getString(CitusSinkConfig.SOURCE_USER),
                    config.getPassword(CitusSinkConfig.SOURCE_PASSWORD), "source");
            source.setReadOnly(true);
        }
    }

    /**
     * After a lost connection: new ones, and the writer on them with its buffered rows (the
     * batch rolled back with the old connection, or committed just before it was lost: the
     * positions read again from the target say which, and a replay of what is there is skipped).
     */
    private void reconnect() throws SQLException {
        closeConnections();
        target = null;
        source = null;
        openConnections();
        applied.putAll(SinkPositions.kafka(target, sinkName()));
        rules = onTarget(rules); // another task may have carried a table's drop
        writer = writer.reopen(target, source, rules);
        writer.dropWritten(applied);
        connectionLost = false;
    }

    /**
     * The session keeps {@code n} connections to each worker after a transaction instead of
     * Citus's one: each batch's multi-shard statements (tenant moves repartitioned between the
     * workers, deletes by key alone) otherwise open new ones every batch. Measured on Citus 13.2.2,
     * a 15,000-row move 210-240 ms with one kept, 145-175 ms with more. Session-wide, set before
     * the writer turns autocommit off; nothing on a target without Citus.
     */
    private static void keepWorkerConnections(Connection c, int n) throws SQLException {
        if (n == 0) return;
        try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.set_config('citus.max_cached_conns_per_worker', ?, false)"
                + " WHERE pg_catalog.current_setting('citus.max_cached_conns_per_worker', true) IS NOT NULL")) {
            ps.setString(1, Integer.toString(n));
            ps.execute();
        }
    }

    /** How Citus words a worker it cannot reach, in an internal error (XX000). */
    private static final List<String> CITUS_CONNECTION_ERRORS = List.of("failure on connection marked as essential",
            "connection to the remote node", "could not establish", "terminating connection", "server closed the connection",
            "connection not open", "could not connect", "lost connection",
            // a worker restarted while a multi-shard statement moves intermediate results (seen on 13.2.2 at 200 transactions/s)
            "to fetch intermediate results");

    /**
     * A failure a new connection and a retry get past: the connection lost (a node restarted or
     * shut down, the network), a server starting or out of connections, or Citus unable to reach
     * a worker from the coordinator. Anything else is the data's or the schema's, and stops.
     */
    public static boolean transientFailure(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.io.IOException) return true;
            if (!(t instanceof SQLException q)) continue;
            String state = q.getSQLState() == null ? "" : q.getSQLState();
            String msg = q.getMessage() == null ? "" : q.getMessage();
            if (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03") || state.equals("53300")) return true;
            // Citus reports a worker it cannot reach as an internal error (seen on 13.2.2 with a worker restarted:
            // "failure on connection marked as essential: 127.0.0.1:PORT")
            if (state.equals("XX000") && CITUS_CONNECTION_ERRORS.stream().anyMatch(msg::contains)) return true;
        }
        return false;
    }

    /**
     * A transaction PostgreSQL or Citus rolled back for another session's sake: a deadlock (Citus
     * cancels the youngest transaction of a distributed one, SQLSTATE 40P01 as well) or a
     * serialization failure. Done again, it goes through.
     */
    public static boolean rolledBackByConflict(SQLException e) {
        return "40P01".equals(e.getSQLState()) || "40001".equals(e.getSQLState());
    }

    private static Connection connect(String url, String user, org.apache.kafka.common.config.types.Password pw, String role) throws SQLException {
        try {
            java.util.Properties p = new java.util.Properties();
            if (user != null) p.setProperty("user", user);
            if (pw != null && pw.value() != null) p.setProperty("password", pw.value());
            p.setProperty("reWriteBatchedInserts", "true"); // batched upserts travel as multi-row INSERTs
            p.setProperty("ApplicationName", "citus-sink");
            return DriverManager.getConnection(url, p);
        } catch (SQLException e) {
            throw new SQLException("cannot connect to the " + role + " database " + url + ": " + e.getMessage(), e.getSQLState(), e);
        }
    }

    /** The task's target session (tests read its settings). */
    Connection targetSession() {
        return target;
    }

    String sinkName() {
        return config.getString(CitusSinkConfig.SINK_NAME);
    }

    /** The last Kafka offset on the target per topic partition, as read at start. */
    public Map<TopicPartition, Long> appliedAtStart() {
        return Map.copyOf(appliedAtStart);
    }

    /** Debezium's offset of the last change on the target, kept by the embedded run (see SinkPositions). */
    public java.util.Optional<SinkPositions.SourceOffset> keptSourceOffset() {
        try {
            return SinkPositions.source(target, sinkName());
        } catch (SQLException e) {
            throw new ConnectException("cannot read the sink's positions on the target: " + e.getMessage(), e);
        }
    }

    public SinkMetrics metrics() {
        return metrics;
    }

    @Override
    public void open(Collection<TopicPartition> partitions) {
        openedAt = System.currentTimeMillis();
        // a partition this task paused before it was taken from it: Connect pauses again what a task asked it to pause
        List<TopicPartition> pausedBefore = partitions.stream().filter(pausedOnce::remove).toList();
        if (!pausedBefore.isEmpty() && context != null) context.resume(pausedBefore.toArray(new TopicPartition[0]));
        // resume right after what the target holds now: another task may have written these partitions since this one started
        try {
            Map<TopicPartition, Long> now = SinkPositions.kafka(target, sinkName());
            for (TopicPartition tp : partitions) {
                Long a = now.get(tp);
                if (a != null) applied.merge(tp, a, Math::max);
                if (a != null && context != null) context.offset(tp, a + 1);
            }
        } catch (SQLException e) {
            throw new ConnectException("cannot read the sink's positions on the target: " + e.getMessage(), e);
        }
    }

    @Override
    public void close(Collection<TopicPartition> partitions) {
        // partitions given to another task: their buffered rows are that task's to write now, from the target's positions
        if (writer != null) writer.drop(partitions);
        for (TopicPartition tp : partitions) if (waiting.remove(tp) != null) pausedOnce.add(tp);
        // and they are not drained until their next holder says so: a cutover waiting for them must not count an earlier mark
        try {
            if (target != null && context != null) SinkPositions.notIdle(target, sinkName(), partitions);
        } catch (SQLException e) {
            LOG.warn("citus sink {}: the partitions given up could not be marked as not drained: {}", sinkName(), e.getMessage());
        }
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        java.util.Set<TopicPartition> pausedNow = waiting.isEmpty() ? java.util.Set.of() : new java.util.HashSet<>();
        if (!waiting.isEmpty() && System.currentTimeMillis() - lastResume >= 1000) {
            context.resume(waiting.keySet().toArray(new TopicPartition[0]));
            lastResume = System.currentTimeMillis();
        }
        for (SinkRecord r : records) {
            if (!pausedNow.isEmpty() && pausedNow.contains(new TopicPartition(ChangeEvent.topicOf(r), ChangeEvent.partitionOf(r)))) continue;
            if (began > 0 && earlier(r)) continue;
            // one field lookup per row change: only a message record is asked what it holds
            if (SchemaChangeMessage.isMessage(r.value())) {
                PartitionTruncate t = PartitionTruncate.of(r.value());
                SchemaChangeMessage ddl = t == null ? SchemaChangeMessage.of(r.value()) : null;
                if (t != null) truncatePartition(r, t);
                else if (ddl != null && !schemaChange(r, ddl)) {
                    pausedNow = withPaused(pausedNow, new TopicPartition(ChangeEvent.topicOf(r), ChangeEvent.partitionOf(r)));
                }
                // a message not of ours (routed here by a transform of the user's): read past, nothing to write
                else writer.passed(new TopicPartition(ChangeEvent.topicOf(r), ChangeEvent.partitionOf(r)), ChangeEvent.offsetOf(r));
                continue;
            }
            ChangeEvent e;
            try {
                e = ChangeEvent.of(r, rules);
            } catch (ChangeEvent.UnknownTable u) {
                Known k = knownSince(u.table);
                TopicPartition tp = new TopicPartition(ChangeEvent.topicOf(r), ChangeEvent.partitionOf(r));
                if (k == Known.NOT_WRITTEN) {
                    // a table created and left out by the command file's rules, or dropped since: passed over
                    writer.passed(tp, ChangeEvent.offsetOf(r));
                    continue;
                }
                if (k == Known.MISSING) throw u;
                if (k == Known.NOT_YET) {
                    awaitSchemaChange(tp, r, u.table, u);
                    pausedNow = withPaused(pausedNow, tp);
                    continue;
                }
                e = ChangeEvent.of(r, rules);
            }
            if (e == null) continue;
            if (!waiting.isEmpty()) waiting.remove(new TopicPartition(e.topic(), e.partition()));
            Long a = applied.get(new TopicPartition(e.topic(), e.partition()));
            if (a != null && e.offset() <= a) {
                metrics.skippedReplays.incrementAndGet();
                continue;
            }
            if (e.record().timestamp() != null) metrics.lagMs.set(System.currentTimeMillis() - e.record().timestamp());
            writer.add(e);
            if (writer.size() >= config.getInt(CitusSinkConfig.BATCH_SIZE)) flush();
        }
        // big batches under load, bounded latency when the stream is quiet
        if (records.isEmpty() || System.currentTimeMillis() - lastFlush >= config.getLong(CitusSinkConfig.FLUSH_INTERVAL)) flush();
        // On a Connect worker an empty put means the task's partitions were drained, and the flush
        // above wrote all it had: the cutover of a Connect deployment waits for that moment.
        // (from two seconds after its partitions were given to it: the first fetches may still be under way before that)
        if (records.isEmpty() && context != null && writer.size() == 0 && System.currentTimeMillis() - openedAt >= 2000) idle();
        logMetrics();
    }

    /** The partitions this put paused, with {@code tp} (a set of their own from the first: most puts pause none). */
    private static java.util.Set<TopicPartition> withPaused(java.util.Set<TopicPartition> paused, TopicPartition tp) {
        java.util.Set<TopicPartition> out = paused.isEmpty() ? new java.util.HashSet<>() : paused;
        out.add(tp);
        return out;
    }

    /**
     * A change an earlier deployment left in the topics (its WAL position is below the one this
     * migration began at): read past, never written. Its snapshot would bring back rows deleted since.
     */
    private boolean earlier(SinkRecord r) {
        long lsn = ChangeEvent.lsnOf(r);
        if (lsn < 0 || lsn >= began) return false;
        writer.passed(new TopicPartition(ChangeEvent.topicOf(r), ChangeEvent.partitionOf(r)), ChangeEvent.offsetOf(r));
        if (earlierPassed++ == 0) {
            LOG.info("citus sink {}: passing over the changes an earlier deployment left in the topics (below the source's WAL position {},"
                    + " where this migration began)", sinkName(), began);
        }
        return true;
    }

    /** The batch written; written again by the rules as they are now when another task changed them meanwhile. */
    private List<CitusWriter.Unresolved> flushByRulesNow() throws SQLException {
        while (true) {
            try {
                // an attempt that will be retried if rows cannot be placed stops at the first such table
                return writer.flush(attempts < config.getInt(CitusSinkConfig.RETRIES));
            } catch (CitusWriter.RulesChanged e) {
                LOG.info("citus sink {}: the table rules changed on the target (a schema change another task carried); the batch is written"
                        + " again by them", sinkName());
                rules = withCarried();
                writer = writer.reopen(target, source, rules);
            }
        }
    }

    private void flush() {
        try {
            // on a worker, rows waiting for their tenant stay buffered until the backoff has passed
            if (context != null && attempts > 0 && System.currentTimeMillis() < nextAttempt) return;
            if (connectionLost) reconnect();
            List<CitusWriter.Unresolved> unresolved = flushByRulesNow();
            if (!writer.parentsFromSource()) {
                // rows wait for parents that have not arrived; a NULL on the way to a tenant no wait places: set aside now
                List<CitusWriter.Unresolved> noPath = unresolved.stream().filter(CitusWriter.Unresolved::noPath).toList();
                if (!noPath.isEmpty()) {
                    report(noPath);
                    writer.discard(noPath);
                    unresolved = flushByRulesNow();
                }
            }
            if (!unresolved.isEmpty()) {
                if (++attempts <= config.getInt(CitusSinkConfig.RETRIES)) {
                    long backoff = config.getLong(CitusSinkConfig.RETRY_BACKOFF);
                    String why = unresolved.size() + " rows cannot be placed yet (attempt " + attempts + " of "
                            + (config.getInt(CitusSinkConfig.RETRIES) + 1) + "): " + unresolved.get(0).reason();
                    // the embedded run retries the batch itself
                    if (context == null) throw new RetriableException(why);
                    // On a worker, a RetriableException from put is logged as an error with its stack trace
                    // each time: one line instead, and the batch (not committed) is written again after the backoff.
                    LOG.info("citus sink {}: {}; the batch is written again in {} ms", sinkName(), why, backoff);
                    nextAttempt = System.currentTimeMillis() + backoff;
                    context.timeout(backoff);
                    return;
                }
                report(unresolved);
                writer.discard(unresolved);
                unresolved = flushByRulesNow();
                if (!unresolved.isEmpty()) throw new ConnectException("rows still cannot be placed: " + unresolved.get(0).reason());
            }
            attempts = 0;
            lastFlush = System.currentTimeMillis();
            writer.positionsWritten().forEach((tp, next) -> applied.merge(tp, next - 1, Math::max));
        } catch (SQLException e) {
            if (transientFailure(e)) {
                LOG.info("citus sink {}: a connection was lost ({}); the batch rolled back and is written again on new connections",
                        sinkName(), e.getMessage() == null ? e : e.getMessage().lines().findFirst().orElse(""));
                if (context != null) context.timeout(config.getLong(CitusSinkConfig.RETRY_BACKOFF));
            }
            if (rolledBackByConflict(e)) {
                // two tasks moving tenants at once: PostgreSQL ended this batch's transaction; it is written again
                LOG.info("citus sink {}: a batch met another task's tenant move (deadlock, rolled back); writing it again", sinkName());
                if (context != null) context.timeout(config.getLong(CitusSinkConfig.RETRY_BACKOFF));
                throw new RetriableException("a batch met another task's tenant move: " + e.getMessage(), e);
            }
            throw failed(e, "writing to Citus failed");
        }
    }

    /**
     * A failure of the target or the source: a lost connection is a {@link TargetUnreachable}
     * (the next write opens new connections first); anything else stops the task.
     */
    private ConnectException failed(SQLException e, String what) {
        if (!transientFailure(e)) return new ConnectException(what + ": " + e.getMessage(), e);
        connectionLost = true;
        return new TargetUnreachable(e);
    }

    /**
     * Empties one partition on the target where the embedded run met its TRUNCATE (see
     * {@link CitusWriter#truncatePartition}); call it with nothing buffered. A lost connection
     * is a {@link TargetUnreachable}, as for a batch.
     */
    public void truncatePartition(String sourcePartition, String targetPartition, SinkPositions.SourceOffset offset) {
        try {
            if (connectionLost) reconnect();
            writer.truncatePartition(sourcePartition, targetPartition, offset);
        } catch (SQLException e) {
            throw failed(e, "writing to Citus failed");
        }
    }

    /**
     * A partition's TRUNCATE met in its root's topic (on Connect): what came before it is written
     * first, then the partition is emptied on the target with this record's position.
     */
    private void truncatePartition(SinkRecord r, PartitionTruncate t) {
        TableRule root = t.root() == null ? null : rules.get(t.root());
        if (root == null) throw new ConnectException("the source truncated its partition " + t.partition() + " of " + t.root()
                + ", a table this sink has no rule for (citus.tables): nothing after it was written");
        String topic = ChangeEvent.topicOf(r);
        int partition = ChangeEvent.partitionOf(r);
        long offset = ChangeEvent.offsetOf(r);
        TopicPartition tp = new TopicPartition(topic, partition);
        if (!writtenBefore(tp, offset, "the TRUNCATE of partition " + t.partition())) return;
        try {
            if (connectionLost) reconnect();
            writer.truncatePartition(t, new ChangeEvent(root, 'm', null, null, List.of(), -1, null, topic, partition, offset, r));
        } catch (SQLException e) {
            throw failed(e, "writing to Citus failed");
        }
        applied.merge(tp, offset, Math::max);
    }

    /** What a task knows of a table it has no rule for, once it has read the rules kept on the target again. */
    private enum Known { WRITTEN, NOT_WRITTEN, NOT_YET, MISSING }

    /**
     * A row of a table this task has no rule for: the rules schema changes carried since (by any
     * task) read again (at most once a second). WRITTEN when it has one now; NOT_WRITTEN when its
     * rows are not written (a table created and left out, or dropped); NOT_YET for a table not heard
     * of or renamed away (on Connect, a table renamed whose change another partition holds); MISSING
     * for one of the deploy's whose target table does not exist (made by no one: the task stops).
     */
    private Known knownSince(String table) {
        try {
            if (System.currentTimeMillis() - rulesRead >= 1000) {
                rules = withCarried();
                if (rules.containsKey(table)) {
                    writer = writer.reopen(target, source, rules);
                    return Known.WRITTEN;
                }
            }
        } catch (SQLException e) {
            throw failed(e, "reading the sink's table rules on the target failed");
        }
        if (notWritten.contains(table)) return Known.NOT_WRITTEN;
        if (configured.containsKey(table) && !renamedAway.contains(table)) return Known.MISSING;
        return Known.NOT_YET;
    }

    /**
     * A row, or a schema change, of a table not heard of under its name: on Connect its partition
     * is read again from this record each second (paused meanwhile, so that the other partitions go
     * on), until a task has carried the change that names it (a rename, in another partition);
     * after {@link #UNKNOWN_TABLE_WAIT_MS} the task stops with {@code failure}.
     */
    private void awaitSchemaChange(TopicPartition tp, SinkRecord r, String table, RuntimeException failure) {
        if (context == null) throw failure;
        boolean began = readAgainLater(tp, r, new org.apache.kafka.connect.errors.DataException(failure.getMessage()
                + "; no schema change naming it came in " + UNKNOWN_TABLE_WAIT_MS / 1000 + " s"));
        if (began) {
            LOG.info("citus sink {}: changes of {} ({}) wait until the schema change that names it (a table renamed) is carried; read again each second",
                    sinkName(), table, tp);
        }
    }

    /**
     * A partition rewound to this record and paused: read again from it a second later (see
     * {@link #put}), while the other partitions go on; after {@link #UNKNOWN_TABLE_WAIT_MS} of it
     * the task stops with {@code failure}. True when it begins waiting now.
     */
    private boolean readAgainLater(TopicPartition tp, SinkRecord r, RuntimeException failure) {
        Long since = waiting.putIfAbsent(tp, System.currentTimeMillis());
        if (since != null && System.currentTimeMillis() - since > UNKNOWN_TABLE_WAIT_MS) throw failure;
        context.offset(tp, ChangeEvent.offsetOf(r));
        context.pause(tp);
        return since == null;
    }

    /**
     * Before a record that acts on its own (a TRUNCATE, a schema change): false for a replay of one
     * the target has; else what came before it is written first (the batch is retried until it is).
     */
    private boolean writtenBefore(TopicPartition tp, long offset, String what) {
        Long a = applied.get(tp);
        if (a != null && offset <= a) {
            metrics.skippedReplays.incrementAndGet();
            return false;
        }
        flush();
        if (writer.size() != 0) throw new RetriableException(what + " waits until the changes before it are written");
        return true;
    }

    /**
     * A schema change met in its table's topic or the message topic (on Connect): what came before
     * it is written first, then the carrier carries it to the target, and the sink goes on with the
     * target's tables as they are then (and the rules they are written by now), with this record's
     * position kept on the target (a replay after a restart passes it over). A change that cannot be
     * carried stops the task, naming it: nothing after it is written. False when its partition
     * waits for the rule of the table it names, as that table's rows would.
     */
    private boolean schemaChange(SinkRecord r, SchemaChangeMessage ddl) {
        TopicPartition tp = new TopicPartition(ChangeEvent.topicOf(r), ChangeEvent.partitionOf(r));
        long offset = ChangeEvent.offsetOf(r);
        if (!writtenBefore(tp, offset, "a schema change")) return true;
        if (carrier == null) {
            throw new ConnectException("the source's schema changed (" + ddl.content() + "), and this sink carries no schema changes ("
                    + CitusSinkConfig.SCHEMA_CHANGES_CARRIER + " is unset): nothing after it was written");
        }
        try {
            if (connectionLost) reconnect();
            SchemaChangeCarrier.Carried done = carrier.carry(ddl.content(), ChangeEvent.lsnOf(r));
            if (!done.said().isEmpty()) LOG.info("citus sink {}: {}", sinkName(), done.said());
            // another task may have carried a table's drop
            rules = done.rulesChanged() ? withCarried() : onTarget(rules);
            writer = writer.reopen(target, source, rules);
            writer.passedSchemaChange(new ChangeEvent(null, 'm', null, null, List.of(), -1, null, tp.topic(), tp.partition(), offset, r));
            waiting.remove(tp);
        } catch (SchemaChangeCarrier.NotYet w) {
            awaitSchemaChange(tp, r, ddl.table(), w);
            return false;
        } catch (SQLException e) {
            if (rolledBackByConflict(e) && context != null) {
                // the carry is all of it or none and compares with the target as it is: carried again from the start, a
                // second later, while the other partitions go on
                LOG.info("citus sink {}: carrying a schema change met another session's statements on the same tables ({}, rolled back);"
                        + " {} is read again and the change carried again in a second", sinkName(), String.valueOf(e.getMessage()).lines().findFirst().orElse(""), tp);
                readAgainLater(tp, r, new ConnectException("carrying a schema change to the target failed again and again for "
                        + UNKNOWN_TABLE_WAIT_MS / 1000 + " s: " + e.getMessage(), e));
                return false;
            }
            throw failed(e, "carrying a schema change to the target failed");
        }
        applied.merge(tp, offset, Math::max);
        return true;
    }

    /**
     * A schema change was carried to the target (the embedded run, with nothing buffered): the
     * tables' columns are read again.
     */
    public void schemaChanged() {
        try {
            if (connectionLost) reconnect();
            writer = writer.reopen(target, source);
        } catch (SQLException e) {
            throw failed(e, "reading the target's tables again failed");
        }
    }

    private void idle() {
        try {
            // a partition waiting for a table's schema change holds rows not written
            java.util.Set<TopicPartition> drained = new java.util.HashSet<>(context.assignment());
            drained.removeAll(waiting.keySet());
            SinkPositions.idle(target, sinkName(), taskIndex, drained);
        } catch (SQLException e) {
            throw new ConnectException("writing to Citus failed: " + e.getMessage(), e);
        }
    }

    /** Rows that cannot be placed go to errors.tolerance and the dead-letter queue, never silently away. */
    private void report(List<CitusWriter.Unresolved> rows) {
        if (context == null && config.getString(CitusSinkConfig.REJECT_DIRECTORY) != null) {
            if (rejects == null) rejects = new RejectFiles(java.nio.file.Path.of(config.getString(CitusSinkConfig.REJECT_DIRECTORY)));
            // a live migration's: the snapshot's rows (op r) only; a change streamed after it stops the task below
            List<CitusWriter.Unresolved> rejected = config.getBoolean(CitusSinkConfig.REJECT_SNAPSHOT_ONLY)
                    ? rows.stream().filter(u -> u.event().op() == 'r').toList() : rows;
            if (!rejected.isEmpty()) {
                try {
                    rejects.write(rejected);
                } catch (java.io.IOException e) {
                    throw new ConnectException("cannot write the reject file for " + rejected.size() + " rows that cannot be placed on a tenant ("
                            + rejected.get(0).reason() + "): " + e.getMessage(), e);
                }
                LOG.info("citus sink {}: {} rows that cannot be placed on a tenant written to the reject files", sinkName(), rejected.size());
            }
            if (rejected.size() == rows.size()) return;
            rows = rows.stream().filter(u -> !rejected.contains(u)).toList();
        }
        ErrantRecordReporter reporter = context == null ? null : context.errantRecordReporter();
        if (reporter == null) {
            throw new ConnectException(rows.size() + " rows cannot be placed on a tenant after " + attempts + " attempts: "
                    + rows.get(0).reason() + (context == null ? " (fix the row on the source, then resume)"
                    : " (configure errors.tolerance and a dead-letter queue to set them aside)"));
        }
        for (CitusWriter.Unresolved u : rows) {
            LOG.warn("sending to the dead-letter queue: {}", u.reason());
            reporter.report(u.event().record(), new ConnectException(u.reason()));
        }
    }

    @Override
    public Map<TopicPartition, OffsetAndMetadata> preCommit(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        try {
            flush();
        } catch (RetriableException e) {
            // the embedded run writes each batch through here and retries it itself
            if (context == null) throw e;
            // On a worker, a commit that throws is logged as "Commit of offsets threw an unexpected
            // exception ... null": say it once, plainly, and commit what is on the target; the rows
            // stay buffered and the next put writes them.
            LOG.info("citus sink {}: not committing the rows still buffered, retried with the next batch: {}", sinkName(), e.getMessage());
        }
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (Map.Entry<TopicPartition, Long> e : writer.positionsWritten().entrySet()) {
            if (currentOffsets.containsKey(e.getKey())) out.put(e.getKey(), new OffsetAndMetadata(e.getValue()));
        }
        return out;
    }

    private void logMetrics() {
        long now = System.currentTimeMillis();
        if (now - lastLog >= config.getLong(CitusSinkConfig.METRICS_INTERVAL)) {
            lastLog = now;
            LOG.info("citus sink {}: {}", sinkName(), metrics);
        }
    }

    @Override
    public void stop() {
        metrics.unregister();
        closeConnections();
    }

    private void closeConnections() {
        for (Connection c : new Connection[] {target, source}) {
            if (c == null) continue;
            try {
                c.close();
            } catch (SQLException ignored) {
                // stopping
            }
        }
    }
}
