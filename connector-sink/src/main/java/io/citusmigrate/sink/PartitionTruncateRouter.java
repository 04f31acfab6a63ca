package io.citusmigrate.sink;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.transforms.Transformation;

import java.util.Map;

/**
 * A single message transform for Debezium's PostgreSQL source connector on Connect: a
 * {@link PartitionTruncate} message goes from the connector's message topic (PREFIX.message) into
 * the topic of the partition's root table (PREFIX.schema.table). There, with one partition per
 * topic, the Citus sink meets it in its place among the root's row changes, as the embedded run
 * does. Every other record passes unchanged.
 */
public final class PartitionTruncateRouter<R extends ConnectRecord<R>> implements Transformation<R>, org.apache.kafka.connect.components.Versioned {
    private static final String MESSAGE_TOPIC = ".message";

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public R apply(R r) {
        if (r.topic() == null || !r.topic().endsWith(MESSAGE_TOPIC)) return r;
        PartitionTruncate t = PartitionTruncate.of(r.value());
        if (t == null || t.root() == null) return r;
        String prefix = r.topic().substring(0, r.topic().length() - MESSAGE_TOPIC.length());
        return r.newRecord(prefix + "." + t.root(), null, r.keySchema(), r.key(), r.valueSchema(), r.value(), r.timestamp(), r.headers());
    }

    @Override
    public ConfigDef config() {
        return new ConfigDef();
    }

    @Override
    public void configure(Map<String, ?> configs) {
        // nothing to set
    }

    @Override
    public void close() {
        // nothing held
    }
}
