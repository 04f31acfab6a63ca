package io.citusmigrate.sink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.TopicPartition;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the sink is, kept on the target in the same transaction as the rows it wrote: the Kafka
 * position per topic partition (a Connect deployment resumes after it), and, for the embedded
 * run, Debezium's own source offset of the last change written (the engine resumes from it, so a
 * change already on the target is not read again). All of the sink's bookkeeping SQL is here.
 */
public final class SinkPositions {
    static final String SCHEMA = "citus_migrate";
    static final String KAFKA = SCHEMA + ".sink_offsets";
    static final String SOURCE = SCHEMA + ".source_offsets";
    /** Per partition: when the task holding it last drained it and wrote all it held. */
    static final String IDLE = SCHEMA + ".sink_partition_idle";
    static final String REJECTS = SCHEMA + ".sink_rejects";
    /** Per source table: how the sink writes it since a schema change carried on Connect (a table created: its rule; dropped or left out: none). */
    static final String TABLES = SCHEMA + ".sink_tables";
    /**
     * Per sink: the source's WAL position when its migration began, before its slot was made. A
     * change below it is an earlier deployment's, left in the topics (a deploy that failed and was
     * undone, a migration cleaned up): written now, it would bring back rows deleted since.
     */
    static final String BEGAN = SCHEMA + ".sink_began";
    /**
     * Per source table (its oid): the WAL position of the last ALTER TABLE carried on Connect. Each
     * table's changes come in the topic of its name at the change, so one renamed since (back, say)
     * can be read after a later change from another topic: older, it is passed over.
     */
    static final String ALTERED = SCHEMA + ".sink_altered";
    /**
     * The rule of a table renamed while streaming, kept under its old name: rows under that name
     * again (a table given it back by another rename, whose change may come later) wait for it.
     */
    public static final String RENAMED_AWAY = "renamed away";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Debezium's source partition and offset of a change, as its connector hands them to Connect. */
    public record SourceOffset(Map<String, Object> partition, Map<String, Object> offset) {}

    private SinkPositions() {}

    /** Creates the bookkeeping tables if needed (on the coordinator: local tables). */
    static void create(Connection target) throws SQLException {
        createSerialized(target, "CREATE SCHEMA IF NOT EXISTS " + SCHEMA,
                "CREATE TABLE IF NOT EXISTS " + KAFKA + " (sink text, topic text, kafka_partition int, kafka_offset bigint NOT NULL,"
                        + " lsn bigint, tx_id bigint, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (sink, topic, kafka_partition))",
                "ALTER TABLE " + KAFKA + " ADD COLUMN IF NOT EXISTS task int", // which task wrote it last (earlier versions had none)
                "CREATE TABLE IF NOT EXISTS " + SOURCE + " (sink text PRIMARY KEY, source_partition text NOT NULL,"
                        + " source_offset text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())",
                "CREATE TABLE IF NOT EXISTS " + IDLE + " (sink text, topic text, kafka_partition int, task int, idle_at timestamptz NOT NULL,"
                        + " PRIMARY KEY (sink, topic, kafka_partition))",
                "CREATE TABLE IF NOT EXISTS " + REJECTS + " (sink text PRIMARY KEY, rows bigint NOT NULL)",
                "CREATE TABLE IF NOT EXISTS " + TABLES + " (sink text, source_table text, rule text, updated_at timestamptz NOT NULL DEFAULT now(),"
                        + " PRIMARY KEY (sink, source_table))",
                "CREATE TABLE IF NOT EXISTS " + BEGAN + " (sink text PRIMARY KEY, source_lsn bigint NOT NULL)",
                "CREATE TABLE IF NOT EXISTS " + ALTERED + " (sink text, source_table bigint, source_lsn bigint NOT NULL,"
                        + " PRIMARY KEY (sink, source_table))");
    }

    /**
     * DDL of the bookkeeping, one session at a time: tasks starting together would otherwise
     * race on IF NOT EXISTS (a duplicate key in pg_type).
     */
    static void createSerialized(Connection target, String... ddl) throws SQLException {
        boolean auto = target.getAutoCommit();
        target.setAutoCommit(false);
        try (Statement s = target.createStatement()) {
            s.execute("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('citus_migrate bookkeeping'))");
            for (String d : ddl) s.execute(d);
            target.commit();
        } catch (SQLException e) {
            target.rollback();
            throw e;
        } finally {
            target.setAutoCommit(auto);
        }
    }

