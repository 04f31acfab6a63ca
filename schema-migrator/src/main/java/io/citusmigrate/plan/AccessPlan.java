package io.citusmigrate.plan;

import io.citusmigrate.catalog.Access.DefaultPrivilege;
import io.citusmigrate.catalog.Access.Ownership;
import io.citusmigrate.catalog.Access.Policy;
import io.citusmigrate.catalog.Access.Privilege;
import io.citusmigrate.catalog.Access.Role;
import io.citusmigrate.catalog.Access.RowSecurity;

import java.util.List;

/**
 * Who may do what on the target, in target names: the roles to create (only with `create roles`),
 * memberships among the roles the migration names, owners, privileges, default privileges,
 * row-level security and policies. {@code missingRoles} are roles the source's objects name that
 * the target lacks; {@code rolesChecked} is false when the target's roles could not be read.
 */
public record AccessPlan(List<Role> rolesToCreate, List<Membership> memberships, List<Ownership> owners,
                         List<Privilege> privileges, List<DefaultPrivilege> defaultPrivileges,
                         List<RowSecurity> rowSecurity, List<Policy> policies, List<String> missingRoles, boolean rolesChecked) {

    /** {@code GRANT role TO member}. */
    public record Membership(String role, String member) {}

    public static AccessPlan none() {
        return new AccessPlan(List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), false);
    }
}
