package io.citusmigrate.catalog;

import io.citusmigrate.catalog.Catalog.Extension;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the source schema from pg_catalog into an immutable {@link Catalog}. One query per
 * kind of object, each in its own file under resources; rows are grouped by table in Java.
 */
public final class CatalogReader {
    private final Connection conn;

    public CatalogReader(Connection conn) {
        this.conn = conn;
    }

    /**
     * The source's schema, with the tenant keys the command file's mapping of tenant schemas gives
     * (read before the search path is narrowed). Tenant databases' mapping is in the database the
     * source URL names, which {@link TenantDatabases#catalogs} reads.
     */
    public Catalog read(io.citusmigrate.load.LoadCommand cmd) throws SQLException {
        java.util.Map<String, Long> map = TenantDatabases.rule(cmd).isPresent() ? java.util.Map.of() : TenantMapping.read(conn, cmd);
        return read().withTenantMap(map);
    }

    public Catalog read() throws SQLException {
        int version;
        String versionText;
        try (Statement s = conn.createStatement()) {
            // qualify every non-catalog name in format_type, pg_get_expr and friends
            s.execute("SET search_path = pg_catalog");
            try (ResultSet rs = s.executeQuery("SELECT current_setting('server_version_num')::int, current_setting('server_version')")) {
                rs.next();
                version = rs.getInt(1);
                versionText = rs.getString(2);
            }
        }
        if (version < 130000) {
            throw new io.citusmigrate.UserError("source PostgreSQL " + versionText + " is too old: citus-migrate needs 13 or later");
        }
        try {
            Map<Long, List<Column>> columns = columns();
            Map<Long, List<Constraint>> constraints = new HashMap<>();
            Map<Long, List<ForeignKey>> fks = new HashMap<>();
            constraints(version, constraints, fks);
            Map<Long, List<Index>> indexes = indexes(version);
            Map<Long, List<Trigger>> triggers = triggers();
            List<Table> tables = new ArrayList<>();
            query("tables.sql", rs -> {
                long oid = rs.getLong("oid");
                String parentSchema = rs.getString("parent_schema");
                tables.add(new Table(oid, QualifiedName.of(rs.getString("nspname"), rs.getString("relname")),
                        columns.getOrDefault(oid, List.of()), constraints.getOrDefault(oid, List.of()),
                        fks.getOrDefault(oid, List.of()), indexes.getOrDefault(oid, List.of()),
                        triggers.getOrDefault(oid, List.of()), rs.getString("partition_key"),
                        parentSchema == null ? null : QualifiedName.of(parentSchema, rs.getString("parent_name")),
                        rs.getString("partition_bound"), rs.getString("comment"), rs.getLong("estimated_rows"),
                        rs.getBoolean("unlogged")));
            });
            return new Catalog(versionText, List.copyOf(tables), types(), sequences(), views(), extensions(), routines(),
                    new Access(privileges(), owners(), defaultPrivileges(), rowSecurity(), policies(), roles()), statistics(),
                    operatorsAndCasts());
        } finally {
            try (Statement s = conn.createStatement()) {
                s.execute("RESET search_path");
            }
        }
    }

    private Map<Long, List<Column>> columns() throws SQLException {
        Map<Long, List<Column>> out = new LinkedHashMap<>();
        query("columns.sql", rs -> {
            String elemSchema = rs.getString("elem_schema");
            boolean user = !elemSchema.equals("pg_catalog") && !elemSchema.equals("information_schema");
            char typtype = rs.getString("elem_typtype").charAt(0);
            TypeRef type = new TypeRef(rs.getString("type_sql"),
                    user ? QualifiedName.of(elemSchema, rs.getString("elem_name")) : null, rs.getBoolean("is_array"), typtype);
            out.computeIfAbsent(rs.getLong("attrelid"), k -> new ArrayList<>()).add(new Column(
                    rs.getInt("attnum"), rs.getString("attname"), type, rs.getString("default_expr"),
                    rs.getBoolean("attnotnull"), flag(rs.getString("identity")),
                    flag(rs.getString("generated")) == 's' ? rs.getString("default_expr") : null,
                    rs.getString("collation"), rs.getString("comment")));
        });
        // a generated column's expression is in pg_attrdef too: it is not a default
        out.replaceAll((k, cols) -> cols.stream().map(c -> c.generated() != null ? c.withDefault(null) : c).toList());
        return out;
    }

