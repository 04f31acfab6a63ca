package io.citusmigrate.catalog;

import java.util.Set;

/**
 * What a plan is checked against on the target: the cluster's roles (a grant, owner or policy
 * naming a role it lacks), its PostgreSQL version, as server_version_num (a privilege it lacks), and
 * the tenant keys a consolidation of tenant schemas has recorded there (schema to key), which a plan keeps.
 */
public record TargetFacts(Set<String> roles, int versionNum, java.util.Map<String, Long> tenantKeys) {
    public TargetFacts {
        roles = Set.copyOf(roles);
        tenantKeys = java.util.Map.copyOf(tenantKeys);
    }

    public TargetFacts(Set<String> roles, int versionNum) {
        this(roles, versionNum, java.util.Map.of());
    }
}
