package io.citusmigrate.catalog;

import java.util.List;

/** A view or materialized view, with the relations it reads. */
public record View(QualifiedName name, boolean materialized, String definition, List<QualifiedName> dependsOn) {}