    private void constraints(int version, Map<Long, List<Constraint>> constraints, Map<Long, List<ForeignKey>> fks) throws SQLException {
        String delSet = version >= 150000
                ? "ARRAY(SELECT a.attname FROM unnest(con.confdelsetcols) WITH ORDINALITY k(attnum, i) "
                  + "JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.i)"
                : "ARRAY[]::name[]";
        run(sql("constraints.sql").replace("/*DELSETCOLS*/", delSet), rs -> {
            long rel = rs.getLong("conrelid");
            char type = rs.getString("contype").charAt(0);
            List<String> cols = strings(rs.getArray("columns"));
            if (type == 'f') {
                fks.computeIfAbsent(rel, k -> new ArrayList<>()).add(new ForeignKey(rs.getString("conname"), cols,
                        QualifiedName.of(rs.getString("ref_schema"), rs.getString("ref_table")), strings(rs.getArray("ref_columns")),
                        flag(rs.getString("on_update")), flag(rs.getString("on_delete")), strings(rs.getArray("delete_set_columns")),
                        flag(rs.getString("match")), rs.getBoolean("condeferrable"), rs.getBoolean("condeferred"),
                        rs.getBoolean("convalidated")));
            } else {
                Constraint.Kind kind = switch (type) {
                    case 'p' -> Constraint.Kind.PRIMARY_KEY;
                    case 'u' -> Constraint.Kind.UNIQUE;
                    case 'x' -> Constraint.Kind.EXCLUDE;
                    default -> Constraint.Kind.CHECK;
                };
                constraints.computeIfAbsent(rel, k -> new ArrayList<>()).add(new Constraint(rs.getString("conname"), kind, cols,
                        rs.getString("definition"), rs.getBoolean("condeferrable"), rs.getBoolean("condeferred")));
            }
        });
    }

    private Map<Long, List<Index>> indexes(int version) throws SQLException {
        Map<Long, List<Index>> out = new HashMap<>();
        String nnd = version >= 150000 ? "i.indnullsnotdistinct" : "false";
        run(sql("indexes.sql").replace("/*NULLSNOTDISTINCT*/", nnd), rs -> {
            List<String> defs = strings(rs.getArray("key_defs"));
            List<String> opclasses = strings(rs.getArray("opclasses"));
            Integer[] options = (Integer[]) rs.getArray("options").getArray();
            List<Index.Key> keys = new ArrayList<>();
            for (int i = 0; i < defs.size(); i++) {
                int opt = i < options.length ? options[i] : 0;
                boolean desc = (opt & 1) != 0;
                boolean nullsFirst = (opt & 2) != 0;
                String ordering = (desc ? " DESC" : "") + (desc && !nullsFirst ? " NULLS LAST" : "") + (!desc && nullsFirst ? " NULLS FIRST" : "");
                String opc = i < opclasses.size() && !opclasses.get(i).isEmpty() ? opclasses.get(i) : null;
                keys.add(new Index.Key(defs.get(i), opc, ordering));
            }
            out.computeIfAbsent(rs.getLong("indrelid"), k -> new ArrayList<>()).add(new Index(rs.getString("index_name"),
                    rs.getBoolean("indisunique"), rs.getString("amname"), keys, strings(rs.getArray("key_columns")),
                    strings(rs.getArray("include_defs")), rs.getString("predicate"), rs.getBoolean("nulls_not_distinct"),
                    rs.getString("definition")));
        });
        return out;
    }

    private Map<Long, List<Trigger>> triggers() throws SQLException {
        Map<Long, List<Trigger>> out = new HashMap<>();
        query("triggers.sql", rs -> out.computeIfAbsent(rs.getLong("tgrelid"), k -> new ArrayList<>())
                .add(new Trigger(rs.getString("tgname"), rs.getString("definition"))));
        return out;
    }

    private List<UserType> types() throws SQLException {
        List<UserType> out = new ArrayList<>();
        query("types.sql", rs -> {
            UserType.Kind kind = switch (rs.getString("typtype")) {
                case "e" -> UserType.Kind.ENUM;
                case "d" -> UserType.Kind.DOMAIN;
                case "c" -> UserType.Kind.COMPOSITE;
                default -> UserType.Kind.RANGE;
            };
            out.add(new UserType(QualifiedName.of(rs.getString("nspname"), rs.getString("typname")), kind,
                    strings(rs.getArray("labels")), rs.getString("base_type"), rs.getString("typdefault"),
                    rs.getBoolean("typnotnull"), strings(rs.getArray("checks")), strings(rs.getArray("attributes")),
                    rs.getString("range_subtype")));
        });
        return List.copyOf(out);
    }

