package io.citusmigrate.catalog;

import java.util.List;

/**
 * Who may do what on the source: privileges, owners, default privileges, row-level security and
 * its policies, and the roles they name. Roles are the cluster's, not the database's.
 */
public record Access(List<Privilege> privileges, List<Ownership> owners, List<DefaultPrivilege> defaultPrivileges,
                     List<RowSecurity> rowSecurity, List<Policy> policies, List<Role> roles) {

    public static Access none() {
        return new Access(List.of(), List.of(), List.of(), List.of(), List.of(), List.of());
    }

    /**
     * Whether anything here names a role the target must have: an owner or grantee that is not a
     * superuser, a policy's role, a default privilege.
     */
    public boolean namesRoles() {
        java.util.Set<String> supers = new java.util.HashSet<>();
        roles.stream().filter(Role::superuser).forEach(r -> supers.add(r.name()));
        java.util.function.Predicate<String> named = r -> r != null && !supers.contains(r) && !r.startsWith("pg_");
        return !defaultPrivileges.isEmpty() || !policies.isEmpty()
                || owners.stream().anyMatch(o -> named.test(o.owner())) || privileges.stream().anyMatch(p -> named.test(p.grantee()));
    }

    /** The kinds of object a privilege or an owner is on. */
    public enum ObjectKind { SCHEMA, TABLE, VIEW, COLUMN, SEQUENCE, ROUTINE, TYPE }

    /**
     * A privilege granted beyond the object's default ({@code grant}) or revoked from it.
     * {@code object} is null for a schema ({@code schema} names it); {@code args} a routine's
     * identity arguments; {@code column} set for a column privilege; {@code grantee} null for PUBLIC.
     */
    public record Privilege(ObjectKind kind, String schema, QualifiedName object, String args, String column,
                            boolean grant, String grantee, String privilege, boolean grantable) {}

    /** An object's owner ({@code object} null for a schema). */
    public record Ownership(ObjectKind kind, String schema, QualifiedName object, String args, String owner) {}

    /**
     * An ALTER DEFAULT PRIVILEGES entry: for objects {@code role} creates, in {@code schema}
     * (null: the whole database), of {@code objectType} (r, S, f, T, n).
     */
    public record DefaultPrivilege(String role, String schema, char objectType, boolean grant, String grantee,
                                   String privilege, boolean grantable) {}

    /** A table's row-level security flags. */
    public record RowSecurity(QualifiedName table, boolean enabled, boolean forced) {}

    /**
     * A policy: {@code command} is r, a, w, d or * (ALL); {@code roles} empty or holding null for
     * PUBLIC; {@code hasSubquery} when an expression holds one.
     */
    public record Policy(QualifiedName table, String name, char command, boolean permissive, List<String> roles,
                         String using, String withCheck, boolean hasSubquery) {}

    /** A role of the source cluster, as far as creating it again needs (never its password). */
    public record Role(String name, boolean superuser, boolean login, boolean inherit, boolean bypassRls, List<String> memberOf) {}
}
