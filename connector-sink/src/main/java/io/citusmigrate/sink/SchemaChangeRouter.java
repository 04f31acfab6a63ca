package io.citusmigrate.sink;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.ConnectRecord;

import java.util.Map;
import java.util.List;
import java.util.Set;

/**
 * A {@link SchemaChangeMessage} goes into the topic of the table it changes, when the sink reads
 * that topic ({@code topics}): rows before an ADD COLUMN are written before it, rows after it with
 * the column. A change that names no table the sink reads (a DROP INDEX, a GRANT, a table created)
 * goes into the first of the sink's topics. Not into the message topic: the sink does not read it,
 * because a topic that appears while the sink runs (the message topic does with the cutover's
 * marker) makes its consumers rebalance, and a rebalance during a cutover's wait for the sink to
 * drain its partitions lost the changes the tasks held (seen on real Citus at 1,000 transactions/s).
 */
public final class SchemaChangeRouter<R extends ConnectRecord<R>> extends MessageRouter<R> {
    /** The topics the sink reads, comma-separated. */
    public static final String TOPICS = "topics";
    private Set<String> topics = Set.of();
    /** Where a change naming no table the sink reads goes: the first of its topics. */
    private String fallback;

    @Override
    String table(Object value) {
        SchemaChangeMessage m = SchemaChangeMessage.of(value);
        if (m == null) return null;
        return m.table() == null ? "" : topicName(m.table());
    }

    @Override
    boolean routes(String topic) {
        return topics.contains(topic);
    }

    @Override
    String elsewhere() {
        return fallback;
    }

    /** A table's name as Debezium puts it into a topic name: characters Kafka does not take become underscores. */
    static String topicName(String table) {
        return table.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    @Override
    public ConfigDef config() {
        return new ConfigDef().define(TOPICS, ConfigDef.Type.LIST, "", ConfigDef.Importance.HIGH,
                "The topics the Citus sink reads: a schema change goes into its table's topic only when it is one of them");
    }

    @Override
    public void configure(Map<String, ?> configs) {
        Object t = configs.get(TOPICS);
        List<String> list = t == null || t.toString().isBlank() ? List.of() : List.of(t.toString().trim().split("\\s*,\\s*"));
        topics = Set.copyOf(list);
        fallback = list.isEmpty() ? null : list.get(0);
    }
}