    private List<Sequence> sequences() throws SQLException {
        List<Sequence> out = new ArrayList<>();
        query("sequences.sql", rs -> {
            String ownerSchema = rs.getString("owner_schema");
            out.add(new Sequence(QualifiedName.of(rs.getString("nspname"), rs.getString("relname")), rs.getString("type"),
                    rs.getLong("seqstart"), rs.getLong("seqincrement"), rs.getLong("seqmin"), rs.getLong("seqmax"),
                    rs.getLong("seqcache"), rs.getBoolean("seqcycle"),
                    ownerSchema == null ? null : QualifiedName.of(ownerSchema, rs.getString("owner_table")),
                    rs.getString("owner_column"), "i".equals(rs.getString("deptype"))));
        });
        return List.copyOf(out);
    }

    private List<View> views() throws SQLException {
        List<View> out = new ArrayList<>();
        query("views.sql", rs -> {
            List<QualifiedName> deps = new ArrayList<>();
            Object arr = rs.getArray("depends_on").getArray();
            if (arr instanceof Object[] rows) {
                for (Object row : rows) {
                    Object[] pair = (Object[]) row;
                    deps.add(QualifiedName.of((String) pair[0], (String) pair[1]));
                }
            }
            out.add(new View(QualifiedName.of(rs.getString("nspname"), rs.getString("relname")),
                    "m".equals(rs.getString("relkind")), rs.getString("definition"), List.copyOf(deps), strings(rs.getArray("indexes"))));
        });
        return List.copyOf(out);
    }

    private List<OperatorOrCast> operatorsAndCasts() throws SQLException {
        List<OperatorOrCast> out = new ArrayList<>();
        query("operators_and_casts.sql", rs -> out.add(new OperatorOrCast(rs.getString("kind"), rs.getString("name"), rs.getString("definition"),
                rs.getString("drop_statement"), strings(rs.getArray("schemas")))));
        return List.copyOf(out);
    }

    private List<Statistic> statistics() throws SQLException {
        List<Statistic> out = new ArrayList<>();
        query("statistics.sql", rs -> out.add(new Statistic(QualifiedName.of(rs.getString("nspname"), rs.getString("stxname")),
                QualifiedName.of(rs.getString("table_schema"), rs.getString("table_name")), rs.getString("definition"))));
        return List.copyOf(out);
    }

    private List<Extension> extensions() throws SQLException {
        List<Extension> out = new ArrayList<>();
        query("extensions.sql", rs -> out.add(new Extension(rs.getString(1), rs.getString(2))));
        return List.copyOf(out);
    }

    private List<Routine> routines() throws SQLException {
        List<Routine> out = new ArrayList<>();
        query("routines.sql", rs -> out.add(new Routine(QualifiedName.of(rs.getString("nspname"), rs.getString("proname")),
                rs.getString("identity_args"), flag(rs.getString("prokind")), rs.getString("lanname"), rs.getString("definition"),
                rs.getBoolean("late"))));
        return List.copyOf(out);
    }

    private List<Access.Privilege> privileges() throws SQLException {
        List<Access.Privilege> out = new ArrayList<>();
        query("privileges.sql", rs -> {
            Access.ObjectKind kind = Access.ObjectKind.valueOf(rs.getString("kind").toUpperCase(java.util.Locale.ROOT));
            String schema = rs.getString("schema");
            String name = rs.getString("name");
            out.add(new Access.Privilege(kind, schema, name == null ? null : QualifiedName.of(schema, name), rs.getString("args"),
                    rs.getString("column_name"), rs.getBoolean("is_grant"), rs.getString("grantee"), rs.getString("privilege_type"),
                    rs.getBoolean("is_grantable")));
        });
        return List.copyOf(out);
    }

    private List<Access.Ownership> owners() throws SQLException {
        List<Access.Ownership> out = new ArrayList<>();
        query("owners.sql", rs -> {
            String schema = rs.getString("schema");
            String name = rs.getString("name");
            out.add(new Access.Ownership(Access.ObjectKind.valueOf(rs.getString("kind").toUpperCase(java.util.Locale.ROOT)), schema,
                    name == null ? null : QualifiedName.of(schema, name), rs.getString("args"), rs.getString("owner")));
        });
        return List.copyOf(out);
    }

    private List<Access.DefaultPrivilege> defaultPrivileges() throws SQLException {
        List<Access.DefaultPrivilege> out = new ArrayList<>();
        query("default_privileges.sql", rs -> out.add(new Access.DefaultPrivilege(rs.getString("role"), rs.getString("schema"),
                flag(rs.getString("objtype")), rs.getBoolean("is_grant"), rs.getString("grantee"), rs.getString("privilege_type"),
                rs.getBoolean("is_grantable"))));
        return List.copyOf(out);
    }

