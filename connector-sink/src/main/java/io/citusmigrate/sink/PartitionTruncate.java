package io.citusmigrate.sink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A TRUNCATE of one partition. A publication that publishes through the partition root sends
 * no TRUNCATE of a single partition, so a statement trigger on each partition (made by
 * citus-migrate on the source) writes a transactional logical message naming the partition and
 * its root. Debezium turns it into a message record; on Connect {@link PartitionTruncateRouter}
 * puts it into the root table's topic, where the sink meets it in its place among the root's
 * row changes.
 *
 * @param schema     the partition's schema on the source
 * @param table      the partition's name on the source
 * @param rootSchema the schema of its partitioned root on the source
 * @param rootTable  the name of its partitioned root on the source
 */
public record PartitionTruncate(String schema, String table, String rootSchema, String rootTable) {
    /** The prefix of the trigger's messages. */
    public static final String PREFIX = "citus_migrate_truncate";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The message a trigger wrote (its content, JSON). */
    public static PartitionTruncate parse(String content) {
        try {
            JsonNode n = JSON.readTree(content);
            return new PartitionTruncate(n.get("schema").asText(), n.get("table").asText(), n.path("root_schema").asText(null),
                    n.path("root_table").asText(null));
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalStateException("not a partition TRUNCATE message: " + content, e);
        }
    }

    /** The partition TRUNCATE a Debezium message record holds, or null when it holds none. */
    public static PartitionTruncate of(Object value) {
        String content = SchemaChangeMessage.content(value, PREFIX);
        return content == null ? null : parse(content);
    }

    /** The partition as Debezium names tables: schema.table. */
    public String partition() {
        return schema + "." + table;
    }

    /** The root as Debezium names tables: schema.table (null when the trigger was made by an older version, without it). */
    public String root() {
        return rootSchema == null ? null : rootSchema + "." + rootTable;
    }
}
