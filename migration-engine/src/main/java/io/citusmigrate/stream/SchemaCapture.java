package io.citusmigrate.stream;

import io.citusmigrate.UserError;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.sql.Sql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The capture of schema changes on the source: an event trigger (made in the publication's
 * transaction, dropped in the one that drops it) writes each DDL command on the migrated schemas
 * into the WAL as a transactional logical message, in its place among the row changes, with the
 * table as the command left it. {@link SchemaChanges} carries them to the target. An event trigger
 * needs a superuser: without one the live migration is refused before the source is touched.
 */
public final class SchemaCapture {
    /** The prefix of the trigger's messages. */
    static final String PREFIX = io.citusmigrate.sink.SchemaChangeMessage.PREFIX;

    // What a message says of its table, read in the command's own transaction (for the row r of
    // pg_event_trigger_ddl_commands): the stream compares the target with the table as this command
    // left it, not with the source as it is by the time the message is read (later commands may have
    // changed it again). SettledChanges reads the same of a table as it is now.
    /** The table's columns. */
    static final String COLUMNS = "(SELECT pg_catalog.json_agg(pg_catalog.json_build_object('num', a.attnum, 'name', a.attname, 'type', pg_catalog.format_type(a.atttypid,"
            + " a.atttypmod), 'default', pg_catalog.pg_get_expr(d.adbin, d.adrelid), 'notnull', a.attnotnull, 'identity', a.attidentity <> '',"
            + " 'generated', a.attgenerated <> '', 'hasmissing', a.atthasmissing, 'missing', CASE WHEN a.atthasmissing THEN"
            + " (a.attmissingval::text::text[])[1] END) ORDER BY a.attnum) FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d"
            + " ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = r.objid AND a.attnum > 0 AND NOT a.attisdropped"
            + " AND r.object_type IN ('table', 'table column'))";
    /** Its constraints (an ALTER TABLE may change those alone). */
    static final String CONSTRAINTS = "(SELECT pg_catalog.json_agg(pg_catalog.json_build_object('name', k.conname, 'type', k.contype, 'definition',"
            + " pg_catalog.pg_get_constraintdef(k.oid)) ORDER BY k.conname) FROM pg_catalog.pg_constraint k WHERE k.conrelid = r.objid"
            + " AND k.contype IN ('c', 'p', 'u', 'f', 'x') AND r.object_type IN ('table', 'table column'))";
    /** Its row-level security switches. */
    static final String SECURITY = "(SELECT pg_catalog.json_build_object('enabled', c.relrowsecurity, 'forced', c.relforcerowsecurity)"
            + " FROM pg_catalog.pg_class c WHERE c.oid = r.objid AND r.object_type IN ('table', 'table column'))";

    /** Its name before the command (a table renamed), from the names the command's start kept; null when not known. */
    static final String WAS = "(CASE WHEN r.object_type = 'table' THEN NULLIF(pg_catalog.current_setting('citus_migrate.names', true), '')::pg_catalog.json"
            + " ->> r.objid::text END)";

    private SchemaCapture() {}

    static String objectName(String publication) {
        String n = "citus_migrate_ddl_" + publication;
        return n.length() > 63 ? n.substring(0, 63) : n;
    }

