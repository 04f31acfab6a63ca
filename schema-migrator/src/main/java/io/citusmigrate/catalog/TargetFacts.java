package io.citusmigrate.catalog;

import java.util.Set;

/**
 * What a plan is checked against on the target: the cluster's roles (a grant, owner or policy
 * naming a role it lacks) and its PostgreSQL version, as server_version_num (a privilege it lacks).
 */
public record TargetFacts(Set<String> roles, int versionNum) {
    public TargetFacts {
        roles = Set.copyOf(roles);
    }
}
