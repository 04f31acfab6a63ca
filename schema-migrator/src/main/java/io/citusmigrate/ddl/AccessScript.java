package io.citusmigrate.ddl;

import io.citusmigrate.catalog.Access.DefaultPrivilege;
import io.citusmigrate.catalog.Access.ObjectKind;
import io.citusmigrate.catalog.Access.Ownership;
import io.citusmigrate.catalog.Access.Policy;
import io.citusmigrate.catalog.Access.Privilege;
import io.citusmigrate.catalog.Access.Role;
import io.citusmigrate.catalog.Access.RowSecurity;
import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.catalog.Routine;
import io.citusmigrate.catalog.UserType;
import io.citusmigrate.ddl.Statement.Step;
import io.citusmigrate.plan.AccessPlan;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.sql.Sql;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The DDL of routines and of who may do what: routines early (before the tables, whose defaults
 * and checks may call them, with function bodies unchecked as pg_dump does) or late (after the
 * distribution calls, when they need a table); then, after the data, keys and views: roles,
 * memberships, owners, privileges, default privileges, row-level security and policies. Citus
 * propagates each of these to its nodes and shards itself.
 */
public final class AccessScript {
    private AccessScript() {}

    static List<Statement> routines(Plan plan, boolean late) {
        Step step = late ? Step.LATE_ROUTINES : Step.ROUTINES;
        List<Statement> out = new ArrayList<>();
        for (Routine r : plan.routines()) {
            if (r.late() != late) continue;
            // a body may read tables and call routines created after it
            if (out.isEmpty()) out.add(new Statement(step, "routines", "SET check_function_bodies = off"));
            out.add(new Statement(step, r.keyword().toLowerCase() + " " + r.signature(), stripSemicolon(r.definition())));
        }
        return out;
    }

    /**
     * Operators and casts, after every routine. Citus 13.2.2 does not send CREATE OPERATOR or
     * CREATE CAST to its workers (seen: the coordinator had them, no worker did), where the
     * shards' queries run: each is made on the coordinator and then on every worker.
     */
    static List<Statement> operatorsAndCasts(Plan plan) {
        List<Statement> out = new ArrayList<>();
        for (io.citusmigrate.catalog.OperatorOrCast o : plan.operatorsAndCasts()) {
            out.add(new Statement(Step.LATE_ROUTINES, o.kind() + " " + o.name(), onEveryNode(o.definition())));
        }
        return out;
    }

    /** A statement on the coordinator, then on every worker (where Citus is there); one that exists already is left. */
    private static String onEveryNode(String sql) {
        return "DO $cm$ DECLARE r record; BEGIN"
                + " BEGIN " + sql + "; EXCEPTION WHEN duplicate_object THEN NULL; END;"
                + " IF pg_catalog.to_regproc('pg_catalog.run_command_on_workers') IS NOT NULL THEN"
                + " FOR r IN SELECT * FROM pg_catalog.run_command_on_workers(" + Sql.literal(sql) + ") LOOP"
                + " IF NOT r.success AND r.result NOT LIKE '%already exists%' THEN"
                + " RAISE EXCEPTION 'on the worker %:%: %', r.nodename, r.nodeport, r.result; END IF; END LOOP; END IF; END $cm$";
    }

    /** Last made, first dropped; no CASCADE: what still depends on a routine is named in the error. */
    static List<Statement> drops(Plan plan) {
        List<Statement> out = new ArrayList<>();
        List<io.citusmigrate.catalog.OperatorOrCast> operators = new ArrayList<>(plan.operatorsAndCasts());
        java.util.Collections.reverse(operators);
        for (io.citusmigrate.catalog.OperatorOrCast o : operators) {
            out.add(new Statement(Step.DROP, o.kind() + " " + o.name(), onEveryNode(o.dropStatement())));
        }
        List<Routine> routines = new ArrayList<>(plan.routines());
        java.util.Collections.reverse(routines);
        for (Routine r : routines) {
            out.add(new Statement(Step.DROP, r.keyword().toLowerCase() + " " + r.signature(),
                    "DROP " + r.keyword() + " IF EXISTS " + r.signature()));
        }
        return out;
    }

