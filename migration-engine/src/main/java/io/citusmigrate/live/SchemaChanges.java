package io.citusmigrate.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.citusmigrate.UserError;
import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.TablePlan;
import io.citusmigrate.sql.Sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Schema changes on the source while streaming. Debezium emits no DDL for PostgreSQL, so an
 * event trigger (made in the publication's transaction, dropped in the one that drops it) writes
 * each DDL command on the migrated schemas into the WAL as a transactional logical message, in
 * its place among the row changes. The stream writes what came before it, then carries it:
 * column changes of a migrated table (ADD and DROP COLUMN, SET and DROP DEFAULT or NOT NULL) by
 * comparing the table's columns on both sides and altering the target's to match; anything else
 * stops the stream before any later change is applied, naming the statement. An event trigger
 * needs a superuser: without one the live migration is refused before the source is touched.
 */
public final class SchemaChanges {
    /** The prefix of the trigger's messages. */
    public static final String PREFIX = "citus_migrate_ddl";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A captured DDL command: its tag (ALTER TABLE), object type and identity, and the statement. */
    public record Change(String tag, String type, String identity, String schema, String query, Map<String, Column> columns) {
        static Change of(String content) {
            try {
                JsonNode n = JSON.readTree(content);
                Map<String, Column> cols = new LinkedHashMap<>();
                for (JsonNode c : n.path("columns")) {
                    boolean generated = c.path("generated").asBoolean();
                    cols.put(c.path("name").asText(), new Column(c.path("name").asText(), c.path("type").asText(),
                            generated || c.path("default").isNull() ? null : c.path("default").asText(), c.path("notnull").asBoolean(),
                            c.path("identity").asBoolean(), generated));
                }
                return new Change(n.path("tag").asText(), n.path("type").asText(), n.path("identity").asText(), n.path("schema").asText(),
                        n.path("query").asText(), cols);
            } catch (java.io.IOException e) {
                throw new IllegalStateException("not a schema change message: " + content, e);
            }
        }

        String said() {
            return tag + " " + identity + " (" + query.strip() + ")";
        }
    }

    /** Carrying it failed for a reason the user must settle: the migration cannot go on from this slot. */
    public static final class NotCarried extends UserError {
        NotCarried(String message) {
            super(message);
        }
    }

    private SchemaChanges() {}

    static String objectName(String publication) {
        String n = "citus_migrate_ddl_" + publication;
        return n.length() > 63 ? n.substring(0, 63) : n;
    }

    /** An event trigger needs a superuser: refused before anything is made, never silently off. */
    static void refuseWithoutSuperuser(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user")) {
            if (rs.next() && rs.getBoolean(1)) return;
        }
        throw new UserError("a live migration captures the source's schema changes with an event trigger, which only a superuser can"
                + " create, and this user is not one. Nothing was changed on the source. Run the live migration as a superuser of"
                + " the source, or move the data with `with snapshot only`");
    }

    /** The event triggers and their function, in the publication's transaction. */
    static void create(Connection c, String publication, Plan plan) throws SQLException {
        List<String> schemas = plan.tables().stream().map(t -> t.source().name().schema()).distinct().sorted().toList();
        if (schemas.isEmpty()) return;
        String name = objectName(publication);
        String function = Sql.ident(schemas.get(0)) + "." + Sql.ident(name);
        String inSchemas = schemas.stream().map(Sql::literal).collect(Collectors.joining(", ", "ARRAY[", "]::text[]"));
        // the table's columns as this command left them, read in its own transaction: the stream compares the target with
        // them, not with the source as it is by the time the message is read (later commands may have changed it again)
        String columns = "(SELECT pg_catalog.json_agg(pg_catalog.json_build_object('name', a.attname, 'type', pg_catalog.format_type(a.atttypid,"
                + " a.atttypmod), 'default', pg_catalog.pg_get_expr(d.adbin, d.adrelid), 'notnull', a.attnotnull, 'identity', a.attidentity <> '',"
                + " 'generated', a.attgenerated <> '') ORDER BY a.attnum) FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d"
                + " ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = r.objid AND a.attnum > 0 AND NOT a.attisdropped"
                + " AND r.object_type = 'table')";
        String emit = "PERFORM pg_catalog.pg_logical_emit_message(true, '" + PREFIX + "', pg_catalog.json_build_object('tag', r.command_tag,"
                + " 'type', r.object_type, 'identity', r.object_identity, 'schema', r.schema_name, 'query', pg_catalog.current_query(),"
                + " 'columns', " + columns + ")::text);";
        try (Statement s = c.createStatement()) {
            // expressions rendered in full, whatever the application's search_path
            s.execute("CREATE FUNCTION " + function + "() RETURNS event_trigger LANGUAGE plpgsql SET search_path = pg_catalog AS $$DECLARE r record; BEGIN"
                    + " IF TG_EVENT = 'sql_drop' THEN"
                    + "   FOR r IN SELECT 'DROP TABLE' AS command_tag, object_type, object_identity, schema_name, objid"
                    + "     FROM pg_catalog.pg_event_trigger_dropped_objects() WHERE original AND object_type = 'table'"
                    + "     AND schema_name = ANY (" + inSchemas + ") LOOP " + emit + " END LOOP;"
                    + " ELSE"
                    + "   FOR r IN SELECT * FROM pg_catalog.pg_event_trigger_ddl_commands() WHERE schema_name = ANY (" + inSchemas + ")"
                    + "     LOOP " + emit + " END LOOP;"
                    + " END IF; END$$");
            s.execute("CREATE EVENT TRIGGER " + Sql.ident(name) + " ON ddl_command_end EXECUTE FUNCTION " + function + "()");
            s.execute("CREATE EVENT TRIGGER " + Sql.ident(name + "_drop") + " ON sql_drop EXECUTE FUNCTION " + function + "()");
        }
    }

    /** Drops this publication's event triggers and their function. */
    static void drop(Connection c, String publication) throws SQLException {
        LiveSource.dropOwnFunction(c, objectName(publication)); // its event triggers with it
    }

    /**
     * Carries one captured change to the target; returns what it did, one line (empty when there
     * was nothing left to do: a change read again after a restart). Throws {@link NotCarried}
     * for a change this version cannot carry while streaming.
     */
    public static String carry(String content, Plan plan, Connection target, String file) throws SQLException {
        Change ch = Change.of(content);
        TablePlan t = "table".equals(ch.type()) ? table(plan, ch.identity()) : null;
        if (t == null || !ch.tag().equals("ALTER TABLE")) {
            throw new NotCarried("a schema change on the source that this version does not carry while streaming: " + ch.said()
                    + ". Nothing after it was applied to the target. To take it in, start the migration over: `citus-migrate cleanup "
                    + file + "`, then `citus-migrate migrate " + file + "`");
        }
        // what changed on the source since the plan was made, done to the target: the plan's own differences
        // between the two sides (casts, the added tenant key, NOT NULL on a distribution column) stay
        Map<String, Column> src = ch.columns();
        Map<String, Column> tgt = columns(target, t.target().sql());
        List<String> actions = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Column c : src.values()) {
            Column now = tgt.get(c.name());
            io.citusmigrate.catalog.Column was = t.source().column(c.name()).orElse(null);
            if (now == null) {
                if (c.identity() || c.generated()) problems.add("column " + c.name() + " is an identity or generated column");
                else actions.add("ADD COLUMN " + Sql.ident(c.name()) + " " + c.type() + (c.defaultExpr() != null ? " DEFAULT " + c.defaultExpr() : "")
                        + (c.notNull() ? " NOT NULL" : ""));
                continue;
            }
            String typeBefore = was != null ? was.type().sql() : now.type();
            String defaultBefore = was != null ? was.defaultExpr() : now.defaultExpr();
            boolean notNullBefore = was != null ? was.notNull() : now.notNull();
            if (!typeBefore.equals(c.type())) problems.add("column " + c.name() + " changed type (" + typeBefore + " to " + c.type() + ")");
            boolean defaultChanged = !java.util.Objects.equals(defaultBefore, c.defaultExpr()) && !java.util.Objects.equals(now.defaultExpr(), c.defaultExpr());
            if (defaultChanged && c.defaultExpr() != null && c.defaultExpr().contains("nextval(")) {
                problems.add("column " + c.name() + " got a sequence default (" + c.defaultExpr() + ")");
            } else if (defaultChanged) {
                actions.add("ALTER COLUMN " + Sql.ident(c.name()) + (c.defaultExpr() == null ? " DROP DEFAULT" : " SET DEFAULT " + c.defaultExpr()));
            }
            if (notNullBefore != c.notNull() && now.notNull() != c.notNull()) {
                actions.add("ALTER COLUMN " + Sql.ident(c.name()) + (c.notNull() ? " SET" : " DROP") + " NOT NULL");
            }
        }
        for (Column c : tgt.values()) {
            // dropped on the source since the plan; a column only the target has by the plan stays
            if (!src.containsKey(c.name()) && t.source().column(c.name()).isPresent()) actions.add("DROP COLUMN " + Sql.ident(c.name()));
        }
        if (!problems.isEmpty()) {
            throw new NotCarried("a schema change on the source that this version does not carry while streaming: " + ch.said() + ": "
                    + String.join("; ", problems) + ". Nothing after it was applied to the target. To take it in, start the migration over:"
                    + " `citus-migrate cleanup " + file + "`, then `citus-migrate migrate " + file + "`");
        }
        if (actions.isEmpty()) return "";
        try (Statement s = target.createStatement()) {
            s.execute("ALTER TABLE " + t.target().sql() + " " + String.join(", ", actions));
        }
        return "schema change carried to " + t.target() + ": " + String.join(", ", actions);
    }

    private static TablePlan table(Plan plan, String identity) {
        for (TablePlan t : plan.tables()) {
            QualifiedName n = t.source().name();
            if (identity.equals(n.sql()) || identity.equals(n.schema() + "." + n.name())) return t;
        }
        return null;
    }

    /** A column as both sides are compared: its type as PostgreSQL prints it, default, NOT NULL, identity or generated. */
    private record Column(String name, String type, String defaultExpr, boolean notNull, boolean identity, boolean generated) {}

    private static Map<String, Column> columns(Connection c, String table) throws SQLException {
        // expressions name their objects in full, as the plan's catalog read them
        try (Statement s = c.createStatement()) {
            s.execute("SET search_path = pg_catalog");
        }
        Map<String, Column> out = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),"
                + " pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attnotnull, a.attidentity <> '', a.attgenerated <> ''"
                + " FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
                + " WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    boolean generated = rs.getBoolean(6);
                    out.put(rs.getString(1), new Column(rs.getString(1), rs.getString(2), generated ? null : rs.getString(3), rs.getBoolean(4),
                            rs.getBoolean(5), generated));
                }
            }
        }
        return out;
    }
}
