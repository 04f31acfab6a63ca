package io.citusmigrate.sink;

import io.citusmigrate.crash.CrashPoints;
import org.apache.kafka.common.TopicPartition;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes buffered change events in one target transaction together with the positions they came
 * from: exactly-once effect. Per table, parents before children: where each row goes
 * ({@link TenantPlacement}), values made whole ({@link TypeRepair}), then deletes (and rows that
 * move tenant), inserts by COPY and updates by batched upserts ({@link RowWrites}), and subtrees
 * that move tenant ({@link TenantMoves}).
 */
public final class CitusWriter {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CitusWriter.class);
    /** A row whose tenant key cannot be found (yet). */
    /**
     * A row that cannot be placed yet: its change and why; {@code noPath} when no wait can place it
     * (a NULL on its path to a tenant), as opposed to a parent that has not arrived.
     */
    public record Unresolved(ChangeEvent event, String reason, boolean noPath) {
        public Unresolved(ChangeEvent event, String reason) {
            this(event, reason, false);
        }
    }

    private final Connection target;
    private final String sinkName;
    private final Map<String, TableRule> rules;
    private final Map<String, TargetTable> tables = new HashMap<>();
    private final RowBuffer buffer;
    private final TenantPlacement placement;
    private final TypeRepair repair;
    private final RowWrites writes;
    private final TenantMoves moves;
    private final KeylessWrites keyless;
    private final SinkMetrics metrics;
    private final CommitCounts counts = new CommitCounts();
    private final Map<TopicPartition, Long> written = new HashMap<>();
    /** With more than one task: the lock and move epoch they share (null with one). */
    private final TaskCoordination coordination;
    private final int taskIndex;
    /**
     * The version of the table rules kept on the target that this writer's rules are (see
     * {@link SinkPositions#tableRulesVersion}); null: not checked.
     */
    private String rulesVersion;

    private final int cacheSize;
    /** Row schemas whose columns the target has (see TargetTable.refuseUnknownColumns). */
    private final java.util.Set<org.apache.kafka.connect.data.Schema> checkedSchemas =
            java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());

    /** Whether a row whose parent is not on the target yet takes its tenant key from the source (else it waits for its parent). */
    private final boolean parentsFromSource;

    public boolean parentsFromSource() {
        return parentsFromSource;
    }

    public CitusWriter(Connection target, Connection source, String sinkName, Map<String, TableRule> rules, int cacheSize, SinkMetrics metrics,
                       boolean sharedWithOtherTasks, int taskIndex, boolean parentsFromSource) throws SQLException {
        this(target, source, sinkName, rules, cacheSize, metrics, sharedWithOtherTasks, taskIndex, new RowBuffer(rules.values()), parentsFromSource);
    }

    private CitusWriter(Connection target, Connection source, String sinkName, Map<String, TableRule> rules, int cacheSize, SinkMetrics metrics,
                        boolean sharedWithOtherTasks, int taskIndex, RowBuffer buffer, boolean parentsFromSource) throws SQLException {
        this.parentsFromSource = parentsFromSource;
        this.cacheSize = cacheSize;
        this.taskIndex = taskIndex;
        this.target = target;
        this.sinkName = sinkName;
        this.rules = rules;
        this.metrics = metrics;
        target.setAutoCommit(false);
        for (TableRule r : rules.values()) tables.put(r.source(), TargetTable.read(target, r));
        target.commit();
        this.buffer = buffer;
        this.placement = new TenantPlacement(target, parentsFromSource ? source : null, rules, tables, cacheSize, metrics);
        this.repair = new TypeRepair(target, source, metrics);
        this.writes = new RowWrites(target);
        this.moves = new TenantMoves(target, rules, tables, writes, placement, metrics, counts);
        this.keyless = new KeylessWrites(target, writes);
        this.coordination = sharedWithOtherTasks ? new TaskCoordination(target, sinkName) : null;
    }

    /**
     * The same writer on new connections, the old ones lost (a node restarted): what is buffered
     * stays, to be written again; what was cached of the target goes with the rolled-back batch.
     */
    public CitusWriter reopen(Connection target, Connection source) throws SQLException {
        return reopen(target, source, rules);
    }

    /** The same, writing by other table rules from now on (a schema change carried that changed them). */
    public CitusWriter reopen(Connection target, Connection source, Map<String, TableRule> rules) throws SQLException {
        CitusWriter w = new CitusWriter(target, source, sinkName, rules, cacheSize, metrics, coordination != null, taskIndex, buffer, parentsFromSource);
        w.written.putAll(written);
        w.rulesVersion = rulesVersion;
        return w;
    }

    public int size() {
        return buffer.size();
    }

    /** The version of the rules kept on the target that this writer writes by. */
    void rulesVersion(String version) {
        rulesVersion = version;
    }

    /**
     * The table rules another task carried a schema change into (a table created that takes its
     * tenant key through a table this batch moves) are not this writer's: the batch is rolled back,
     * to be written again by the rules as they are now.
     */
    static final class RulesChanged extends RuntimeException {
        RulesChanged() {
            super("the sink's table rules changed on the target", null, false, false);
        }
    }

    public void add(ChangeEvent e) {
        buffer.add(e);
    }

    /**
     * Writes everything buffered and the positions in one transaction. Rows that cannot be
     * placed are returned (and not written); the caller retries or reports them.
     */
    public List<Unresolved> flush() throws SQLException {
        return flush(false);
    }

    /**
     * The same; with {@code firstUnplaced}, the writes stop at the first table with rows that
     * cannot be placed (the batch is rolled back and tried again later anyway): the tables after it
     * are not written in vain, and the lock the tasks share is held that much shorter. The rows
     * returned are then only that table's.
     */
    public List<Unresolved> flush(boolean firstUnplaced) throws SQLException {
        if (buffer.size() == 0) return List.of();
        List<Unresolved> unresolved = new ArrayList<>();
        try {
            if (coordination != null && coordination.begin()) placement.forgetAll();
            truncate();
            for (TableRule r : rules.values()) {
                Map<List<Object>, PendingRow> rows = buffer.rows(r.source());
                if (!rows.isEmpty()) write(tables.get(r.source()), rows, unresolved);
                if (firstUnplaced && !unresolved.isEmpty()) break;
            }
            if (!unresolved.isEmpty()) {
                target.rollback();
                rolledBack();
                return unresolved;
            }
            long tc = System.nanoTime();
            SinkPositions.saveKafka(target, sinkName, buffer.positions(), taskIndex);
            if (buffer.sourceOffset() != null) SinkPositions.saveSource(target, sinkName, buffer.sourceOffset());
            if (buffer.rejected() > 0) SinkPositions.addRejected(target, sinkName, buffer.rejected());
            CrashPoints.reach("sink.before-commit");
            target.commit();
            counts.committed();
            placement.batchEnded();
            if (!buffer.truncated().isEmpty()) LOG.info("TRUNCATE of {} carried to the target", String.join(", ", buffer.truncated()));
            metrics.commitNanos.addAndGet(System.nanoTime() - tc);
        } catch (SQLException | RuntimeException e) {
            try {
                target.rollback();
            } catch (SQLException ignored) {
                // the original error is the one to report
            }
            rolledBack();
            throw e;
        }
        metrics.batches.incrementAndGet();
        metrics.batchRows.addAndGet(buffer.size());
        buffer.positions().forEach((tp, e) -> written.put(tp, e.offset() + 1));
        buffer.clear();
        return List.of();
    }

    /**
     * The TRUNCATEs since the last flush, in one statement before the rows that came after them
     * (the rows that came before are gone from the buffer). CASCADE: the target's foreign keys
     * are the source's, whose TRUNCATE had to name every referencing table too, so CASCADE
     * empties no table the source kept; it only spares a TRUNCATE split across two batches
     * from failing on a referencing table truncated in the next one.
     */
    private void truncate() throws SQLException {
        if (buffer.truncated().isEmpty()) return;
        long ts = System.nanoTime();
        List<String> names = new ArrayList<>();
        for (String source : buffer.truncated()) {
            TableRule r = rules.get(source);
            if (r.tenantValue() != null) truncateShare(r);
            else names.add(r.target());
        }
        if (!names.isEmpty()) {
            try (java.sql.Statement st = target.createStatement()) {
                st.execute("TRUNCATE " + String.join(", ", names) + " CASCADE");
            }
        }
        metrics.timed("truncate", ts);
        for (String source : buffer.truncated()) counts.add(metrics.truncated, source, 1);
        placement.forgetAll(); // the tenant keys it knew of these rows are gone with them
    }

    /**
     * A tenant schema's table truncated, of tables consolidated from tenant schemas: a TRUNCATE
     * on the target would empty every tenant's rows. Its tenant's rows go instead, with its
     * tenant's rows of the tables that reference it (as CASCADE would, within the tenant: the
     * source's TRUNCATE had to name them too), children first, in one statement (each foreign
     * key checked at its end).
     */
    private void truncateShare(TableRule r) throws SQLException {
        List<String> closure = new ArrayList<>();
        try (java.sql.PreparedStatement ps = target.prepareStatement("WITH RECURSIVE r(rel, depth) AS (SELECT ?::pg_catalog.regclass::pg_catalog.oid, 0"
                + " UNION SELECT c.conrelid, r.depth + 1 FROM pg_catalog.pg_constraint c JOIN r ON c.confrelid = r.rel WHERE c.contype = 'f'"
                + " AND c.conrelid <> r.rel AND r.depth < 32)"
                + " SELECT r.rel::pg_catalog.regclass::text FROM r WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = r.rel"
                + " AND a.attname = ? AND NOT a.attisdropped) GROUP BY r.rel ORDER BY max(r.depth) DESC")) {
            ps.setString(1, r.target());
            ps.setString(2, r.distributionColumn());
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                while (rs.next()) closure.add(rs.getString(1));
            }
        }
        StringBuilder sql = new StringBuilder();
        String where = " WHERE " + io.citusmigrate.sql.Sql.ident(r.distributionColumn()) + " = ?::text::" + tables.get(r.source()).type(r.distributionColumn());
        for (int i = 0; i < closure.size() - 1; i++) {
            sql.append(i == 0 ? "WITH " : ", ").append("d").append(i).append(" AS (DELETE FROM ").append(closure.get(i)).append(where).append(")");
        }
        sql.append(closure.size() > 1 ? " " : "").append("DELETE FROM ").append(closure.get(closure.size() - 1)).append(where);
        try (java.sql.PreparedStatement ps = target.prepareStatement(sql.toString())) {
            for (int i = 1; i <= closure.size(); i++) ps.setString(i, r.tenantValue());
            ps.executeUpdate();
        }
    }

    /**
     * One partition emptied on the target, with Debezium's offset of its TRUNCATE, in one
     * transaction: the live stream meets a partition's TRUNCATE as a message (PostgreSQL does not
     * publish it through the root), and writes what came before it first.
     */
    public void truncatePartition(String sourcePartition, String targetPartition, SinkPositions.SourceOffset offset) throws SQLException {
        truncatePartition(sourcePartition, targetPartition, offset, Map.of());
    }

    /**
     * One partition emptied on a Connect worker, where the TRUNCATE came as a record in its root's
     * topic: found on the target among the partitions of the root's target table by its name, and
     * emptied with the record's Kafka position in one transaction (a replay after a restart skips it).
     */
    public void truncatePartition(PartitionTruncate t, ChangeEvent position) throws SQLException {
        String found;
        try (java.sql.PreparedStatement ps = target.prepareStatement("SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)"
                + " FROM pg_catalog.pg_partition_tree(?::regclass) p JOIN pg_catalog.pg_class c ON c.oid = p.relid"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE p.level > 0 AND c.relname = ?")) {
            ps.setString(1, position.rule().target());
            ps.setString(2, t.table());
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                found = rs.next() ? rs.getString(1) : null;
            }
        }
        if (found == null) {
            target.rollback();
            throw new org.apache.kafka.connect.errors.ConnectException("the source truncated its partition " + t.partition() + ", and "
                    + position.rule().target() + " has no partition of that name on the target: nothing after it was written");
        }
        truncatePartition(t.partition(), found, null, Map.of(new TopicPartition(position.topic(), position.partition()), position));
    }

    private void truncatePartition(String sourcePartition, String targetPartition, SinkPositions.SourceOffset offset,
                                   Map<TopicPartition, ChangeEvent> kafka) throws SQLException {
        if (buffer.size() != 0) throw new IllegalStateException("rows are buffered before the TRUNCATE of " + sourcePartition);
        try {
            try (java.sql.Statement st = target.createStatement()) {
                st.execute("TRUNCATE " + targetPartition + " CASCADE");
            }
            if (offset != null) SinkPositions.saveSource(target, sinkName, offset);
            SinkPositions.saveKafka(target, sinkName, kafka, taskIndex);
            target.commit();
        } catch (SQLException | RuntimeException e) {
            try {
                target.rollback();
            } catch (SQLException ignored) {
                // the original error is the one to report
            }
            throw e;
        }
        placement.forgetAll(); // the tenant keys it knew of these rows are gone with them
        SinkMetrics.add(metrics.truncated, sourcePartition, 1);
        LOG.info("TRUNCATE of partition {} carried to the target", sourcePartition);
    }

    /**
     * A schema change carried to the target (on Connect, as a record): its Kafka position kept on
     * the target, so that a replay after a restart passes it over; call it with nothing buffered.
     */
    public void passedSchemaChange(ChangeEvent position) throws SQLException {
        if (buffer.size() != 0) throw new IllegalStateException("rows are buffered before a schema change");
        TopicPartition tp = new TopicPartition(position.topic(), position.partition());
        try {
            SinkPositions.saveKafka(target, sinkName, Map.of(tp, position), taskIndex);
            target.commit();
        } catch (SQLException | RuntimeException e) {
            target.rollback();
            throw e;
        }
        written.put(tp, position.offset() + 1);
    }

    /** A record with nothing to write (a message that is not ours): read past, so that its offset is committed. */
    public void passed(TopicPartition tp, long offset) {
        written.merge(tp, offset + 1, Math::max);
    }

    /** What the rolled-back transaction taught the caches is gone with it. */
    private void rolledBack() {
        counts.rolledBack();
        placement.forgetAll();
        if (coordination != null) coordination.rolledBack();
    }

    /** Forgets the buffered rows of partitions this task no longer holds (a rebalance). */
    public void drop(java.util.Collection<TopicPartition> partitions) {
        buffer.drop(new java.util.HashSet<>(partitions));
    }

    /** Drops buffered rows (reported elsewhere) so that the rest can be written. */
    public void discard(List<Unresolved> rows) {
        for (Unresolved u : rows) buffer.discard(u.event());
    }

    /**
     * After a reconnect, with the positions on the target: a batch whose commit reached the
     * target just before its connection was lost is not written twice.
     */
    void dropWritten(Map<TopicPartition, Long> applied) {
        Map<TopicPartition, ChangeEvent> p = buffer.positions();
        if (p.isEmpty()) return;
        for (Map.Entry<TopicPartition, ChangeEvent> e : p.entrySet()) {
            Long a = applied.get(e.getKey());
            if (a == null || e.getValue().offset() > a) return;
        }
        p.forEach((tp, e) -> written.put(tp, e.offset() + 1));
        buffer.clear();
    }

    /** The next offsets to consume of what has been written, per topic partition. */
    public Map<TopicPartition, Long> positionsWritten() {
        return written;
    }

    private void write(TargetTable t, Map<List<Object>, PendingRow> rows, List<Unresolved> unresolved) throws SQLException {
        TableRule r = t.rule();
        for (PendingRow p : rows.values()) {
            // once per row schema (Connect shares one per table version), not per row
            org.apache.kafka.connect.data.Struct img = p.last.image();
            if (img == null || checkedSchemas.contains(img.schema())) continue;
            t.refuseUnknownColumns(p.last);
            checkedSchemas.add(img.schema());
        }
        if (r.key().isEmpty()) {
            writeKeyless(t, rows, unresolved);
            return;
        }
        String tenantKey = r.distributionColumn();
        long t0 = System.nanoTime();
        Map<List<Object>, String> tenant = placement.newTenants(t, rows, unresolved);
        if (!unresolved.isEmpty()) return;
        long t1 = System.nanoTime();
        repair.rereadFromSource(t, rows);
        long t2 = System.nanoTime();
        Map<List<Object>, String> current = placement.currentTenants(t, rows);
        long t3 = System.nanoTime();
        repair.fillUnavailable(t, rows, current, tenant);
        long t4 = System.nanoTime();
        metrics.placeNanos.addAndGet((t1 - t0) + (t3 - t2));
        metrics.repairNanos.addAndGet((t2 - t1) + (t4 - t3));

        List<List<Object>> deletes = new ArrayList<>();
        List<List<Object>> anywhere = new ArrayList<>();
        List<List<Object>> moving = new ArrayList<>();
        List<PendingRow> inserts = new ArrayList<>();
        List<PendingRow> upserts = new ArrayList<>();
        // upserted without knowing where they live: copies under another tenant key are deleted after
        java.util.Set<List<Object>> unplaced = new java.util.HashSet<>();
        for (Map.Entry<List<Object>, PendingRow> e : rows.entrySet()) {
            PendingRow p = e.getValue();
            String now = current.get(e.getKey());
            if (tenantKey != null && now == null && TenantPlacement.placedByUpsert(t, p)) unplaced.add(e.getKey());
            if (p.last.after() == null) {
                if (tenantKey == null || now != null) deletes.add(e.getKey());
                else if (TenantPlacement.deletedByKeyAlone(r, p)) anywhere.add(e.getKey());
                continue;
            }
            String next = tenant.get(e.getKey());
            if (tenantKey != null && now != null && !now.equals(next)) {
                if (r.hasChildren()) {
                    moving.add(e.getKey()); // its descendants move with it, below
                    continue;
                }
                deletes.add(e.getKey()); // Citus cannot change the distribution column in place
                inserts.add(p);
            } else if (p.insertOnly) {
                inserts.add(p);
            } else {
                upserts.add(p);
            }
        }
        long t5 = System.nanoTime();
        long ts = t5;
        if (!deletes.isEmpty()) {
            writes.delete(t, rows, deletes, current);
            metrics.timed("delete", ts);
        }
        ts = System.nanoTime();
        int deletedByKey = 0;
        if (!anywhere.isEmpty()) {
            deletedByKey = writes.deleteByKeyAlone(t, rows, anywhere);
            metrics.timed("delete-by-key", ts);
        }
        ts = System.nanoTime();
        if (!inserts.isEmpty()) {
            writes.copyOrUpsert(t, inserts, tenant);
            metrics.timed("copy", ts);
        }
        ts = System.nanoTime();
        int movedByUpsert = 0;
        if (!upserts.isEmpty()) {
            java.util.Set<List<Object>> fresh = writes.upsert(t, upserts, tenant, !unplaced.isEmpty());
            metrics.timed("upsert", ts);
            fresh.retainAll(unplaced);
            if (!fresh.isEmpty()) {
                ts = System.nanoTime();
                movedByUpsert = writes.deleteElsewhere(t, rows, fresh, tenant);
                metrics.timed("delete-elsewhere", ts);
            }
        }
        long t6 = System.nanoTime();
        metrics.writeNanos.addAndGet(t6 - t5);
        if (!moving.isEmpty()) {
            if (coordination != null) {
                coordination.beforeMoves();
                // past the other tasks' batches that placed rows: a child table one of them was given since must move too
                if (rulesVersion != null && !rulesVersion.equals(SinkPositions.tableRulesVersion(target, sinkName))) throw new RulesChanged();
            }
            moves.moveWithDescendants(t, rows, moving, tenant, current);
        }
        metrics.moveNanos.addAndGet(System.nanoTime() - t6);
        counts.add(metrics.deleted, r.source(), moving.size());
        counts.add(metrics.inserted, r.source(), moving.size());
        counts.add(metrics.deleted, r.source(), deletes.size() + deletedByKey + movedByUpsert);
        counts.add(metrics.inserted, r.source(), inserts.size());
        counts.add(metrics.upserted, r.source(), upserts.size());
        // children of this table find their tenant key here; deletes need it later
        placement.remember(t, rows, tenant);
    }

    /**
     * A table without a primary key: its changes in order ({@link KeylessWrites}). Where each new
     * row goes is found as for any row; where each old row lives, from its old parent the same way
     * (a parent gone from both sides leaves it to be found by its columns).
     */
    private void writeKeyless(TargetTable t, Map<List<Object>, PendingRow> rows, List<Unresolved> unresolved) throws SQLException {
        TableRule r = t.rule();
        long t0 = System.nanoTime();
        Map<List<Object>, String> tenant = placement.newTenants(t, rows, unresolved);
        if (!unresolved.isEmpty()) return;
        Map<List<Object>, PendingRow> old = new java.util.LinkedHashMap<>();
        for (Map.Entry<List<Object>, PendingRow> e : rows.entrySet()) {
            ChangeEvent ev = e.getValue().last;
            if (ev.before() == null || ev.op() == 'c' || ev.op() == 'r') continue;
            PendingRow p = new PendingRow();
            p.last = ev.oldRowAsNew();
            old.put(e.getKey(), p);
        }
        Map<List<Object>, String> was = old.isEmpty() ? Map.of() : placement.newTenants(t, old, new ArrayList<>());
        metrics.placeNanos.addAndGet(System.nanoTime() - t0);
        long t1 = System.nanoTime();
        KeylessWrites.Counts n = keyless.apply(t, rows, tenant, was);
        metrics.writeNanos.addAndGet(System.nanoTime() - t1);
        counts.add(metrics.inserted, r.source(), n.inserted());
        counts.add(metrics.deleted, r.source(), n.deleted());
        counts.add(metrics.upserted, r.source(), n.updated());
    }
}
