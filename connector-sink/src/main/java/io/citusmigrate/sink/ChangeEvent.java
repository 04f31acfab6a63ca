package io.citusmigrate.sink;

import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkRecord;

import java.util.ArrayList;
import java.util.List;

/**
 * One Debezium change event: op c (insert), u (update), d (delete), r (snapshot read) or t
 * (TRUNCATE of the table, no row images and an empty key), the row images, the source position,
 * and the Kafka position it came from.
 */
public record ChangeEvent(TableRule rule, char op, Struct before, Struct after, List<Object> key, long lsn, Long txId,
                          String topic, int partition, long offset, SinkRecord record) {

    /** A record's place in Kafka as it was read, before any transform of the sink renamed its topic. */
    static String topicOf(SinkRecord r) {
        return r.originalTopic() != null ? r.originalTopic() : r.topic();
    }

    static int partitionOf(SinkRecord r) {
        return r.originalKafkaPartition() != null ? r.originalKafkaPartition() : r.kafkaPartition();
    }

    static long offsetOf(SinkRecord r) {
        return r.originalKafkaOffset() >= 0 ? r.originalKafkaOffset() : r.kafkaOffset();
    }

    /** The source's WAL position of a Debezium record (a row change, a TRUNCATE, a message); -1 when it has none. */
    static long lsnOf(SinkRecord r) {
        if (!(r.value() instanceof Struct v) || v.schema().field("source") == null) return -1;
        Struct source = v.getStruct("source");
        Object lsn = source == null || source.schema().field("lsn") == null ? null : source.get("lsn");
        return lsn == null ? -1 : ((Number) lsn).longValue();
    }

    /** A row change of a table the sink has no rule for (on Connect, maybe one created since: {@link #table} names it). */
    static final class UnknownTable extends org.apache.kafka.connect.errors.DataException {
        final String table;

        UnknownTable(String table, String topic) {
            super("no rule for table " + table + " in citus.tables (topic " + topic + "): the sink will not guess where its rows go");
            this.table = table;
        }
    }

    /** Parses a record; null for a tombstone (the delete event before it carried the change). */
    public static ChangeEvent of(SinkRecord r, java.util.Map<String, TableRule> rules) {
        if (r.value() == null) return null;
        if (!(r.value() instanceof Struct v) || v.schema().field("op") == null) {
            throw new org.apache.kafka.connect.errors.DataException("not a Debezium change event (no envelope with op) in "
                    + r.topic() + " at offset " + r.kafkaOffset());
        }
        Struct source = v.getStruct("source");
        String table = source.getString("schema") + "." + source.getString("table");
        TableRule rule = rules.get(table);
        if (rule == null) throw new UnknownTable(table, r.topic());
        Object lsn = source.schema().field("lsn") == null ? null : source.get("lsn");
        Object tx = source.schema().field("txId") == null ? null : source.get("txId");
        String topic = topicOf(r);
        int partition = partitionOf(r);
        long offset = offsetOf(r);
        Struct before = v.getStruct("before");
        Struct after = v.getStruct("after");
        return new ChangeEvent(rule, v.getString("op").charAt(0), before, after, key(rule, after != null ? after : before),
                lsn == null ? -1 : ((Number) lsn).longValue(), tx == null ? null : ((Number) tx).longValue(),
                topic, partition, offset, r);
    }

    /**
     * The header under which the embedded run hands the sink Debezium's source offset of a
     * change (a {@link SinkPositions.SourceOffset}), to be kept with the rows it wrote.
     */
    public static final String SOURCE_OFFSET_HEADER = "citus_migrate.source_offset";

    /** Debezium's offset of this change when the embedded run handed it over; null on Connect. */
    public SinkPositions.SourceOffset sourceOffset() {
        org.apache.kafka.connect.header.Header h = record.headers().lastWithName(SOURCE_OFFSET_HEADER);
        return h != null && h.value() instanceof SinkPositions.SourceOffset o ? o : null;
    }

    /** The same change under another buffer key (a row of a table without a primary key is keyed by its place in the batch). */
    ChangeEvent withKey(List<Object> k) {
        return new ChangeEvent(rule, op, before, after, k, lsn, txId, topic, partition, offset, record);
    }

    /** The old row as if it were being written: where it lives is found the way a new row's place is. */
    ChangeEvent oldRowAsNew() {
        return new ChangeEvent(rule, 'c', null, before, key, lsn, txId, topic, partition, offset, record);
    }

    /** The row image that carries the key: after, or before for a delete. */
    public Struct image() {
        return after != null ? after : before;
    }

    /** A TRUNCATE of the table rather than a change of one row. */
    public boolean truncate() {
        return op == 't';
    }

    /** The row's key, computed once: the buffers are keyed by it. */
    private static List<Object> key(TableRule rule, Struct s) {
        if (s == null) return List.of(); // a TRUNCATE has no row
        List<Object> k = new ArrayList<>(rule.key().size());
        for (String c : rule.key()) {
            Object v = s.get(c);
            k.add(v instanceof byte[] b ? java.util.HexFormat.of().formatHex(b) : v);
        }
        return k;
    }

    public static List<String> fieldNames(Struct s) {
        return s.schema().fields().stream().map(Field::name).toList();
    }
}
