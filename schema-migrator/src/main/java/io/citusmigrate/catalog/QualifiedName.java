package io.citusmigrate.catalog;

import io.citusmigrate.sql.Sql;

/** A schema-qualified object name, exactly as PostgreSQL stores it (not quoted, case kept). */
public record QualifiedName(String schema, String name) implements Comparable<QualifiedName> {
    public static QualifiedName of(String schema, String name) {
        return new QualifiedName(schema, name);
    }

    /** The name quoted the way PostgreSQL does, for SQL text. */
    public String sql() {
        return Sql.ident(schema) + "." + Sql.ident(name);
    }

    @Override
    public int compareTo(QualifiedName o) {
        int c = schema.compareTo(o.schema);
        return c != 0 ? c : name.compareTo(o.name);
    }

    @Override
    public String toString() {
        return sql();
    }
}
