package io.citusmigrate.plan;

import io.citusmigrate.catalog.Access;
import io.citusmigrate.catalog.Access.DefaultPrivilege;
import io.citusmigrate.catalog.Access.ObjectKind;
import io.citusmigrate.catalog.Access.Ownership;
import io.citusmigrate.catalog.Access.Policy;
import io.citusmigrate.catalog.Access.Privilege;
import io.citusmigrate.catalog.Access.Role;
import io.citusmigrate.catalog.Access.RowSecurity;
import io.citusmigrate.catalog.Catalog;
import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.catalog.Routine;
import io.citusmigrate.catalog.Sequence;
import io.citusmigrate.catalog.UserType;
import io.citusmigrate.catalog.View;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.Option;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The routines the migrated schemas define, and who may do what on the target: privileges, owners,
 * default privileges, row-level security and policies, moved to target names. Objects the plan
 * does not create take their privileges with them. Roles are the cluster's: every role named
 * must exist on the target (or be created with `create roles`), else the plan stops naming them.
 * Superusers are left out as owners and grantees: they may do everything anyway, and the target's
 * objects are owned by the user that runs the migration.
 */
final class AccessPlanner {
    private final LoadCommand cmd;
    private final Catalog catalog;
    private final Naming naming;
    private final List<PlanIssue> issues;
    private final Map<String, Role> roles = new HashMap<>();
    /** Source "schema.name(args)" of each planned routine -> its target. */
    private final Map<String, Routine> routineTargets = new HashMap<>();

    AccessPlanner(LoadCommand cmd, Catalog catalog, Naming naming, List<PlanIssue> issues) {
        this.cmd = cmd;
        this.catalog = catalog;
        this.naming = naming;
        this.issues = issues;
        catalog.access().roles().forEach(r -> roles.put(r.name(), r));
    }

    /**
     * The routines of the schemas the plan creates, and of schemas that hold no table (a schema of
     * helper functions). A routine in C outside an extension cannot be carried: its library is not
     * on the Citus nodes.
     */
    List<Routine> routines(Set<String> targetSchemas) {
        Set<String> tableSchemas = catalog.tables().stream().map(t -> t.name().schema()).collect(Collectors.toSet());
        List<Routine> out = new ArrayList<>();
        for (Routine r : catalog.routines()) {
            String schema = r.name().schema();
            if (!targetSchemas.contains(naming.schema(schema)) && tableSchemas.contains(schema)) continue;
            if ("c".equals(r.language())) {
                issues.add(PlanIssue.error(r.name(), r.keyword().toLowerCase() + " " + r.signature() + " is written in C outside an"
                        + " extension: its library cannot be carried to the Citus nodes; make it part of an extension installed on every"
                        + " node, or drop it on the source"));
                continue;
            }
            Routine target = new Routine(naming.object(r.name()), naming.expression(r.identityArgs()), r.kind(), r.language(),
                    naming.expression(r.definition()), r.late());
            routineTargets.put(key(r.name(), r.identityArgs()), target);
            out.add(target);
        }
        return List.copyOf(out);
    }

    /**
     * Seen on Citus 13.2.2: {@code label(c)} with {@code c} a whole row of a distributed table fails
     * in a query routed to one shard ("function label(contact_102016) does not exist": the shard's
     * row type is another type), while {@code label(row(c.*)::contact)} works.
     */
    private void rowTypeCalls(List<TablePlan> tables, List<Routine> routines) {
        for (Routine r : routines) {
            for (TablePlan t : tables) {
                if (t.kind() == TablePlan.Kind.LOCAL || t.isPartition()) continue;
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?<![\\w\"$.])" + java.util.regex.Pattern.quote(t.target().sql())
                        + "(?![\\w\"$.])").matcher(r.identityArgs());
                if (!m.find()) continue;
                issues.add(PlanIssue.warning(r.name(), r.keyword().toLowerCase() + " " + r.signature() + " takes the row type of "
                        + t.kind().label() + " table " + t.target() + ": on Citus a call with a whole row of it, " + r.name().name()
                        + "(x) with x a row of " + t.target().name() + ", fails in a query on one tenant (the shard's rows have another"
                        + " type); the application must pass row(x.*)::" + t.target().sql()));
            }
        }
    }

