package io.citusmigrate.sink;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.ConnectRecord;

import java.util.Map;
import java.util.Set;

/**
 * A {@link SchemaChangeMessage} goes into the topic of the table it changes, when the sink reads
 * that topic ({@code topics}): rows before an ADD COLUMN are written before it, rows after it with
 * the column. A change that names no table the sink reads (a DROP INDEX, a GRANT, a table
 * created) stays in the message topic, which the sink reads too.
 */
public final class SchemaChangeRouter<R extends ConnectRecord<R>> extends MessageRouter<R> {
    /** The topics the sink reads, comma-separated. */
    public static final String TOPICS = "topics";
    private Set<String> topics = Set.of();

    @Override
    String table(Object value) {
        SchemaChangeMessage m = SchemaChangeMessage.of(value);
        return m == null || m.table() == null ? null : topicName(m.table());
    }

    @Override
    boolean routes(String topic) {
        return topics.contains(topic);
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
        topics = t == null || t.toString().isBlank() ? Set.of() : Set.of(t.toString().split("\\s*,\\s*"));
    }
}
