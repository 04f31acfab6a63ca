package io.citusmigrate.sink;

import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.transforms.Transformation;

/**
 * A single message transform for Debezium's PostgreSQL source connector on Connect: a message of
 * ours goes from the connector's message topic (PREFIX.message) into the topic of the table it is
 * about (PREFIX.schema.table), where, with one partition per topic, the Citus sink meets it in its
 * place among that table's row changes. Every other record passes unchanged.
 */
abstract class MessageRouter<R extends ConnectRecord<R>> implements Transformation<R>, org.apache.kafka.connect.components.Versioned {
    private static final String MESSAGE_TOPIC = ".message";

    /**
     * The table a record's message is about as Debezium names tables (schema.table); empty for a
     * message of ours that names none; null to leave the record where it is.
     */
    abstract String table(Object value);

    /** Whether the message may go into this table's topic. */
    boolean routes(String topic) {
        return true;
    }

    /** The topic a message of ours goes into when its table's may not take it; null: where it is. */
    String elsewhere() {
        return null;
    }

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public R apply(R r) {
        if (r.topic() == null || !r.topic().endsWith(MESSAGE_TOPIC)) return r;
        String table = table(r.value());
        if (table == null) return r;
        String topic = table.isEmpty() ? null : r.topic().substring(0, r.topic().length() - MESSAGE_TOPIC.length()) + "." + table;
        if (topic == null || !routes(topic)) topic = elsewhere();
        if (topic == null) return r;
        return r.newRecord(topic, null, r.keySchema(), r.key(), r.valueSchema(), r.value(), r.timestamp(), r.headers());
    }

    @Override
    public void close() {
        // nothing held
    }
}
