package io.citusmigrate.catalog;

import java.util.List;

/**
 * A user-defined operator or cast: {@code kind} "operator" or "cast", {@code name} how PostgreSQL
 * names it ({@code s.===(integer, integer)}, {@code (s.mood AS integer)}), its CREATE and DROP
 * statements, and the schemas it touches.
 */
public record OperatorOrCast(String kind, String name, String definition, String dropStatement, List<String> schemas) {}
