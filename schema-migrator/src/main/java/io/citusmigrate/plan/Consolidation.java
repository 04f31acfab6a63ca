package io.citusmigrate.plan;

import io.citusmigrate.catalog.QualifiedName;

import java.util.List;
import java.util.Optional;

/**
 * Tenant schemas consolidated into one set of tables: which schema became which tenant key, the
 * tenants table that records it, and every tenant schema's tables as shares of the consolidated
 * tables ({@link TablePlan#forTenant}).
 */
public record Consolidation(String intoSchema, String tenantKey, QualifiedName tenantsTable, List<Tenant> tenants, List<TablePlan> shares) {

    /** A tenant: its source schema and the tenant key its rows get. */
    public record Tenant(String schema, long key) {}

    /** Why a live migration refuses a consolidation (for now). */
    public static final String NOT_STREAMED = "tenant schemas consolidated into one set of tables are a bulk load for now: a stream"
            + " does not carry them yet; add `snapshot only` to the WITH clause (or --snapshot-only)";

    /** The column of the tenants table that names each tenant's source schema. */
    public static final String SCHEMA_COLUMN = "schema_name";

    public Optional<Tenant> tenant(String schema) {
        return tenants.stream().filter(t -> t.schema().equals(schema)).findFirst();
    }

    /** The shares of one consolidated table, by its target name. */
    public List<TablePlan> sharesOf(QualifiedName target) {
        return shares.stream().filter(s -> s.target().equals(target)).toList();
    }
}
