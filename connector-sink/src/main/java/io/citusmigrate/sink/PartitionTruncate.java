package io.citusmigrate.sink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.connect.data.Struct;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

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
        // asked of every record the sink gets: a row change's envelope has no message field, one lookup says so
        if (!(value instanceof Struct v) || v.schema().field("message") == null) return null;
        Struct m = v.getStruct("message");
        if (m == null || !PREFIX.equals(m.getString("prefix"))) return null;
        Object c = m.get("content");
        byte[] bytes = c instanceof ByteBuffer b ? toArray(b) : c instanceof byte[] a ? a : String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        return parse(new String(bytes, StandardCharsets.UTF_8));
    }

    private static byte[] toArray(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
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
