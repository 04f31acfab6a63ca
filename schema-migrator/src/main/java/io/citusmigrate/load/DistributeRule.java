package io.citusmigrate.load;

import java.util.List;

/**
 * {@code distribute T using C [from P, ...] [colocate with 'X']},
 * {@code distribute T as reference table}, or
 * {@code distribute schemas matching PATTERN, ...}: each source schema matched becomes a
 * distributed schema on Citus (schema-based sharding), its tables kept as they are, together on one node; or
 * {@code distribute schemas matching PATTERN, ... into 'S' using C}: the schemas matched, one per tenant,
 * consolidated into one set of tables in schema S, each row with its schema's tenant key in a column C; or
 * {@code distribute databases matching PATTERN, ... into 'S' using C}: the same for the source server's
 * databases matched, one per tenant (their tables keep their names; the tenants table goes into S).
 * Either consolidation may end {@code from T (N, K)}: each tenant's key is column K of the row of the
 * source's table T whose column N holds the tenant's schema or database name ({@link TenantMap}).
 */
public record DistributeRule(TableRef table, String column, List<TableRef> from, TableRef colocateWith,
                             boolean reference, Position at, Position columnAt, List<NamePattern> schemas, String intoSchema,
                             boolean databases, TenantMap tenantMap) {

    /** {@code from T (N, K)}: the tenant keys a table of the source gives, by schema or database name. */
    public record TenantMap(TableRef table, String nameColumn, String keyColumn, Position at) {
        @Override
        public String toString() {
            return table + " (" + nameColumn + ", " + keyColumn + ")";
        }
    }

    public DistributeRule(TableRef table, String column, List<TableRef> from, TableRef colocateWith, boolean reference, Position at,
                          Position columnAt, List<NamePattern> schemas, String intoSchema) {
        this(table, column, from, colocateWith, reference, at, columnAt, schemas, intoSchema, false, null);
    }

    public DistributeRule(TableRef table, String column, List<TableRef> from, TableRef colocateWith, boolean reference, Position at, Position columnAt) {
        this(table, column, from, colocateWith, reference, at, columnAt, List.of(), null);
    }

    /** {@code distribute schemas matching ...}. */
    public static DistributeRule schemas(List<NamePattern> patterns, Position at) {
        return new DistributeRule(null, null, List.of(), null, false, at, null, List.copyOf(patterns), null);
    }

    /** {@code distribute schemas matching ... into 'S' using C}. */
    public static DistributeRule consolidation(List<NamePattern> patterns, String intoSchema, String tenantKey, Position at, Position columnAt) {
        return consolidation(patterns, intoSchema, tenantKey, at, columnAt, false, null);
    }

    /** Either consolidation, with the tenant keys from a mapping of the source (null: numbered and recorded on the target). */
    public static DistributeRule consolidation(List<NamePattern> patterns, String intoSchema, String tenantKey, Position at, Position columnAt,
                                               boolean databases, TenantMap map) {
        return new DistributeRule(null, tenantKey, List.of(), null, false, at, columnAt, List.copyOf(patterns), intoSchema, databases, map);
    }

    /** {@code distribute databases matching ... into 'S' using C}: {@link #schemas} then match the source server's databases. */
    public static DistributeRule databases(List<NamePattern> patterns, String intoSchema, String tenantKey, Position at, Position columnAt) {
        return consolidation(patterns, intoSchema, tenantKey, at, columnAt, true, null);
    }

    /** Schema-based sharding: each schema matched a distributed schema. */
    public boolean isSchemaRule() {
        return !schemas.isEmpty() && intoSchema == null;
    }

    /** The tenant schemas matched consolidated into one set of tables with a tenant key. */
    public boolean isConsolidation() {
        return intoSchema != null;
    }

    @Override
    public String toString() {
        if (!schemas.isEmpty()) return "distribute " + (databases ? "databases" : "schemas") + " matching " + String.join(", ", schemas.stream().map(NamePattern::toString).toList())
                + (intoSchema == null ? "" : " into '" + intoSchema + "' using " + column) + (tenantMap == null ? "" : " from " + tenantMap);
        if (reference) return "distribute " + table + " as reference table";
        StringBuilder b = new StringBuilder("distribute " + table + " using " + column);
        if (!from.isEmpty()) b.append(" from ").append(String.join(", ", from.stream().map(TableRef::toString).toList()));
        if (colocateWith != null) b.append(" colocate with '").append(colocateWith).append("'");
        return b.toString();
    }
}
