package io.citusmigrate.stream;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.citusmigrate.UserError;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.TablePlan;
import io.citusmigrate.sql.Sql;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Tables without a primary key stream under REPLICA IDENTITY FULL: PostgreSQL then writes their
 * old rows whole into the WAL, so the sink can match a row by all its columns, and it accepts the
 * application's UPDATE and DELETE on a published table (under the default identity it refuses
 * them). Each table's own setting is kept in the publication's comment, the tool's own object on
 * the source, and put back in the transaction that drops the publication: whoever drops it
 * (the cutover, `cleanup`, a run that failed before streaming) restores the tables with it.
 */
public final class ReplicaIdentities {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Types the sink reads again from the source by key (Debezium alters them): a row without a key cannot be read again. */
    private static final Set<String> REREAD = Set.of("money", "time with time zone", "timetz");

    /** One table's own replica identity: d(efault), n(othing), f(ull) or i(ndex), with the index for i. */
    public record Kept(String schema, String table, String identity, String index) {}

    private ReplicaIdentities() {}

    /** The streamed tables without a primary key, as the plan names them on the source. */
    public static List<TablePlan> keyless(Plan plan) {
        return ConnectorConfigs.streamed(plan).stream().filter(t -> t.source().primaryKey().isEmpty()).toList();
    }

    /**
     * Refuses, before the source is touched, the keyless tables the sink cannot match by their
     * columns: one that other tables take their tenant key from (a parent changing tenant moves
     * its children by its key), or one with a column Debezium alters on the way (money, timetz).
     */
    public static void refuseUnmatchable(Plan plan) {
        List<String> why = new ArrayList<>();
        for (TablePlan t : keyless(plan)) why.addAll(unmatchable(plan, t));
        if (why.isEmpty()) return;
        throw new UserError("cannot stream these tables without a primary key (nothing was changed on the source; give each a"
                + " primary key, or move the data with `with snapshot only`): " + String.join("; ", why));
    }

    /** Why the sink cannot match a keyless table's rows by their columns, or nothing. */
    public static List<String> unmatchable(Plan plan, TablePlan t) {
        List<String> why = new ArrayList<>();
        boolean parent = plan.tables().stream().anyMatch(c -> !c.backfillPath().isEmpty()
                && c.backfillPath().get(0).parent().equals(t.source().name()));
        if (parent) why.add(t.source().name().sql() + ": other tables take their tenant key from it");
        t.source().columns().stream().filter(c -> !c.type().array() && REREAD.contains(c.type().withoutTypmod()))
                .forEach(c -> why.add(t.source().name().sql() + "." + Sql.ident(c.name()) + " (" + c.type().sql()
                        + "): Debezium alters its values, and a row without a key cannot be read again from the source"));
        return why;
    }

    /**
     * In the publication's transaction: each keyless table (and each of its partitions) gets
     * REPLICA IDENTITY FULL, and its own setting goes into the publication's comment.
     * A lock the application holds for long fails the statement rather than queueing its writes.
     */
    static void setFull(Connection c, String publication, Plan plan) throws SQLException {
        List<Kept> kept = new ArrayList<>();
        for (TablePlan t : keyless(plan)) kept.addAll(current(c, t.source().name().sql()));
        if (kept.isEmpty()) return;
        try (Statement s = c.createStatement()) {
            s.execute("SET LOCAL lock_timeout = '10s'");
            for (Kept k : kept) {
                if (!k.identity().equals("f")) s.execute("ALTER TABLE " + name(k) + " REPLICA IDENTITY FULL");
            }
            s.execute("COMMENT ON PUBLICATION " + Sql.ident(publication) + " IS " + Sql.literal(JSON.writeValueAsString(kept)));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * PL/pgSQL for the capture's event trigger (see {@link SchemaChanges}): the table {@code r.objid}
     * gets REPLICA IDENTITY FULL and its own setting, the default one, joins those kept in the
     * publication's comment, written as {@link Kept} is read.
     */
    static String setFullInTrigger(String publication) {
        String pub = Sql.literal(publication);
        return "   EXECUTE pg_catalog.format('ALTER TABLE %s REPLICA IDENTITY FULL', r.object_identity);"
                + "   EXECUTE pg_catalog.format('COMMENT ON PUBLICATION %I IS %L', " + pub + ", (COALESCE((SELECT pg_catalog.obj_description(p.oid,"
                + "     'pg_publication')::jsonb FROM pg_catalog.pg_publication p WHERE p.pubname = " + pub + "), '[]'::jsonb)"
                + "     || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('schema', r.schema_name, 'table', (SELECT t.relname FROM"
                + "     pg_catalog.pg_class t WHERE t.oid = r.objid), 'identity', 'd', 'index', NULL)))::text);";
    }

    /** Puts back what {@link #setFull} changed, from the publication's comment (tables gone since are skipped); returns them. */
    static List<Kept> restore(Connection c, String publication) throws SQLException {
        List<Kept> kept = read(c, publication);
        try (Statement s = c.createStatement()) {
            for (Kept k : kept) {
                if (k.identity().equals("f") || !exists(c, k)) continue;
                String to = switch (k.identity()) {
                    case "n" -> "NOTHING";
                    case "i" -> indexExists(c, k) ? "USING INDEX " + Sql.ident(k.index()) : "DEFAULT";
                    default -> "DEFAULT";
                };
                s.execute("ALTER TABLE " + name(k) + " REPLICA IDENTITY " + to);
            }
        }
        return kept;
    }

    /** The tables whose replica identity the publication's comment says were changed. */
    public static List<Kept> read(Connection c, String publication) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.obj_description(oid, 'pg_publication') FROM pg_catalog.pg_publication"
                + " WHERE pubname = ?")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || rs.getString(1) == null || !rs.getString(1).startsWith("[")) return List.of();
                return JSON.readValue(rs.getString(1), new TypeReference<List<Kept>>() { });
            } catch (IOException e) {
                return List.of(); // not a comment this tool wrote
            }
        }
    }

    /** The table and its partitions, each with its replica identity now. */
    private static List<Kept> current(Connection c, String table) throws SQLException {
        List<Kept> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT n.nspname, r.relname, r.relreplident::text, i.relname"
                // pg_partition_tree has no row for a table outside any partition tree
                + " FROM (SELECT ?::regclass AS relid, 0 AS level UNION SELECT relid, level FROM pg_catalog.pg_partition_tree(?::regclass)) p"
                + " JOIN pg_catalog.pg_class r ON r.oid = p.relid"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace"
                + " LEFT JOIN pg_catalog.pg_index x ON x.indrelid = r.oid AND x.indisreplident"
                + " LEFT JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid ORDER BY p.level")) {
            ps.setString(1, table);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(new Kept(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)));
            }
        }
        return out;
    }

    private static boolean exists(Connection c, Kept k) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_catalog.pg_class r JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace"
                + " WHERE n.nspname = ? AND r.relname = ?")) {
            ps.setString(1, k.schema());
            ps.setString(2, k.table());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static boolean indexExists(Connection c, Kept k) throws SQLException {
        return k.index() != null && exists(c, new Kept(k.schema(), k.index(), null, null));
    }

    private static String name(Kept k) {
        return Sql.ident(k.schema()) + "." + Sql.ident(k.table());
    }
}
