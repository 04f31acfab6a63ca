package io.citusmigrate.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.TablePlan;
import io.citusmigrate.sql.Sql;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * A TRUNCATE of one partition. The publication sends a partition's changes through its root,
 * and then PostgreSQL sends no TRUNCATE of a partition at all. So each partition gets a statement
 * trigger that writes a transactional logical message naming it, which the stream meets at its
 * place among the row changes, and the run empties the partition on the target there. The
 * function and the triggers are made in the publication's transaction and dropped in the one
 * that drops it.
 */
public final class PartitionTruncates {
    /** The prefix of the trigger's messages. */
    public static final String PREFIX = "citus_migrate_truncate";
    private static final ObjectMapper JSON = new ObjectMapper();

    private PartitionTruncates() {}

    /** The trigger's and its function's name for a publication (at most 63 bytes, PostgreSQL's limit). */
    static String objectName(String publication) {
        String n = "citus_migrate_truncate_" + publication;
        return n.length() > 63 ? n.substring(0, 63) : n;
    }

    static void create(Connection c, String publication, Plan plan) throws SQLException {
        List<TablePlan> partitions = plan.tables().stream().filter(TablePlan::isPartition).toList();
        if (partitions.isEmpty()) return;
        String name = objectName(publication);
        // in the first partition's schema: the function needs one, and that one is certainly there
        String function = Sql.ident(partitions.get(0).source().name().schema()) + "." + Sql.ident(name);
        try (Statement s = c.createStatement()) {
            s.execute("CREATE FUNCTION " + function + "() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
                    + " PERFORM pg_catalog.pg_logical_emit_message(true, '" + PREFIX + "',"
                    + " pg_catalog.json_build_object('schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME)::text);"
                    + " RETURN NULL; END$$");
            for (TablePlan p : partitions) {
                s.execute("CREATE TRIGGER " + Sql.ident(name) + " AFTER TRUNCATE ON " + p.source().name().sql()
                        + " FOR EACH STATEMENT EXECUTE FUNCTION " + function + "()");
            }
        }
    }

    /** Drops the triggers and the function of this publication, wherever they are. */
    static void drop(Connection c, String publication) throws SQLException {
        LiveSource.dropOwnFunction(c, objectName(publication)); // its triggers with it
    }

    /** The source partition a message names. */
    public static QualifiedName partition(String content) {
        try {
            JsonNode n = JSON.readTree(content);
            return new QualifiedName(n.get("schema").asText(), n.get("table").asText());
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalStateException("not a partition TRUNCATE message: " + content, e);
        }
    }
}
