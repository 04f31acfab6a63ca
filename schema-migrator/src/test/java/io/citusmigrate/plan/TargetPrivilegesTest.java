package io.citusmigrate.plan;

import io.citusmigrate.catalog.Access;
import io.citusmigrate.catalog.QualifiedName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TargetPrivilegesTest {
    private static AccessPlan granting(String... privileges) {
        List<Access.Privilege> ps = java.util.Arrays.stream(privileges).map(p -> new Access.Privilege(Access.ObjectKind.TABLE, "public",
                new QualifiedName("public", "item"), null, null, true, "app", p, false)).toList();
        List<Access.DefaultPrivilege> ds = List.of(new Access.DefaultPrivilege("owner", "public", 'r', true, "app", "MAINTAIN", false));
        return new AccessPlan(List.of(), List.of(), List.of(), ps, ds, List.of(), List.of(), List.of(), true);
    }

    @Test
    void maintainGrantedOnAPostgreSQL17SourceIsAnErrorForAPostgreSQL15TargetNamingItAndNoneFor17() {
        List<PlanIssue> on15 = TargetPrivileges.unknownOn(granting("SELECT", "MAINTAIN"), 150004);
        assertEquals(2, on15.size(), on15.toString());
        assertTrue(on15.get(0).toString().contains("MAINTAIN on table public.item to app"), on15.toString());
        assertTrue(on15.get(1).toString().contains("default privileges"), on15.toString());
        assertEquals(List.of(), TargetPrivileges.unknownOn(granting("SELECT", "MAINTAIN"), 170002));
    }
}
