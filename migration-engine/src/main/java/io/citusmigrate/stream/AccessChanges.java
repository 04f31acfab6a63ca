package io.citusmigrate.stream;

import io.citusmigrate.catalog.CatalogReader;
import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.db.Databases;
import io.citusmigrate.ddl.AccessScript;
import io.citusmigrate.ddl.Statement;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.plan.AccessPlan;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.Planner;
import io.citusmigrate.plan.TablePlan;
import io.citusmigrate.sql.Sql;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Privileges, owners, row-level security, policies and comments changed on the source while
 * streaming (GRANT, REVOKE, CREATE / ALTER / DROP POLICY, COMMENT, ALTER ... OWNER TO). They
 * change no row, so the target takes the source's state as it is when the change is met: the
 * source read and planned again, and for each migrated table and sequence the target's
 * privileges revoked and granted as planned, its policies made again, its row-level security
 * switches and comments set, in one transaction.
 */
public final class AccessChanges {
    /** The commands whose effect this class carries. */
    static final Set<String> TAGS = Set.of("GRANT", "REVOKE", "CREATE POLICY", "ALTER POLICY", "DROP POLICY", "COMMENT");

    private AccessChanges() {}

    /** The source read and planned again as it is now, checked against the target (its roles, the privileges it has). */
    static Plan planNow(Connection target, LoadCommand cmd) throws SQLException {
        return Planner.plan(cmd, SchemaChanges.sourceNow(cmd), new CatalogReader(target).targetFacts(cmd));
    }

    /** The same with the plan made from the source as it is now ({@code now}). */
    public static String sync(Plan streamed, Plan now, Connection target) throws SQLException {
        // the tables the stream writes, as the plan made now takes their access (by oid: a name may have changed since)
        List<TablePlan> tables = new ArrayList<>();
        for (TablePlan t : streamed.tables()) {
            now.tables().stream().filter(x -> x.source().oid() == t.source().oid() && x.target().equals(t.target())).findFirst().ifPresent(tables::add);
        }
        List<QualifiedName> sequences = now.sequences().stream().map(io.citusmigrate.catalog.Sequence::name)
                .filter(n -> streamed.sequences().stream().anyMatch(q -> q.name().equals(n))).toList();
        List<String> sql = new ArrayList<>();
        for (TablePlan t : tables) {
            sql.addAll(revokes(target, t.target()));
            for (String p : policies(target, t.target())) sql.add("DROP POLICY " + Sql.ident(p) + " ON " + t.target().sql());
            sql.add("ALTER TABLE " + t.target().sql() + " DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY");
            sql.add("COMMENT ON TABLE " + t.target().sql() + " IS " + (t.source().comment() == null ? "NULL" : Sql.literal(t.source().comment())));
            for (io.citusmigrate.catalog.Column c : t.columns()) {
                if (t.tenantColumnAdded() && c.name().equals(t.distributionColumn())) continue;
                sql.add("COMMENT ON COLUMN " + t.target().sql() + "." + Sql.ident(c.name()) + " IS " + (c.comment() == null ? "NULL" : Sql.literal(c.comment())));
            }
        }
        for (QualifiedName q : sequences) sql.addAll(revokes(target, q));
        Set<QualifiedName> objects = new java.util.HashSet<>(sequences);
        tables.forEach(t -> objects.add(t.target()));
        AccessPlan a = now.access();
        AccessPlan only = new AccessPlan(List.of(), List.of(), a.owners().stream().filter(o -> objects.contains(o.object())).toList(),
                a.privileges().stream().filter(p -> objects.contains(p.object())).toList(), List.of(),
                a.rowSecurity().stream().filter(r -> objects.contains(r.table())).toList(),
                a.policies().stream().filter(p -> objects.contains(p.table())).toList(), List.of(), a.rolesChecked());
        Plan one = new Plan(now.schemas(), List.of(), List.of(), now.sequences(), tables, List.of(), List.of(), List.of(), only);
        for (Statement s : AccessScript.grants(one)) sql.add(s.sql());
        for (Statement s : AccessScript.rowSecurity(one)) sql.add(s.sql());
        Databases.inTransaction(target, () -> {
            try (java.sql.Statement st = target.createStatement()) {
                for (String s : sql) st.execute(s);
            }
        });
        return "privileges, owners, row-level security, policies and comments of " + tables.size() + " tables and " + sequences.size()
                + " sequences made the source's on the target";
    }

    /** REVOKE ALL from every role an object's or its columns' privileges name on the target (PUBLIC too), but its owner. */
    private static List<String> revokes(Connection target, QualifiedName object) throws SQLException {
        List<String> out = new ArrayList<>();
        for (String[] r : Databases.rows(target, "SELECT NULL::name, r.rolname FROM pg_catalog.pg_class c,"
                + " pg_catalog.aclexplode(c.relacl) x LEFT JOIN pg_catalog.pg_roles r ON r.oid = x.grantee"
                + " WHERE c.oid = ?::regclass AND c.relacl IS NOT NULL AND x.grantee <> c.relowner"
                + " UNION SELECT a.attname, r.rolname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid"
                + " AND a.attnum > 0 AND a.attacl IS NOT NULL, pg_catalog.aclexplode(a.attacl) x LEFT JOIN pg_catalog.pg_roles r ON r.oid = x.grantee"
                + " WHERE c.oid = ?::regclass AND x.grantee <> c.relowner", object.sql(), object.sql())) {
            String role = r[1] == null ? "PUBLIC" : Sql.ident(r[1]);
            out.add("REVOKE ALL " + (r[0] == null ? "" : "(" + Sql.ident(r[0]) + ") ") + "ON " + object.sql() + " FROM " + role);
        }
        return out;
    }

    private static List<String> policies(Connection target, QualifiedName table) throws SQLException {
        return Databases.column(target, "SELECT polname FROM pg_catalog.pg_policy WHERE polrelid = ?::regclass", table.sql());
    }
}
