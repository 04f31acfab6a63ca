package io.citusmigrate.sink;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.ConnectRecord;

import java.util.Map;

/**
 * A {@link PartitionTruncate} message goes into the topic of the partition's root table: there
 * the Citus sink meets it in its place among the root's row changes, as the embedded run does.
 */
public final class PartitionTruncateRouter<R extends ConnectRecord<R>> extends MessageRouter<R> {
    @Override
    String table(Object value) {
        PartitionTruncate t = PartitionTruncate.of(value);
        return t == null ? null : t.root();
    }

    @Override
    public ConfigDef config() {
        return new ConfigDef();
    }

    @Override
    public void configure(Map<String, ?> configs) {
        // nothing to set
    }
}
