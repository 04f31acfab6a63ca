package io.citusmigrate.sink;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.List;
import java.util.Map;

/**
 * How the sink writes one source table: the plan's view of it, as the {@code citus.tables}
 * setting carries it (JSON, produced by citus-migrate from the plan).
 *
 * @param source             the source table, "schema.table" as Debezium names it
 * @param targetSchema       target schema (unquoted)
 * @param targetTable        target table (unquoted)
 * @param distributionColumn the tenant key on the target; null for reference and local tables
 * @param tenantAdded        the target gained the column: its value comes from the parent
 * @param key                the source primary key columns
 * @param parent             the one hop on the target that gives the tenant key (tenantAdded only)
 * @param sourcePath         the hops on the source, for parents not on the target yet
 * @param hasChildren        other tables take their tenant key from this one
 * @param tenantValue        a tenant schema's table consolidated with the other tenants': every row's tenant key (as text); else null
 */
public record TableRule(String source, String targetSchema, String targetTable, String distributionColumn, boolean tenantAdded,
                        List<String> key, Hop parent, List<Hop> sourcePath, boolean hasChildren, String tenantValue) {

    public TableRule(String source, String targetSchema, String targetTable, String distributionColumn, boolean tenantAdded,
                     List<String> key, Hop parent, List<Hop> sourcePath, boolean hasChildren) {
        this(source, targetSchema, targetTable, distributionColumn, tenantAdded, key, parent, sourcePath, hasChildren, null);
    }

    /** A foreign-key hop: rows of {@code table}'s child find their parent where columns = parentColumns. */
    public record Hop(String child, List<String> columns, String parentSchema, String parentTable, List<String> parentColumns) {}

    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    public static Map<String, TableRule> parse(String json) {
        try {
            List<TableRule> rules = JSON.readValue(json, new TypeReference<List<TableRule>>() { });
            Map<String, TableRule> out = new java.util.LinkedHashMap<>();
            for (TableRule r : rules) out.put(r.source(), r);
            return out;
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("citus.tables is not valid JSON: " + e.getMessage());
        }
    }

    /** One rule as JSON, as {@link #parseOne} reads it. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static TableRule parseOne(String json) {
        try {
            return JSON.readValue(json, TableRule.class);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("not a table rule: " + e.getMessage());
        }
    }

    public static String toJson(List<TableRule> rules) {
        try {
            return JSON.writeValueAsString(rules);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public String target() {
        return io.citusmigrate.sql.Sql.ident(targetSchema) + "." + io.citusmigrate.sql.Sql.ident(targetTable);
    }
}
