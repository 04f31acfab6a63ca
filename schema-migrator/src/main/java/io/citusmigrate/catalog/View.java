package io.citusmigrate.catalog;

import java.util.List;

/** A view or materialized view, with the relations it reads; a materialized view's indexes as PostgreSQL renders them. */
public record View(QualifiedName name, boolean materialized, String definition, List<QualifiedName> dependsOn, List<String> indexes) {
    public View(QualifiedName name, boolean materialized, String definition, List<QualifiedName> dependsOn) {
        this(name, materialized, definition, dependsOn, List.of());
    }
}
