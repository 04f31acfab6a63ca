package io.citusmigrate.sink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.connect.data.Struct;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A schema change on the source, as citus-migrate's event trigger writes it into the WAL (a
 * transactional logical message, JSON) in the transaction that made it. Debezium turns it into a
 * message record; on Connect {@link SchemaChangeRouter} puts it into the topic of the table it
 * changes, where the sink meets it in its place among that table's row changes.
 *
 * @param content the message as the trigger wrote it
 * @param table   the table it changes as Debezium names tables (schema.table), null when it names none
 */
public record SchemaChangeMessage(String content, String table) {
    /** The prefix of the trigger's messages. */
    public static final String PREFIX = "citus_migrate_ddl";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The schema change a Debezium message record holds, or null when it holds none. */
    public static SchemaChangeMessage of(Object value) {
        String content = content(value, PREFIX);
        return content == null ? null : new SchemaChangeMessage(content, tableOf(content));
    }

    /** Whether a record is one of Debezium's message records (a logical decoding message, ours or not). */
    public static boolean isMessage(Object value) {
        return value instanceof Struct v && v.schema().field("message") != null;
    }

    /** A message record's content when its prefix is {@code prefix}, else null. */
    static String content(Object value, String prefix) {
        // asked of every record the sink gets: a row change's envelope has no message field, one lookup says so
        if (!isMessage(value)) return null;
        Struct m = ((Struct) value).getStruct("message");
        if (m == null || !prefix.equals(m.getString("prefix"))) return null;
        Object c = m.get("content");
        byte[] bytes = c instanceof ByteBuffer b ? toArray(b) : c instanceof byte[] a ? a : String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static byte[] toArray(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /**
     * The table a change is of: an ALTER TABLE's (by its name before the command: a table renamed
     * has its rows up to the change under that one), a column's, an index's (its table as the command
     * left it). A DROP INDEX (its table's name is gone with its catalog rows), GRANT or REVOKE names none.
     */
    static String tableOf(String content) {
        try {
            JsonNode n = JSON.readTree(content);
            String type = n.path("type").asText();
            String identity = switch (type) {
                // a table renamed: its rows up to here are under its old name
                case "table" -> n.hasNonNull("was") ? n.get("was").asText() : n.path("identity").asText(null);
                case "table column" -> withoutLast(n.path("identity").asText(""));
                case "index" -> n.path("table").isNull() ? null : n.path("table").asText(null);
                default -> null;
            };
            return identity == null || identity.isEmpty() ? null : unquoted(identity);
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    /** schema.table.column without .column (names quoted as PostgreSQL quotes them). */
    private static String withoutLast(String identity) {
        java.util.List<String> parts = parts(identity);
        return parts.size() < 2 ? null : String.join(".", quotedAll(parts.subList(0, parts.size() - 1)));
    }

    /** A qualified name as PostgreSQL prints it ({@code "My Schema".t}) as Debezium names tables ({@code My Schema.t}). */
    public static String unquoted(String identity) {
        java.util.List<String> parts = parts(identity);
        return parts.size() == 2 ? parts.get(0) + "." + parts.get(1) : null;
    }

    private static java.util.List<String> quotedAll(java.util.List<String> parts) {
        return parts.stream().map(p -> "\"" + p.replace("\"", "\"\"") + "\"").toList();
    }

    /** The parts of a dotted name as PostgreSQL prints it, each unquoted. */
    public static java.util.List<String> parts(String identity) {
        java.util.List<String> out = new java.util.ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < identity.length(); i++) {
            char c = identity.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < identity.length() && identity.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == '.') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