    /**
     * A new migration under this sink name: what an earlier one kept (positions in topics of
     * another Kafka cluster, a source offset of another slot) must not make this one skip a change.
     */
    public static void forget(Connection target, String sink) throws SQLException {
        create(target);
        boolean auto = target.getAutoCommit();
        target.setAutoCommit(false);
        try {
            for (String table : new String[] {KAFKA, SOURCE, IDLE, REJECTS, TABLES, BEGAN, ALTERED}) {
                try (PreparedStatement ps = target.prepareStatement("DELETE FROM " + table + " WHERE sink = ?")) {
                    ps.setString(1, sink);
                    ps.executeUpdate();
                }
            }
            target.commit();
        } finally {
            target.setAutoCommit(auto);
        }
    }

    /**
     * A new migration under this sink name, beginning at this WAL position of the source: what an
     * earlier one kept is forgotten, and the changes it left in the topics are passed over.
     */
    public static void begin(Connection target, String sink, long sourceLsn) throws SQLException {
        forget(target, sink);
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + BEGAN + " (sink, source_lsn) VALUES (?, ?)")) {
            ps.setString(1, sink);
            ps.setLong(2, sourceLsn);
            ps.executeUpdate();
        }
        if (!target.getAutoCommit()) target.commit();
    }

    /** The WAL position the sink's migration began at; 0 when none was kept (every change is this migration's). */
    static long began(Connection target, String sink) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT coalesce(max(source_lsn), 0) FROM " + BEGAN + " WHERE sink = ?")) {
            ps.setString(1, sink);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            } finally {
                if (!target.getAutoCommit()) target.commit();
            }
        }
    }

    /**
     * The table rules schema changes carried on Connect made (as JSON), by source table; a table
     * whose rows are not written (dropped, or created and left out by the command file's rules)
     * maps to null, a name a table was renamed away from to {@link #RENAMED_AWAY}.
     */
    public static Map<String, String> tableRules(Connection target, String sink) throws SQLException {
        create(target);
        Map<String, String> out = new java.util.LinkedHashMap<>();
        try (PreparedStatement ps = target.prepareStatement("SELECT source_table, rule FROM " + TABLES + " WHERE sink = ? ORDER BY updated_at")) {
            ps.setString(1, sink);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.put(rs.getString(1), rs.getString(2));
            }
        }
        if (!target.getAutoCommit()) target.commit();
        return out;
    }

    /** Which state the rules kept on the target are in: it changes with each rule saved or forgotten. */
    static String tableRulesVersion(Connection target, String sink) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT count(*) || '/' || coalesce(max(updated_at)::text, '-') FROM " + TABLES
                + " WHERE sink = ?")) {
            ps.setString(1, sink);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /** How the sink writes a table from now on: its rule as JSON, or null for none. */
    public static void saveTableRule(Connection target, String sink, String sourceTable, String rule) throws SQLException {
        create(target);
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + TABLES + " (sink, source_table, rule) VALUES (?, ?, ?)"
                + " ON CONFLICT (sink, source_table) DO UPDATE SET rule = EXCLUDED.rule, updated_at = now()")) {
            ps.setString(1, sink);
            ps.setString(2, sourceTable);
            ps.setString(3, rule);
            ps.executeUpdate();
        }
        if (!target.getAutoCommit()) target.commit();
    }

    /** The WAL position of the last ALTER TABLE carried for a source table (by oid); 0 for none. */
    public static long alteredAt(Connection target, String sink, long table) throws SQLException {
        create(target);
        try (PreparedStatement ps = target.prepareStatement("SELECT coalesce(max(source_lsn), 0) FROM " + ALTERED
                + " WHERE sink = ? AND source_table = ?")) {
            ps.setString(1, sink);
            ps.setLong(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            } finally {
                if (!target.getAutoCommit()) target.commit();
            }
        }
    }

    /** An ALTER TABLE of a source table (by oid) at this WAL position was carried. */
    public static void altered(Connection target, String sink, long table, long lsn) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + ALTERED + " (sink, source_table, source_lsn) VALUES (?, ?, ?)"
                + " ON CONFLICT (sink, source_table) DO UPDATE SET source_lsn = greatest(" + ALTERED + ".source_lsn, EXCLUDED.source_lsn)")) {
            ps.setString(1, sink);
            ps.setLong(2, table);
            ps.setLong(3, lsn);
            ps.executeUpdate();
        }
        if (!target.getAutoCommit()) target.commit();
    }

    /** The last Kafka offset written per topic partition. */
    static Map<TopicPartition, Long> kafka(Connection target, String sink) throws SQLException {
        create(target);
        Map<TopicPartition, Long> out = new HashMap<>();
        try (PreparedStatement ps = target.prepareStatement("SELECT topic, kafka_partition, kafka_offset FROM " + KAFKA + " WHERE sink = ?")) {
            ps.setString(1, sink);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.put(new TopicPartition(rs.getString(1), rs.getInt(2)), rs.getLong(3));
            }
        }
        if (!target.getAutoCommit()) target.commit();
        return out;
    }

    /** Whether the sink of this name has written a batch, or drained its partitions, yet. */
    public static boolean started(Connection target, String sink) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT pg_catalog.to_regclass(?) IS NOT NULL AND pg_catalog.to_regclass(?) IS NOT NULL")) {
            ps.setString(1, KAFKA);
            ps.setString(2, IDLE);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) return false;
            }
        }
        try (PreparedStatement ps = target.prepareStatement("SELECT EXISTS (SELECT 1 FROM " + KAFKA + " WHERE sink = ?)"
                + " OR EXISTS (SELECT 1 FROM " + IDLE + " WHERE sink = ?)")) {
            ps.setString(1, sink);
            ps.setString(2, sink);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** Debezium's offset of the last change the sink of this name wrote, if it kept one. */
    public static Optional<SourceOffset> source(Connection target, String sink) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT source_partition, source_offset FROM " + SOURCE + " WHERE sink = ?"
                + " AND pg_catalog.to_regclass(?) IS NOT NULL")) {
            ps.setString(1, sink);
            ps.setString(2, SOURCE);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return Optional.empty();
                return Optional.of(new SourceOffset(map(rs.getString(1)), map(rs.getString(2))));
            }
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState()) || "3F000".equals(e.getSQLState())) return Optional.empty(); // no bookkeeping yet
            throw e;
        } finally {
            if (!target.getAutoCommit()) target.rollback();
        }
    }

    /** A task drained its partitions and wrote all it had, now (the target's clock). */
    /**
     * A task drained the partitions it holds now and wrote all it had, now (the target's clock).
     * Noted per partition, not per task: a task still stopping (a redeploy) holds none.
     */
    static void idle(Connection target, String sink, int task, java.util.Collection<TopicPartition> assigned) throws SQLException {
        if (assigned.isEmpty()) return;
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + IDLE + " (sink, topic, kafka_partition, task, idle_at)"
                + " VALUES (?, ?, ?, ?, now()) ON CONFLICT (sink, topic, kafka_partition) DO UPDATE SET task = EXCLUDED.task, idle_at = now()")) {
            for (TopicPartition tp : assigned) {
                ps.setString(1, sink);
                ps.setString(2, tp.topic());
                ps.setInt(3, tp.partition());
                ps.setInt(4, task);
                ps.addBatch();
            }
            ps.executeBatch();
        }
        if (!target.getAutoCommit()) target.commit();
    }

    /** Partitions a task gave up (a rebalance): not drained until their next holder drains them. */
    static void notIdle(Connection target, String sink, java.util.Collection<TopicPartition> partitions) throws SQLException {
        if (partitions.isEmpty()) return;
        try (PreparedStatement ps = target.prepareStatement("DELETE FROM " + IDLE + " WHERE sink = ? AND topic = ? AND kafka_partition = ?")) {
            for (TopicPartition tp : partitions) {
                ps.setString(1, sink);
                ps.setString(2, tp.topic());
                ps.setInt(3, tp.partition());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        if (!target.getAutoCommit()) target.commit();
    }

    /**
     * The partitions of the sink's topics not drained (by the task holding them, which then wrote
     * all it had) since {@code since}, the target's clock: once none is left, every change Kafka
     * held then is on the target.
     */
    public static List<String> notIdleSince(Connection target, String sink, List<String> topics, java.sql.Timestamp since) throws SQLException {
        // every partition of the sink's topics: those it has written or drained, and partition 0 of each topic given
        try (PreparedStatement ps = target.prepareStatement("SELECT t.topic || '-' || t.kafka_partition FROM (SELECT topic, kafka_partition FROM "
                + KAFKA + " WHERE sink = ? UNION SELECT topic, kafka_partition FROM " + IDLE + " WHERE sink = ? UNION SELECT unnest(?::text[]), 0) t"
                + " WHERE NOT EXISTS (SELECT 1 FROM " + IDLE
                + " i WHERE i.sink = ? AND i.topic = t.topic AND i.kafka_partition = t.kafka_partition AND i.idle_at > ?) ORDER BY 1")) {
            ps.setString(1, sink);
            ps.setString(2, sink);
            ps.setArray(3, target.createArrayOf("text", topics.toArray()));
            ps.setString(4, sink);
            ps.setTimestamp(5, since);
            List<String> out = new java.util.ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(rs.getString(1));
            }
            return out;
        } finally {
            if (!target.getAutoCommit()) target.rollback();
        }
    }

    /** Rows the sink set aside (the dead-letter queue), counted in the transaction of the rows written around them. */
    static void addRejected(Connection target, String sink, int rows) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + REJECTS + " (sink, rows) VALUES (?, ?)"
                + " ON CONFLICT (sink) DO UPDATE SET rows = " + REJECTS + ".rows + EXCLUDED.rows")) {
            ps.setString(1, sink);
            ps.setInt(2, rows);
            ps.executeUpdate();
        }
    }

    /** How many rows the sink of this name has set aside so far (0 when none, or no bookkeeping yet). */
    public static long rejected(Connection target, String sink) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT CASE WHEN pg_catalog.to_regclass(?) IS NULL THEN 0"
                + " ELSE (SELECT coalesce(max(rows), 0) FROM " + REJECTS + " WHERE sink = ?) END")) {
            ps.setString(1, REJECTS);
            ps.setString(2, sink);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    static void saveKafka(Connection target, String sink, Map<TopicPartition, ChangeEvent> last, int task) throws SQLException {
        if (last.isEmpty()) return;
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + KAFKA
                + " (sink, topic, kafka_partition, kafka_offset, lsn, tx_id, updated_at, task) VALUES (?, ?, ?, ?, ?, ?, now(), ?)"
                + " ON CONFLICT (sink, topic, kafka_partition) DO UPDATE SET kafka_offset = EXCLUDED.kafka_offset,"
                + " lsn = EXCLUDED.lsn, tx_id = EXCLUDED.tx_id, updated_at = now(), task = EXCLUDED.task")) {
            for (Map.Entry<TopicPartition, ChangeEvent> e : last.entrySet()) {
                ps.setString(1, sink);
                ps.setString(2, e.getKey().topic());
                ps.setInt(3, e.getKey().partition());
                ps.setLong(4, e.getValue().offset());
                ps.setLong(5, e.getValue().lsn());
                if (e.getValue().txId() == null) ps.setNull(6, java.sql.Types.BIGINT);
                else ps.setLong(6, e.getValue().txId());
                ps.setInt(7, task);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    static void saveSource(Connection target, String sink, SourceOffset o) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + SOURCE + " (sink, source_partition, source_offset, updated_at)"
                + " VALUES (?, ?, ?, now()) ON CONFLICT (sink) DO UPDATE SET source_partition = EXCLUDED.source_partition,"
                + " source_offset = EXCLUDED.source_offset, updated_at = now()")) {
            ps.setString(1, sink);
            ps.setString(2, JSON.writeValueAsString(o.partition()));
            ps.setString(3, JSON.writeValueAsString(o.offset()));
            ps.executeUpdate();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Debezium's source offset cannot be written as JSON: " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> map(String json) throws SQLException {
        try {
            return JSON.readValue(json, new TypeReference<Map<String, Object>>() { });
        } catch (JsonProcessingException e) {
            throw new SQLException("the source offset kept on the target is not JSON: " + e.getOriginalMessage());
        }
    }
}
