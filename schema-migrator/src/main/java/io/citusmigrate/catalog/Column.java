package io.citusmigrate.catalog;

/**
 * A table column. {@code identity} is 'a' (ALWAYS), 'd' (BY DEFAULT) or 0; {@code generated}
 * holds the expression of a stored generated column.
 */
public record Column(int num, String name, TypeRef type, String defaultExpr, boolean notNull,
                     char identity, String generated, String collation, String comment) {

    public Column withType(TypeRef t) {
        return new Column(num, name, t, defaultExpr, notNull, identity, generated, collation, comment);
    }

    public Column withDefault(String d) {
        return new Column(num, name, type, d, notNull, identity, generated, collation, comment);
    }

    public Column withNotNull(boolean nn) {
        return new Column(num, name, type, defaultExpr, nn, identity, generated, collation, comment);
    }

    public boolean isAutoIncrement() {
        return identity != 0 || (defaultExpr != null && defaultExpr.startsWith("nextval("));
    }
}
