package io.citusmigrate.catalog;

/**
 * A column's type. {@code sql} is PostgreSQL's own rendering with its typmod
 * ({@code numeric(20,10)}, {@code character varying(40)[]}). For a user-defined type,
 * {@code userType} names its element type so that schema renames can follow it.
 */
public record TypeRef(String sql, QualifiedName userType, boolean array, char typtype) {
    public static TypeRef builtin(String sql) {
        return new TypeRef(sql, null, false, 'b');
    }

    /** The type name without its modifier, e.g. {@code numeric} for {@code numeric(20,10)}. */
    public String withoutTypmod() {
        return sql.replaceAll("\\(.*?\\)", "");
    }
}