    private List<Access.RowSecurity> rowSecurity() throws SQLException {
        List<Access.RowSecurity> out = new ArrayList<>();
        query("row_security.sql", rs -> out.add(new Access.RowSecurity(QualifiedName.of(rs.getString("nspname"), rs.getString("relname")),
                rs.getBoolean("relrowsecurity"), rs.getBoolean("relforcerowsecurity"))));
        return List.copyOf(out);
    }

    private List<Access.Policy> policies() throws SQLException {
        List<Access.Policy> out = new ArrayList<>();
        query("policies.sql", rs -> out.add(new Access.Policy(QualifiedName.of(rs.getString("nspname"), rs.getString("relname")),
                rs.getString("polname"), flag(rs.getString("polcmd")), rs.getBoolean("polpermissive"), nullableStrings(rs.getArray("roles")),
                rs.getString("using_expr"), rs.getString("check_expr"), rs.getBoolean("has_subquery"))));
        return List.copyOf(out);
    }

    /** The names of the roles of the server this reader is connected to (a target's, to check a plan against). */
    /** The server's version as server_version_num (150004 for 15.4). */
    /** The roles and version of the server read: what a plan is checked against on the target. */
    public TargetFacts targetFacts() throws SQLException {
        return new TargetFacts(roleNames(), serverVersionNum());
    }

    /** The same, with the tenant keys the command file's consolidation of tenant schemas recorded on this target (none before its first run). */
    public TargetFacts targetFacts(io.citusmigrate.load.LoadCommand cmd) throws SQLException {
        return new TargetFacts(roleNames(), serverVersionNum(), tenantKeys(cmd));
    }

    private java.util.Map<String, Long> tenantKeys(io.citusmigrate.load.LoadCommand cmd) throws SQLException {
        java.util.Map<String, Long> out = new java.util.HashMap<>();
        for (io.citusmigrate.load.DistributeRule r : cmd.distribute()) {
            if (!r.isConsolidation()) continue;
            out.putAll(io.citusmigrate.copy.TenantRows.recorded(conn, QualifiedName.of(r.intoSchema(),
                    io.citusmigrate.plan.Consolidation.TENANTS_TABLE), r.column(), r.databases()
                    ? io.citusmigrate.plan.Consolidation.DATABASE_COLUMN : io.citusmigrate.plan.Consolidation.SCHEMA_COLUMN));
        }
        return out;
    }

    private int serverVersionNum() throws SQLException {
        try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SELECT current_setting('server_version_num')::int")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private java.util.Set<String> roleNames() throws SQLException {
        java.util.Set<String> out = new java.util.HashSet<>();
        for (Access.Role r : roles()) out.add(r.name());
        return java.util.Set.copyOf(out);
    }

    private List<Access.Role> roles() throws SQLException {
        List<Access.Role> out = new ArrayList<>();
        query("roles.sql", rs -> out.add(new Access.Role(rs.getString("rolname"), rs.getBoolean("rolsuper"), rs.getBoolean("rolcanlogin"),
                rs.getBoolean("rolinherit"), rs.getBoolean("rolbypassrls"), strings(rs.getArray("member_of")))));
        return List.copyOf(out);
    }

    // ---- helpers ------------------------------------------------------------------------

    private interface RowHandler {
        void row(ResultSet rs) throws SQLException;
    }

    private void query(String resource, RowHandler h) throws SQLException {
        run(sql(resource), h);
    }

    private void run(String text, RowHandler h) throws SQLException {
        try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery(text)) {
            while (rs.next()) h.row(rs);
        }
    }

    static String sql(String resource) {
        try (InputStream in = CatalogReader.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing resource " + resource);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static char flag(String s) {
        return s == null || s.isEmpty() ? 0 : s.charAt(0);
    }

    /** An array whose NULL elements stand for PUBLIC. */
    private static List<String> nullableStrings(Array a) throws SQLException {
        if (a == null) return List.of();
        return java.util.Collections.unmodifiableList(new ArrayList<>(Arrays.asList((String[]) a.getArray())));
    }

    private static List<String> strings(Array a) throws SQLException {
        if (a == null) return List.of();
        Object[] arr = (Object[]) a.getArray();
        return List.copyOf(Arrays.stream(arr).map(String::valueOf).toList());
    }
}
