package io.citusmigrate.sink;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.ConnectRecord;

import java.util.Map;

/**
 * A {@link SchemaChangeMessage} goes into the topic of the table it changes, when the sink reads
 * that topic ({@code topics.regex}, the sink's): rows before an ADD COLUMN are written before it,
 * rows after it with the column; a CREATE TABLE comes first in the new table's topic, before its
 * rows. A change that names no table the sink reads (a DROP INDEX, a GRANT) goes into the
 * {@code topic.fallback}, one of the sink's topics. Not into the message topic: the sink does not
 * read it, because a topic that appears while the sink runs (the message topic does with the
 * cutover's marker) makes its consumers rebalance, and a rebalance during a cutover's wait for the
 * sink to drain its partitions lost the changes the tasks held (seen on real Citus at 1,000
 * transactions/s).
 */
public final class SchemaChangeRouter<R extends ConnectRecord<R>> extends MessageRouter<R> {
    /** The topics the sink reads, as its {@code topics.regex}. */
    public static final String TOPICS_REGEX = "topics.regex";
    /** Where a change naming no table the sink reads goes. */
    public static final String FALLBACK = "topic.fallback";
    private java.util.regex.Pattern topics;
    private String fallback;

    @Override
    String table(Object value) {
        SchemaChangeMessage m = SchemaChangeMessage.of(value);
        if (m == null) return null;
        return m.table() == null ? "" : topicName(m.table());
    }

    @Override
    boolean routes(String topic) {
        return topics != null && topics.matcher(topic).matches();
    }

    @Override
    String elsewhere() {
        return fallback;
    }

    /** A table's name as Debezium puts it into a topic name: characters Kafka does not take become underscores. */
    public static String topicName(String table) {
        return table.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    @Override
    public ConfigDef config() {
        return new ConfigDef()
                .define(TOPICS_REGEX, ConfigDef.Type.STRING, "", ConfigDef.Importance.HIGH,
                        "The topics the Citus sink reads (its topics.regex): a schema change goes into its table's topic only when it is one of them")
                .define(FALLBACK, ConfigDef.Type.STRING, "", ConfigDef.Importance.HIGH,
                        "One of the sink's topics: where a schema change that names none of them goes");
    }

    @Override
    public void configure(Map<String, ?> configs) {
        Object t = configs.get(TOPICS_REGEX);
        topics = t == null || t.toString().isBlank() ? null : java.util.regex.Pattern.compile(t.toString());
        Object f = configs.get(FALLBACK);
        fallback = f == null || f.toString().isBlank() ? null : f.toString();
    }
}
