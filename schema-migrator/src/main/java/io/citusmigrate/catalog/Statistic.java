package io.citusmigrate.catalog;

/** An extended statistics object (CREATE STATISTICS) on a table, its definition as PostgreSQL renders it. */
public record Statistic(QualifiedName name, QualifiedName table, String definition) {}
