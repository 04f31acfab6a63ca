package io.citusmigrate.plan;

import io.citusmigrate.catalog.Access;

import java.util.List;
import java.util.Map;

/**
 * Privileges the source grants that the target's PostgreSQL does not have (MAINTAIN came with
 * PostgreSQL 17; `GRANT ALL` there includes it). The target refuses such a GRANT, and leaving it out
 * would lose it silently: the plan names each, before anything is written.
 */
public final class TargetPrivileges {
    /** Each privilege and the server version (server_version_num) that first has it. */
    private static final Map<String, Integer> SINCE = Map.of("MAINTAIN", 170000);

    private TargetPrivileges() {}

    /** An error for each privilege the plan grants (or grants by default) that the target's version lacks. */
    public static List<PlanIssue> unknownOn(AccessPlan access, int targetVersionNum) {
        List<PlanIssue> out = new java.util.ArrayList<>();
        for (Access.Privilege p : access.privileges()) {
            if (p.grant() && lacks(p.privilege(), targetVersionNum)) {
                out.add(error(p.privilege(), p.kind().name().toLowerCase() + " " + (p.object() == null ? p.schema() : p.object().sql()), p.grantee(),
                        targetVersionNum));
            }
        }
        for (Access.DefaultPrivilege d : access.defaultPrivileges()) {
            if (d.grant() && lacks(d.privilege(), targetVersionNum)) {
                out.add(error(d.privilege(), "new objects of " + d.role() + (d.schema() == null ? "" : " in schema " + d.schema())
                        + " (default privileges)", d.grantee(), targetVersionNum));
            }
        }
        return List.copyOf(out);
    }

    private static boolean lacks(String privilege, int targetVersionNum) {
        return SINCE.getOrDefault(privilege, 0) > targetVersionNum;
    }

    private static PlanIssue error(String privilege, String on, String grantee, int targetVersionNum) {
        return PlanIssue.error(null, privilege + " on " + on + " to " + grantee + ": the target's PostgreSQL (" + targetVersionNum / 10000
                + ") has no such privilege and refuses it; revoke it on the source (REVOKE " + privilege + " ON ... FROM " + grantee
                + ") or migrate to a Citus on PostgreSQL " + SINCE.get(privilege) / 10000 + " or later");
    }
}
