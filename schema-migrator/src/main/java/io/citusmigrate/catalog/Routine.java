package io.citusmigrate.catalog;

/**
 * A function, procedure or aggregate. {@code kind} is pg_proc's prokind (f, p, a, w);
 * {@code definition} its CREATE OR REPLACE text; {@code late} when it needs a table to exist
 * (a table's row type in its signature, a SQL-standard body reading a table).
 */
public record Routine(QualifiedName name, String identityArgs, char kind, String language, String definition, boolean late) {

    /** How PostgreSQL names it in GRANT, ALTER ... OWNER and DROP: {@code "s"."f"(integer, text)}. */
    public String signature() {
        return name.sql() + "(" + identityArgs + ")";
    }

    public String keyword() {
        return switch (kind) {
            case 'p' -> "PROCEDURE";
            case 'a' -> "AGGREGATE";
            default -> "FUNCTION";
        };
    }
}
