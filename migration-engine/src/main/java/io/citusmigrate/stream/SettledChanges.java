package io.citusmigrate.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * A captured ALTER TABLE the stream could not carry as the command left the table, read again as
 * the table is on the source now. The user settles such a change by undoing it on the source (the
 * foreign key dropped again, the table renamed back); the stream, started again with
 * {@code --resume}, meets the same message first and carries the table as it is now, and the undo's
 * own message after it then changes nothing. A change not undone reads the same and stops again.
 */
final class SettledChanges {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The message's table as it is now, the same fields as the event trigger writes; read with the trigger's own expressions. */
    private static final String NOW = "SELECT pg_catalog.json_build_object('identity', (pg_catalog.pg_identify_object('pg_catalog.pg_class'::pg_catalog.regclass,"
            + " r.objid, 0)).identity, 'schema', n.nspname, 'columns', " + SchemaCapture.COLUMNS + ", 'constraints', " + SchemaCapture.CONSTRAINTS
            + ", 'security', " + SchemaCapture.SECURITY + ")::text FROM (SELECT ?::pg_catalog.oid AS objid, 'table'::text AS object_type) r"
            + " JOIN pg_catalog.pg_class c ON c.oid = r.objid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace";

    private SettledChanges() {}

    /**
     * The message with its table as the source has it now, when that differs from what the
     * command left; empty for other messages, a table gone since (its DROP comes later in the
     * stream), or one unchanged since (nothing was undone).
     */
    static Optional<String> asNow(String content, Connection source) throws SQLException {
        JsonNode message;
        try {
            message = JSON.readTree(content);
        } catch (IOException e) {
            return Optional.empty();
        }
        if (!"ALTER TABLE".equals(message.path("tag").asText()) || message.path("oid").asLong(0) == 0
                || !java.util.Set.of("table", "table column").contains(message.path("type").asText())) {
            return Optional.empty();
        }
        JsonNode now;
        // expressions rendered in full, as the event trigger renders them
        try (java.sql.Statement s = source.createStatement()) {
            s.execute("SET search_path = pg_catalog");
        }
        try (PreparedStatement ps = source.prepareStatement(NOW)) {
            ps.setLong(1, message.path("oid").asLong());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return Optional.empty();
                now = JSON.readTree(rs.getString(1));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        ObjectNode settled = ((ObjectNode) message).deepCopy();
        // now a change of the table itself: a column's message names schema.table.column
        settled.put("type", "table");
        for (String field : new String[] {"identity", "schema", "columns", "constraints", "security"}) settled.set(field, now.get(field));
        if (sameTable(message, settled)) return Optional.empty();
        return Optional.of(settled.toString());
    }

    private static boolean sameTable(JsonNode a, JsonNode b) {
        for (String field : new String[] {"columns", "constraints", "security"}) {
            if (!a.path(field).equals(b.path(field))) return false;
        }
        // a column's message names schema.table.column: compare the table's part
        String identity = a.path("identity").asText();
        if ("table column".equals(a.path("type").asText())) identity = identity.substring(0, identity.lastIndexOf('.'));
        return identity.equals(b.path("identity").asText());
    }
}
