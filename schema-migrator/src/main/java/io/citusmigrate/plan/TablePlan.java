package io.citusmigrate.plan;

import io.citusmigrate.catalog.Column;
import io.citusmigrate.catalog.Constraint;
import io.citusmigrate.catalog.ForeignKey;
import io.citusmigrate.catalog.Index;
import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.catalog.Table;
import io.citusmigrate.catalog.Trigger;

import java.util.List;
import java.util.Map;

/**
 * How one source table becomes a target table: its kind, distribution column, back-fill path,
 * and the rewritten definition (target names, casts applied, keys extended).
 */
public record TablePlan(
        Table source,
        QualifiedName target,
        QualifiedName partitionOf,   // target name of the parent, for a partition
        Kind kind,
        String distributionColumn,   // target column; null unless distributed
        boolean tenantColumnAdded,
        QualifiedName colocateWith,  // target name of the colocation root; null for a root
        List<Hop> backfillPath,      // empty when the table carries the distribution column itself
        String derivation,           // why it has this kind: a rule, a foreign key, a reference
        List<Column> columns,
        List<Constraint> constraints,
        List<ForeignKey> foreignKeys,
        List<Index> indexes,
        List<Trigger> deferredTriggers,
        Map<String, String> storageParams,
        String tablespace,
        List<String> rewrites,
        String tenantValue,           // a tenant schema's share of a consolidated table: the tenant key of all its rows (as text)
        String tenantName) {          // and the tenant's name (its schema, or its database)

    public TablePlan(Table source, QualifiedName target, QualifiedName partitionOf, Kind kind, String distributionColumn, boolean tenantColumnAdded,
                     QualifiedName colocateWith, List<Hop> backfillPath, String derivation, List<Column> columns, List<Constraint> constraints,
                     List<ForeignKey> foreignKeys, List<Index> indexes, List<Trigger> deferredTriggers, Map<String, String> storageParams,
                     String tablespace, List<String> rewrites) {
        this(source, target, partitionOf, kind, distributionColumn, tenantColumnAdded, colocateWith, backfillPath, derivation, columns,
                constraints, foreignKeys, indexes, deferredTriggers, storageParams, tablespace, rewrites, null, null);
    }

    public enum Kind {
        DISTRIBUTED, REFERENCE, LOCAL,
        /** In a distributed schema (schema-based sharding): the table whole, with its schema's others, on one node. */
        SCHEMA;

        public String label() {
            return this == SCHEMA ? "distributed schema" : name().toLowerCase();
        }
    }

    public boolean isPartition() {
        return source.isPartition();
    }

    /** The same plan for the table under other names (on the source and the target). */
    public TablePlan withNames(QualifiedName sourceName, QualifiedName targetName) {
        return new TablePlan(source.withName(sourceName), targetName, partitionOf, kind, distributionColumn, tenantColumnAdded, colocateWith,
                backfillPath, derivation, columns, constraints, foreignKeys, indexes, deferredTriggers, storageParams, tablespace, rewrites, tenantValue, tenantName);
    }

    /** The same plan with other foreign keys (target names, keys extended). */
    public TablePlan withForeignKeys(List<ForeignKey> fks) {
        return new TablePlan(source, target, partitionOf, kind, distributionColumn, tenantColumnAdded, colocateWith, backfillPath, derivation, columns,
                constraints, List.copyOf(fks), indexes, deferredTriggers, storageParams, tablespace, rewrites, tenantValue, tenantName);
    }

    /** One tenant schema's share of this consolidated table: its rows read from {@code source}, each given the tenant key {@code value}. */
    public TablePlan forTenant(Table source, String value) {
        return forTenant(source, value, source.name().schema());
    }

    /** The same for a tenant named otherwise than its table's schema (a tenant database). */
    public TablePlan forTenant(Table source, String value, String name) {
        return new TablePlan(source, target, partitionOf, kind, distributionColumn, tenantColumnAdded, colocateWith,
                backfillPath, derivation, columns, constraints, foreignKeys, indexes, deferredTriggers, storageParams, tablespace, rewrites, value, name);
    }

    /** How reports name this table's rows: its target, and for a tenant schema's share the schema too. */
    public String label() {
        return tenantValue == null ? target.toString() : target + " (" + tenantName + ")";
    }

    /** Whether the tenant key of every row is one value (a tenant schema's share of a consolidated table). */
    public boolean constantTenant() {
        return tenantValue != null;
    }

    /** Whether this table's plan leads through another (by its target name): a foreign key, its tenant key's path or its parent. */
    public boolean leadsThrough(QualifiedName other) {
        return other.equals(partitionOf) || foreignKeys.stream().anyMatch(k -> other.equals(k.refTable()))
                || backfillPath.stream().anyMatch(h -> other.equals(h.parent()));
    }
}
