package io.citusmigrate.sink;

import org.apache.kafka.common.TopicPartition;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Change events buffered per table until the next flush, reduced per row key (the last change of
 * a row wins), with the positions they came from. A table without a primary key keeps every
 * change, in order, under the number of its place in the batch. A TRUNCATE drops the table's rows buffered
 * before it and is remembered, to be done on the target before the rows buffered after it.
 */
final class RowBuffer {
    private final Map<String, Map<List<Object>, PendingRow>> byTable = new LinkedHashMap<>();
    private final Map<TopicPartition, ChangeEvent> positions = new HashMap<>();
    /** Tables truncated since the last flush, in the order of their TRUNCATE, with its event. */
    private final Map<String, ChangeEvent> truncated = new LinkedHashMap<>();
    /** Debezium's offset of the last change buffered, when the embedded run hands it over (see SinkPositions). */
    private SinkPositions.SourceOffset sourceOffset;
    private int size;
    /** The next place in the batch, the key of a change to a table without a primary key. */
    private long place;
    /** Rows set aside (to the dead-letter queue) since the last commit, by partition: those of a partition given up are read and set aside again by its next holder. */
    private final Map<TopicPartition, Integer> rejected = new HashMap<>();

    RowBuffer(Collection<TableRule> rules) {
        for (TableRule r : rules) byTable.put(r.source(), new LinkedHashMap<>());
    }

    void add(ChangeEvent e) {
        // a table created while streaming (on Connect) joins after the others
        Map<List<Object>, PendingRow> b = byTable.computeIfAbsent(e.rule().source(), t -> new LinkedHashMap<>());
        if (e.truncate()) {
            size -= b.size();
            b.clear();
            truncated.put(e.rule().source(), e);
            positions.put(new TopicPartition(e.topic(), e.partition()), e);
            if (e.sourceOffset() != null) sourceOffset = e.sourceOffset();
            return;
        }
        if (e.rule().key().isEmpty()) e = e.withKey(List.of(place++));
        PendingRow p = b.get(e.key());
        if (p == null) {
            p = new PendingRow();
            b.put(e.key(), p);
            size++;
        }
        if (e.op() != 'c' && e.op() != 'r') p.insertOnly = false;
        p.last = e;
        positions.put(new TopicPartition(e.topic(), e.partition()), e);
        if (e.sourceOffset() != null) sourceOffset = e.sourceOffset();
    }

    /** Forgets the rows and positions of these partitions. */
    void drop(java.util.Set<TopicPartition> partitions) {
        for (Map<List<Object>, PendingRow> rows : byTable.values()) {
            rows.values().removeIf(p -> partitions.contains(new TopicPartition(p.last.topic(), p.last.partition())));
        }
        truncated.values().removeIf(e -> partitions.contains(new TopicPartition(e.topic(), e.partition())));
        positions.keySet().removeAll(partitions);
        rejected.keySet().removeAll(partitions);
        size = byTable.values().stream().mapToInt(Map::size).sum();
    }

    /** The source tables truncated since the last flush, in the order of their TRUNCATE. */
    java.util.Set<String> truncated() {
        return truncated.keySet();
    }

    /** The rows of one source table, by row key. */
    Map<List<Object>, PendingRow> rows(String sourceTable) {
        // a table whose rule came with a schema change carried since (on Connect) has none until its first row
        return byTable.computeIfAbsent(sourceTable, t -> new LinkedHashMap<>());
    }

    /** Rows and TRUNCATEs waiting: a TRUNCATE alone is worth a flush. */
    int size() {
        return size + truncated.size();
    }

    /** Drops a row (reported elsewhere) so that the rest can be written. */
    void discard(ChangeEvent e) {
        Map<List<Object>, PendingRow> rows = byTable.get(e.rule().source());
        // a keyless table's change is known by the event, its buffer key being its place
        boolean removed = e.rule().key().isEmpty() ? rows.values().removeIf(p -> p.last == e) : rows.remove(e.key()) != null;
        if (removed) size--;
        rejected.merge(new TopicPartition(e.topic(), e.partition()), 1, Integer::sum);
    }

    int rejected() {
        return rejected.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** The last change per topic partition, and Debezium's offset of the last one, to be kept with the rows. */
    Map<TopicPartition, ChangeEvent> positions() {
        return positions;
    }

    SinkPositions.SourceOffset sourceOffset() {
        return sourceOffset;
    }

    /** After the commit: the rows and their positions are on the target. */
    void clear() {
        byTable.values().forEach(Map::clear);
        positions.clear();
        truncated.clear();
        sourceOffset = null;
        size = 0;
        rejected.clear();
    }
}
