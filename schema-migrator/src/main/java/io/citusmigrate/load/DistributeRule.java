package io.citusmigrate.load;

import java.util.List;

/**
 * {@code distribute T using C [from P, ...] [colocate with 'X']} or
 * {@code distribute T as reference table}.
 */
public record DistributeRule(TableRef table, String column, List<TableRef> from, TableRef colocateWith,
                             boolean reference, Position at, Position columnAt) {
    @Override
    public String toString() {
        if (reference) return "distribute " + table + " as reference table";
        StringBuilder b = new StringBuilder("distribute " + table + " using " + column);
        if (!from.isEmpty()) b.append(" from ").append(String.join(", ", from.stream().map(TableRef::toString).toList()));
        if (colocateWith != null) b.append(" colocate with '").append(colocateWith).append("'");
        return b.toString();
    }
}