    /** An event trigger needs a superuser: refused before anything is made, never silently off. */
    public static void refuseWithoutSuperuser(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user")) {
            if (rs.next() && rs.getBoolean(1)) return;
        }
        throw new UserError("a live migration captures the source's schema changes with an event trigger, which only a superuser can"
                + " create, and this user is not one. Nothing was changed on the source. Run the live migration as a superuser of"
                + " the source, or move the data with `with snapshot only`");
    }

    /**
     * The event triggers and their function, in the publication's transaction. They capture the
     * schemas the plan takes tables from, and any schema a {@code distribute schemas matching}
     * rule takes (a tenant schema created while streaming).
     */
    public static void create(Connection c, String publication, Plan plan, List<io.citusmigrate.load.DistributeRule> rules) throws SQLException {
        // A new permanent table joins the publication in the transaction that creates it, so that its first rows are
        // published; the stream then plans and creates it on the target. A plain one without a primary key gets REPLICA
        // IDENTITY FULL first (published under the default one, the application's UPDATE and DELETE on it would fail),
        // its own setting kept in the publication's comment as ReplicaIdentities keeps the others', to be put back with them.
        // A partitioned one without a primary key is left out; its message stops the stream.
        String pub = Sql.literal(publication);
        String noKey = "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conrelid = r.objid AND k.contype = 'p')";
        String full = " IF " + noKey + " AND EXISTS (SELECT 1 FROM pg_catalog.pg_class t WHERE t.oid = r.objid AND t.relkind = 'r'"
                + "   AND t.relreplident = 'd') THEN"
                + ReplicaIdentities.setFullInTrigger(publication)
                + " END IF;";
        String join = " IF r.command_tag = 'CREATE TABLE' AND r.object_type = 'table' AND EXISTS (SELECT 1 FROM pg_catalog.pg_class t"
                + " WHERE t.oid = r.objid AND t.relkind IN ('r', 'p') AND t.relpersistence = 'p' AND NOT t.relispartition) THEN"
                + full
                // on Connect, Debezium makes the publication when its task starts: until then there is none to join
                + "   IF (NOT " + noKey + " OR EXISTS (SELECT 1 FROM pg_catalog.pg_class t WHERE t.oid = r.objid AND t.relreplident = 'f'))"
                + "     AND EXISTS (SELECT 1 FROM pg_catalog.pg_publication p WHERE p.pubname = " + pub + ") THEN"
                + "     EXECUTE pg_catalog.format('ALTER PUBLICATION %I ADD TABLE %s', " + pub + ", r.object_identity);"
                + "   END IF;"
                // a published table's primary key dropped: the same, so that the application's UPDATE and DELETE go on
                // working (the stream then matches its rows by all their columns)
                + " ELSIF r.command_tag = 'ALTER TABLE' AND r.object_type = 'table' AND EXISTS (SELECT 1 FROM pg_catalog.pg_publication_rel pr"
                + "   JOIN pg_catalog.pg_publication p ON p.oid = pr.prpubid WHERE p.pubname = " + pub + " AND pr.prrelid = r.objid) THEN"
                + full
                + " END IF;";
        List<String> schemas = plan.sourceTables().stream().map(t -> t.source().name().schema()).distinct().sorted().toList();
        if (schemas.isEmpty()) return;
        String name = objectName(publication);
        String function = Sql.ident(schemas.get(0)) + "." + Sql.ident(name);
        String inSchemas = "(schema_name = ANY (" + schemas.stream().map(Sql::literal).collect(Collectors.joining(", ", "ARRAY[", "]::text[]")) + ")"
                + CapturedSchemas.matching(rules) + ")";
        // an index as this command made it (later commands may rename its columns): its table, definition and plain key columns
        String indexTable = "(SELECT i.indrelid::pg_catalog.regclass::text FROM pg_catalog.pg_index i WHERE i.indexrelid = r.objid"
                + " AND r.object_type = 'index')";
        String index = "(SELECT pg_catalog.json_build_object('definition', pg_catalog.pg_get_indexdef(i.indexrelid), 'unique', i.indisunique,"
                + " 'keys', ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(attnum, k) JOIN pg_catalog.pg_attribute a"
                + " ON a.attrelid = i.indrelid AND a.attnum = u.attnum WHERE u.k <= i.indnkeyatts)) FROM pg_catalog.pg_index i"
                + " WHERE i.indexrelid = r.objid AND r.object_type = 'index')";
        String emit = "PERFORM pg_catalog.pg_logical_emit_message(true, '" + PREFIX + "', pg_catalog.json_build_object('tag', r.command_tag,"
                + " 'type', r.object_type, 'identity', r.object_identity, 'oid', r.objid, 'schema', r.schema_name, 'query', pg_catalog.current_query(),"
                + " 'columns', " + COLUMNS + ", 'table', " + indexTable + ", 'index', " + index
                + ", 'constraints', " + CONSTRAINTS + ", 'security', " + SECURITY + ", 'was', " + WAS + ")::text);";
        // A table's name before this ALTER TABLE (read at its start): on Connect a table renamed has its rows up to here in its
        // old name's topic, where the change goes. Read only for a command that may rename one.
        String names = "PERFORM pg_catalog.set_config('citus_migrate.names', COALESCE((SELECT pg_catalog.json_object_agg(c.oid::text,"
                + " pg_catalog.format('%I.%I', n.nspname, c.relname)) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY (" + schemas.stream().map(Sql::literal).collect(Collectors.joining(", ", "ARRAY[", "]::text[]"))
                + "))::text, ''), true);";
        try (Statement s = c.createStatement()) {
            // expressions rendered in full, whatever the application's search_path
            // SECURITY DEFINER: the application's own role, which owns neither the publication nor this function, creates
            // tables too, and the statements above must not fail its CREATE TABLE. The setting keeps this function from
            // capturing its own statements (event triggers fire for them as well).
            // ISO dates: a value it renders (a column's default as existing rows took it) is read back on the target
            s.execute("CREATE FUNCTION " + function + "() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog"
                    + " SET datestyle = 'ISO, YMD' SET intervalstyle = 'postgres' SET extra_float_digits = 3"
                    + " AS $$DECLARE r record; BEGIN"
                    + " IF pg_catalog.current_setting('citus_migrate.capturing', true) = 'on' THEN RETURN; END IF;"
                    + " IF TG_EVENT = 'ddl_command_start' THEN"
                    + "   IF pg_catalog.current_query() ~* '(rename|set[[:space:]]+schema)' THEN " + names + " END IF;"
                    + "   RETURN;"
                    + " END IF;"
                    + " PERFORM pg_catalog.set_config('citus_migrate.capturing', 'on', true);"
                    + " IF TG_EVENT = 'sql_drop' THEN"
                    + "   FOR r IN SELECT 'DROP ' || upper(object_type) AS command_tag, object_type, object_identity, schema_name, objid"
                    + "     FROM pg_catalog.pg_event_trigger_dropped_objects() WHERE original AND object_type IN ('table', 'index')"
                    + "     AND " + inSchemas + " LOOP " + emit + " END LOOP;"
                    + " ELSE"
                    // GRANT and REVOKE name no schema: the stream makes the target's access the source's on each
                    + "   FOR r IN SELECT * FROM pg_catalog.pg_event_trigger_ddl_commands() WHERE " + inSchemas
                    + "     OR command_tag IN ('GRANT', 'REVOKE')"
                    + "     LOOP " + join + emit + " END LOOP;"
                    + " END IF;"
                    + " PERFORM pg_catalog.set_config('citus_migrate.capturing', 'off', true); END$$");
            s.execute("CREATE EVENT TRIGGER " + Sql.ident(name) + " ON ddl_command_end EXECUTE FUNCTION " + function + "()");
            s.execute("CREATE EVENT TRIGGER " + Sql.ident(name + "_drop") + " ON sql_drop EXECUTE FUNCTION " + function + "()");
            s.execute("CREATE EVENT TRIGGER " + Sql.ident(name + "_start") + " ON ddl_command_start WHEN TAG IN ('ALTER TABLE')"
                    + " EXECUTE FUNCTION " + function + "()");
        }
    }

    /** Drops this publication's event triggers and their function. */
    public static void drop(Connection c, String publication) throws SQLException {
        LiveSource.dropOwnFunction(c, objectName(publication)); // its event triggers with it
    }
}
