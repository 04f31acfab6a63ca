package io.citusmigrate.catalog;

import java.util.List;
import java.util.Optional;

/**
 * A table of the source: an ordinary table, a partitioned table ({@code partitionKey} set) or
 * a partition ({@code partitionOf} and {@code partitionBound} set).
 */
public record Table(long oid, QualifiedName name, List<Column> columns, List<Constraint> constraints,
                    List<ForeignKey> foreignKeys, List<Index> indexes, List<Trigger> triggers,
                    String partitionKey, QualifiedName partitionOf, String partitionBound,
                    String comment, long estimatedRows, boolean unlogged) {

    /** UNLOGGED: logical decoding never sees its changes. */
    public Table(long oid, QualifiedName name, List<Column> columns, List<Constraint> constraints, List<ForeignKey> foreignKeys,
                 List<Index> indexes, List<Trigger> triggers, String partitionKey, QualifiedName partitionOf, String partitionBound,
                 String comment, long estimatedRows) {
        this(oid, name, columns, constraints, foreignKeys, indexes, triggers, partitionKey, partitionOf, partitionBound, comment, estimatedRows, false);
    }

    public Optional<Column> column(String n) {
        return columns.stream().filter(c -> c.name().equals(n)).findFirst();
    }

    public Optional<Constraint> primaryKey() {
        return constraints.stream().filter(c -> c.kind() == Constraint.Kind.PRIMARY_KEY).findFirst();
    }

    public boolean isPartition() {
        return partitionOf != null;
    }

    public boolean isPartitioned() {
        return partitionKey != null;
    }

    public Table withName(QualifiedName n) {
        return new Table(oid, n, columns, constraints, foreignKeys, indexes, triggers, partitionKey, partitionOf, partitionBound, comment, estimatedRows, unlogged);
    }

    public Table withColumns(List<Column> cols) {
        return new Table(oid, name, cols, constraints, foreignKeys, indexes, triggers, partitionKey, partitionOf, partitionBound, comment, estimatedRows, unlogged);
    }

    public Table withConstraints(List<Constraint> cs) {
        return new Table(oid, name, columns, cs, foreignKeys, indexes, triggers, partitionKey, partitionOf, partitionBound, comment, estimatedRows, unlogged);
    }

    public Table withForeignKeys(List<ForeignKey> fks) {
        return new Table(oid, name, columns, constraints, fks, indexes, triggers, partitionKey, partitionOf, partitionBound, comment, estimatedRows, unlogged);
    }

    public Table withIndexes(List<Index> ix) {
        return new Table(oid, name, columns, constraints, foreignKeys, ix, triggers, partitionKey, partitionOf, partitionBound, comment, estimatedRows, unlogged);
    }
}