    static List<Statement> access(Plan plan) {
        List<Statement> out = new ArrayList<>(grants(plan));
        out.addAll(rowSecurity(plan));
        return out;
    }

    /** Roles to create, memberships, owners, privileges and default privileges. */
    public static List<Statement> grants(Plan plan) {
        AccessPlan a = plan.access();
        List<Statement> out = new ArrayList<>();
        for (Role r : a.rolesToCreate()) {
            out.add(new Statement(Step.ACCESS, "role " + Sql.ident(r.name()), "CREATE ROLE " + Sql.ident(r.name())
                    + (r.login() ? " LOGIN" : " NOLOGIN") + (r.inherit() ? " INHERIT" : " NOINHERIT")
                    + (r.bypassRls() ? " BYPASSRLS" : "")));
        }
        for (AccessPlan.Membership m : a.memberships()) {
            out.add(new Statement(Step.ACCESS, "membership of " + Sql.ident(m.member()) + " in " + Sql.ident(m.role()),
                    "GRANT " + Sql.ident(m.role()) + " TO " + Sql.ident(m.member())));
        }
        for (Ownership o : a.owners()) {
            String object = object(plan, o.kind(), o.schema(), o.object(), o.args());
            out.add(new Statement(Step.ACCESS, "owner of " + object, "ALTER " + alterKeyword(plan, o) + " " + object.substring(object.indexOf(' ') + 1)
                    + " OWNER TO " + Sql.ident(o.owner())));
        }
        out.addAll(privileges(plan, a.privileges()));
        for (List<DefaultPrivilege> group : groupDefaults(a.defaultPrivileges())) {
            DefaultPrivilege d = group.get(0);
            String privs = group.stream().map(DefaultPrivilege::privilege).collect(Collectors.joining(", "));
            String on = switch (d.objectType()) {
                case 'r' -> "TABLES";
                case 'S' -> "SEQUENCES";
                case 'f' -> "FUNCTIONS";
                case 'T' -> "TYPES";
                default -> "SCHEMAS";
            };
            out.add(new Statement(Step.ACCESS, "default privileges of " + Sql.ident(d.role()),
                    "ALTER DEFAULT PRIVILEGES FOR ROLE " + Sql.ident(d.role()) + (d.schema() != null ? " IN SCHEMA " + Sql.ident(d.schema()) : "")
                            + (d.grant() ? " GRANT " + privs + " ON " + on + " TO " + grantee(d.grantee()) + (d.grantable() ? " WITH GRANT OPTION" : "")
                                         : " REVOKE " + privs + " ON " + on + " FROM " + grantee(d.grantee()))));
        }
        return out;
    }

    /** Row-level security flags and policies. */
    public static List<Statement> rowSecurity(Plan plan) {
        AccessPlan a = plan.access();
        List<Statement> out = new ArrayList<>();
        for (RowSecurity r : a.rowSecurity()) {
            if (r.enabled()) out.add(new Statement(Step.ACCESS, "row-level security on " + r.table(), "ALTER TABLE " + r.table().sql() + " ENABLE ROW LEVEL SECURITY"));
            if (r.forced()) out.add(new Statement(Step.ACCESS, "row-level security on " + r.table(), "ALTER TABLE " + r.table().sql() + " FORCE ROW LEVEL SECURITY"));
        }
        for (Policy p : a.policies()) out.add(new Statement(Step.ACCESS, "policy " + Sql.ident(p.name()) + " on " + p.table(), policy(p)));
        return out;
    }

    public static String policy(Policy p) {
        String cmd = switch (p.command()) {
            case 'r' -> "SELECT";
            case 'a' -> "INSERT";
            case 'w' -> "UPDATE";
            case 'd' -> "DELETE";
            default -> "ALL";
        };
        String roles = p.roles().isEmpty() ? "PUBLIC" : p.roles().stream().map(AccessScript::grantee).collect(Collectors.joining(", "));
        return "CREATE POLICY " + Sql.ident(p.name()) + " ON " + p.table().sql() + (p.permissive() ? "" : " AS RESTRICTIVE")
                + " FOR " + cmd + " TO " + roles + (p.using() != null ? " USING (" + p.using() + ")" : "")
                + (p.withCheck() != null ? " WITH CHECK (" + p.withCheck() + ")" : "");
    }