    private static String key(QualifiedName n, String args) {
        return n.sql() + "(" + args + ")";
    }

    AccessPlan plan(Set<String> schemas, List<TablePlan> tables, List<UserType> types, List<Sequence> sequences, List<View> views,
                    List<Routine> routines, Optional<Set<String>> targetRoles) {
        Access a = catalog.access();
        rowTypeCalls(tables, routines);
        Map<QualifiedName, QualifiedName> relations = new HashMap<>();
        Map<QualifiedName, TablePlan> tableBySource = new HashMap<>();
        for (TablePlan t : tables) {
            relations.put(t.source().name(), t.target());
            tableBySource.put(t.source().name(), t);
        }
        Set<QualifiedName> viewTargets = views.stream().map(View::name).collect(Collectors.toSet());
        catalog.views().stream().filter(v -> viewTargets.contains(naming.object(v.name()))).forEach(v -> relations.put(v.name(), naming.object(v.name())));
        Set<QualifiedName> sequenceTargets = sequences.stream().map(Sequence::name).collect(Collectors.toSet());
        catalog.sequences().stream().filter(s -> sequenceTargets.contains(naming.object(s.name())))
                .forEach(s -> relations.put(s.name(), naming.object(s.name())));
        Set<QualifiedName> typeTargets = types.stream().map(UserType::name).collect(Collectors.toSet());

        Set<String> referenced = new LinkedHashSet<>();
        List<Ownership> owners = new ArrayList<>();
        for (Ownership o : a.owners()) {
            if (!carried(o.owner())) continue;
            Ownership t = switch (o.kind()) {
                case SCHEMA -> schemas.contains(naming.schema(o.schema())) ? new Ownership(o.kind(), naming.schema(o.schema()), null, null, o.owner()) : null;
                case TYPE -> typeTargets.contains(naming.object(o.object()))
                        ? new Ownership(o.kind(), naming.schema(o.schema()), naming.object(o.object()), null, o.owner()) : null;
                case ROUTINE -> {
                    Routine r = routineTargets.get(key(o.object(), o.args()));
                    yield r == null ? null : new Ownership(o.kind(), r.name().schema(), r.name(), r.identityArgs(), o.owner());
                }
                default -> {
                    QualifiedName rel = relations.get(o.object());
                    yield rel == null ? null : new Ownership(o.kind(), rel.schema(), rel, null, o.owner());
                }
            };
            if (t == null) continue;
            owners.add(t);
            referenced.add(o.owner());
        }

        List<Privilege> privileges = new ArrayList<>();
        for (Privilege p : a.privileges()) {
            if (p.grantee() != null && !carried(p.grantee())) continue;
            Privilege t = switch (p.kind()) {
                case SCHEMA -> schemas.contains(naming.schema(p.schema()))
                        ? new Privilege(p.kind(), naming.schema(p.schema()), null, null, null, p.grant(), p.grantee(), p.privilege(), p.grantable()) : null;
                case TYPE -> typeTargets.contains(naming.object(p.object()))
                        ? new Privilege(p.kind(), naming.schema(p.schema()), naming.object(p.object()), null, null, p.grant(), p.grantee(),
                        p.privilege(), p.grantable()) : null;
                case ROUTINE -> {
                    Routine r = routineTargets.get(key(p.object(), p.args()));
                    yield r == null ? null : new Privilege(p.kind(), r.name().schema(), r.name(), r.identityArgs(), null, p.grant(),
                            p.grantee(), p.privilege(), p.grantable());
                }
                default -> {
                    QualifiedName rel = relations.get(p.object());
                    yield rel == null ? null : new Privilege(p.kind(), rel.schema(), rel, null, p.column(), p.grant(), p.grantee(),
                            p.privilege(), p.grantable());
                }
            };
            if (t == null) continue;
            privileges.add(t);
            if (p.grantee() != null) referenced.add(p.grantee());
        }

        List<DefaultPrivilege> defaults = new ArrayList<>();
        for (DefaultPrivilege d : a.defaultPrivileges()) {
            if (d.schema() != null && !schemas.contains(naming.schema(d.schema()))) continue;
            if (d.grantee() != null && !carried(d.grantee())) continue;
            defaults.add(new DefaultPrivilege(d.role(), d.schema() == null ? null : naming.schema(d.schema()), d.objectType(), d.grant(),
                    d.grantee(), d.privilege(), d.grantable()));
            referenced.add(d.role());
            if (d.grantee() != null) referenced.add(d.grantee());
        }

        List<RowSecurity> rowSecurity = new ArrayList<>();
        for (RowSecurity r : a.rowSecurity()) {
            QualifiedName t = relations.get(r.table());
            if (t != null) rowSecurity.add(new RowSecurity(t, r.enabled(), r.forced()));
        }
        List<Policy> policies = new ArrayList<>();
        for (Policy p : a.policies()) {
            TablePlan t = tableBySource.get(p.table());
            if (t == null) continue;
            boolean onCitus = t.kind() != TablePlan.Kind.LOCAL;
            if (onCitus && p.hasSubquery()) {
                issues.add(PlanIssue.error(p.table(), "policy " + p.name() + " holds a subquery, which Citus rejects on a " + t.kind().label()
                        + " table (cannot create policy: Subqueries are not supported in policies on distributed tables); rewrite it"
                        + " without one (a function can read the other table) before migrating: row-level security is never dropped"));
            } else if (onCitus && !p.permissive()) {
                issues.add(PlanIssue.error(p.table(), "policy " + p.name() + " is RESTRICTIVE: Citus (seen on 13.2.2) re-creates a policy on the shards"
                        + " of a " + t.kind().label() + " table without AS RESTRICTIVE, where it would widen access instead of narrowing it;"
                        + " fold its condition into the table's permissive policies before migrating"));
            }
            policies.add(new Policy(t.target(), p.name(), p.command(), p.permissive(), p.roles(), naming.expression(p.using()),
                    naming.expression(p.withCheck()), p.hasSubquery()));
            p.roles().stream().filter(r -> r != null).forEach(referenced::add);
        }

        // built-in roles (pg_*) are on every server
        referenced.removeIf(r -> r.startsWith("pg_"));
        List<String> missing = targetRoles.map(have -> referenced.stream().filter(r -> !have.contains(r)).sorted().toList()).orElse(List.of());
        if (targetRoles.isEmpty() && !referenced.isEmpty()) {
            issues.add(PlanIssue.warning(null, "the roles the source's privileges, owners and policies name (" + String.join(", ", new TreeSet<>(referenced))
                    + ") were not checked against the target"));
        }
        List<Role> create = new ArrayList<>();
        if (!missing.isEmpty()) {
            if (cmd.options().flag(Option.CREATE_ROLES)) {
                for (String m : missing) {
                    Role r = roles.get(m);
                    if (r == null) {
                        issues.add(PlanIssue.error(null, "role " + m + " is named on the source but missing there too: cannot create it"));
                    } else {
                        create.add(r);
                    }
                }
            } else {
                issues.add(PlanIssue.error(null, "roles missing on the target " + cmd.target() + ": " + String.join(", ", missing)
                        + " (the source's privileges, owners or policies name them); create them on the target cluster,"
                        + " or add `create roles` to the WITH options to create them as on the source, without passwords"));
            }
        }
        List<AccessPlan.Membership> memberships = new ArrayList<>();
        for (String r : referenced) {
            Role role = roles.get(r);
            if (role == null) continue;
            role.memberOf().stream().filter(referenced::contains).forEach(g -> memberships.add(new AccessPlan.Membership(g, r)));
        }
        return new AccessPlan(List.copyOf(create), List.copyOf(memberships), List.copyOf(owners), List.copyOf(privileges),
                List.copyOf(defaults), List.copyOf(rowSecurity), List.copyOf(policies), missing, targetRoles.isPresent());
    }

    /** Whether a grant to or ownership by this role is carried: not for superusers, nor PostgreSQL's own roles. */
    private boolean carried(String role) {
        Role r = roles.get(role);
        return !role.startsWith("pg_") && (r == null || !r.superuser());
    }
}
