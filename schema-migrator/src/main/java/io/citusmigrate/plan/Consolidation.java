package io.citusmigrate.plan;

import io.citusmigrate.catalog.QualifiedName;

import java.util.List;
import java.util.Optional;

/**
 * Tenant schemas (or databases) consolidated into one set of tables: which schema became which
 * tenant key, the tenants table that records it, and every tenant's tables as shares of the
 * consolidated tables ({@link TablePlan#forTenant}).
 *
 * @param databases the tenants are databases of the source's server, each with its own tables
 *                  (shares read from that database under their own names), not schemas of one
 */
public record Consolidation(String intoSchema, String tenantKey, QualifiedName tenantsTable, List<Tenant> tenants, List<TablePlan> shares,
                            List<io.citusmigrate.load.NamePattern> patterns, boolean databases) {

    /** Whether a source schema is a tenant schema of this consolidation (one of its rule's patterns matches it), known yet or not. */
    public boolean isTenantSchema(String schema) {
        return !databases && schema != null && patterns.stream().anyMatch(p -> p.matches(schema));
    }

    /** The same consolidation with other tenants and shares. */
    public Consolidation with(List<Tenant> otherTenants, List<TablePlan> otherShares) {
        return new Consolidation(intoSchema, tenantKey, tenantsTable, List.copyOf(otherTenants), List.copyOf(otherShares), patterns, databases);
    }

    /** The same consolidation with only one tenant database and its shares: what a step that reads that database works on. */
    public Consolidation forDatabase(String database) {
        Tenant t = tenant(database).orElseThrow(() -> new IllegalArgumentException("no tenant database " + database));
        return with(List.of(t), sharesOf(t));
    }

    /**
     * A tenant: its name (its source schema, or its source database when databases are
     * consolidated) and the tenant key its rows get.
     */
    public record Tenant(String name, long key) {}

    /** One tenant's shares. */
    public List<TablePlan> sharesOf(Tenant tenant) {
        String key = Long.toString(tenant.key());
        return shares.stream().filter(s -> key.equals(s.tenantValue())).toList();
    }

    /** What the tenants are, in reports: "schema" or "database". */
    public String tenantKind() {
        return databases ? "database" : "schema";
    }

    /** The tenants table's column naming each tenant's source schema or database. */
    public String nameColumn() {
        return databases ? DATABASE_COLUMN : SCHEMA_COLUMN;
    }

    /** How a plan error says a tenant lacks its row in the tenant mapping (a tenant signing up may add it in a moment). */
    public static final String NOT_MAPPED = "has no row in the tenant mapping";

    /** Why a deployment to Kafka Connect refuses a consolidation (for now). */
    public static final String NOT_STREAMED = "tenant schemas consolidated into one set of tables do not go through Kafka Connect yet:"
            + " migrate them with `citus-migrate migrate` (a bulk load, or a live migration in one process)";

    /** Why a live migration refuses it: what the stream does not carry yet, or null when it carries all. */
    public String notStreamed(boolean debeziumSnapshot) {
        if (debeziumSnapshot) return "tenant " + tenantKind() + "s consolidated into one set of tables take the bulk load's snapshot, not Debezium's:"
                + " leave out `snapshot method = 'debezium'`";
        // a partition's TRUNCATE empties a target partition: every tenant's rows (an UNLOGGED table is copied again at the cutover, its tenant's rows alone)
        List<String> whole = shares.stream().filter(s -> s.source().isPartitioned()).map(s -> named(s) + " (partitioned)").toList();
        if (!whole.isEmpty()) {
            return "a live migration does not stream partitioned tables of consolidated tenant " + tenantKind() + "s yet: " + String.join(", ", whole)
                    + "; move the data with `with snapshot only`";
        }
        // a table without a primary key streams as any keyless table does (REPLICA IDENTITY FULL, each row matched by its columns), under its tenant key
        return null;
    }

    /** A share as a refusal names it: a tenant database's with its database (its table's name is every database's). */
    private String named(TablePlan share) {
        return databases ? share.label() : share.source().name().toString();
    }

    /** The tenants table's name, in the schema the tenant schemas are consolidated into. */
    public static final String TENANTS_TABLE = "tenants";

    /** The column of the tenants table that names each tenant's source schema. */
    public static final String SCHEMA_COLUMN = "schema_name";

    /** The same when databases are consolidated. */
    public static final String DATABASE_COLUMN = "database_name";

    public Optional<Tenant> tenant(String name) {
        return tenants.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** The shares of one consolidated table, by its target name. */
    public List<TablePlan> sharesOf(QualifiedName target) {
        return shares.stream().filter(s -> s.target().equals(target)).toList();
    }
}
