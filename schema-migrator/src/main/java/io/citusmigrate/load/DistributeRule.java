package io.citusmigrate.load;

import java.util.List;

/**
 * {@code distribute T using C [from P, ...] [colocate with 'X']},
 * {@code distribute T as reference table}, or
 * {@code distribute schemas matching PATTERN, ...}: each source schema matched becomes a
 * distributed schema on Citus (schema-based sharding), its tables kept as they are, together on one node.
 */
public record DistributeRule(TableRef table, String column, List<TableRef> from, TableRef colocateWith,
                             boolean reference, Position at, Position columnAt, List<NamePattern> schemas) {

    public DistributeRule(TableRef table, String column, List<TableRef> from, TableRef colocateWith, boolean reference, Position at, Position columnAt) {
        this(table, column, from, colocateWith, reference, at, columnAt, List.of());
    }

    /** {@code distribute schemas matching ...}. */
    public static DistributeRule schemas(List<NamePattern> patterns, Position at) {
        return new DistributeRule(null, null, List.of(), null, false, at, null, List.copyOf(patterns));
    }

    public boolean isSchemaRule() {
        return !schemas.isEmpty();
    }

    @Override
    public String toString() {
        if (isSchemaRule()) return "distribute schemas matching " + String.join(", ", schemas.stream().map(NamePattern::toString).toList());
        if (reference) return "distribute " + table + " as reference table";
        StringBuilder b = new StringBuilder("distribute " + table + " using " + column);
        if (!from.isEmpty()) b.append(" from ").append(String.join(", ", from.stream().map(TableRef::toString).toList()));
        if (colocateWith != null) b.append(" colocate with '").append(colocateWith).append("'");
        return b.toString();
    }
}