    /** One GRANT or REVOKE per object, grantee and column set: Citus sends each to every shard. */
    private static List<Statement> privileges(Plan plan, List<Privilege> privileges) {
        Map<List<Object>, List<Privilege>> groups = new LinkedHashMap<>();
        for (Privilege p : privileges) {
            ObjectKind kind = p.kind() == ObjectKind.COLUMN ? ObjectKind.TABLE : p.kind();
            List<Object> key = java.util.Arrays.asList(kind, p.schema(), p.object(), p.args(), p.grant(), p.grantee(), p.grantable());
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(p);
        }
        List<Statement> out = new ArrayList<>();
        for (List<Privilege> g : groups.values()) {
            Privilege p = g.get(0);
            ObjectKind kind = p.kind() == ObjectKind.COLUMN ? ObjectKind.TABLE : p.kind();
            String object = object(plan, kind, p.schema(), p.object(), p.args());
            String privs = g.stream().map(x -> x.privilege() + (x.column() != null ? " (" + Sql.ident(x.column()) + ")" : ""))
                    .collect(Collectors.joining(", "));
            out.add(new Statement(Step.ACCESS, "privileges of " + grantee(p.grantee()) + " on " + object, p.grant()
                    ? "GRANT " + privs + " ON " + object + " TO " + grantee(p.grantee()) + (p.grantable() ? " WITH GRANT OPTION" : "")
                    : "REVOKE " + privs + " ON " + object + " FROM " + grantee(p.grantee())));
        }
        return out;
    }

    private static List<List<DefaultPrivilege>> groupDefaults(List<DefaultPrivilege> defaults) {
        Map<List<Object>, List<DefaultPrivilege>> groups = new LinkedHashMap<>();
        for (DefaultPrivilege d : defaults) {
            groups.computeIfAbsent(java.util.Arrays.asList(d.role(), d.schema(), d.objectType(), d.grant(), d.grantee(), d.grantable()),
                    k -> new ArrayList<>()).add(d);
        }
        return List.copyOf(groups.values());
    }

    /** How GRANT names the object: {@code TABLE "s"."t"}, {@code SCHEMA "s"}, {@code FUNCTION "s"."f"(integer)}. */
    private static String object(Plan plan, ObjectKind kind, String schema, QualifiedName name, String args) {
        return switch (kind) {
            case SCHEMA -> "SCHEMA " + Sql.ident(schema);
            case SEQUENCE -> "SEQUENCE " + name.sql();
            case TYPE -> "TYPE " + name.sql();
            case ROUTINE -> routineKeyword(plan, name, args) + " " + name.sql() + "(" + args + ")";
            default -> "TABLE " + name.sql();
        };
    }

    /** GRANT takes FUNCTION for an aggregate; ALTER takes AGGREGATE, and DOMAIN for a domain. */
    private static String alterKeyword(Plan plan, Ownership o) {
        return switch (o.kind()) {
            case ROUTINE -> plan.routines().stream().filter(r -> r.name().equals(o.object()) && r.identityArgs().equals(o.args()))
                    .findFirst().map(Routine::keyword).orElse("FUNCTION");
            case TYPE -> plan.types().stream().anyMatch(t -> t.name().equals(o.object()) && t.kind() == UserType.Kind.DOMAIN) ? "DOMAIN" : "TYPE";
            case VIEW -> "VIEW";
            case SCHEMA -> "SCHEMA";
            case SEQUENCE -> "SEQUENCE";
            default -> "TABLE";
        };
    }

    private static String routineKeyword(Plan plan, QualifiedName name, String args) {
        return plan.routines().stream().filter(r -> r.name().equals(name) && Objects.equals(r.identityArgs(), args))
                .findFirst().map(r -> r.kind() == 'p' ? "PROCEDURE" : "FUNCTION").orElse("FUNCTION");
    }

    private static String grantee(String role) {
        return role == null ? "PUBLIC" : Sql.ident(role);
    }

    private static String stripSemicolon(String s) {
        String t = s.strip();
        return t.endsWith(";") ? t.substring(0, t.length() - 1) : t;
    }
}
