package io.citusmigrate.plan;

import io.citusmigrate.catalog.QualifiedName;

import java.util.List;

/**
 * One step of a back-fill path, in source names: rows of {@code child} find their parent row
 * where {@code childColumns = parentColumns}.
 */
public record Hop(QualifiedName child, List<String> childColumns, QualifiedName parent, List<String> parentColumns,
                  String foreignKey) {
    @Override
    public String toString() {
        return child.name() + "(" + String.join(", ", childColumns) + ") -> " + parent.name() + "(" + String.join(", ", parentColumns) + ")";
    }
}
