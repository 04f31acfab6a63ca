package io.citusmigrate.stream;

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
    public static final String PREFIX = io.citusmigrate.sink.PartitionTruncate.PREFIX;

    private PartitionTruncates() {}

    /** The trigger's and its function's name for a publication (at most 63 bytes, PostgreSQL's limit). */
    static String objectName(String publication) {
        String n = "citus_migrate_truncate_" + publication;
        return n.length() > 63 ? n.substring(0, 63) : n;
    }

    /**
     * The triggers for a Connect deployment, made again if an earlier deploy made them (Connect
     * routes their messages into the root's topic, see {@link io.citusmigrate.sink.PartitionTruncateRouter}).
     */
    public static void replace(Connection c, String publication, Plan plan) throws SQLException {
        io.citusmigrate.db.Databases.inTransaction(c, () -> {
            drop(c, publication);
            create(c, publication, plan);
        });
    }

    static void create(Connection c, String publication, Plan plan) throws SQLException {
        List<TablePlan> partitions = plan.tables().stream().filter(TablePlan::isPartition).toList();
        if (partitions.isEmpty()) return;
        String name = objectName(publication);
        // in the first partition's schema: the function needs one, and that one is certainly there
        String function = Sql.ident(partitions.get(0).source().name().schema()) + "." + Sql.ident(name);
        try (Statement s = c.createStatement()) {
            // the root too: on Connect the message goes into the root table's topic
            s.execute("CREATE FUNCTION " + function + "() RETURNS trigger LANGUAGE plpgsql AS $$DECLARE r record; BEGIN"
                    + " SELECT n.nspname AS s, c.relname AS t INTO r FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                    + " ON n.oid = c.relnamespace WHERE c.oid = pg_catalog.pg_partition_root(TG_RELID);"
                    + " PERFORM pg_catalog.pg_logical_emit_message(true, '" + PREFIX + "',"
                    + " pg_catalog.json_build_object('schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME, 'root_schema', r.s, 'root_table', r.t)::text);"
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
        io.citusmigrate.sink.PartitionTruncate t = io.citusmigrate.sink.PartitionTruncate.parse(content);
        return new QualifiedName(t.schema(), t.table());
    }
}
