package io.citusmigrate.catalog;

import java.util.List;

/**
 * A foreign key. Actions use pg_constraint's letters: a no action, r restrict, c cascade,
 * n set null, d set default. {@code match} is f (FULL), p (PARTIAL) or s (SIMPLE).
 * {@code onDeleteSetColumns} is PostgreSQL 15's {@code ON DELETE SET NULL (cols)} list.
 */
public record ForeignKey(String name, List<String> columns, QualifiedName refTable, List<String> refColumns,
                         char onUpdate, char onDelete, List<String> onDeleteSetColumns, char match,
                         boolean deferrable, boolean initiallyDeferred, boolean validated) {

    public ForeignKey with(List<String> cols, QualifiedName ref, List<String> refCols, char upd, char del, List<String> delCols) {
        return new ForeignKey(name, cols, ref, refCols, upd, del, delCols, match, deferrable, initiallyDeferred, validated);
    }

    public static String action(char a) {
        return switch (a) {
            case 'r' -> "RESTRICT";
            case 'c' -> "CASCADE";
            case 'n' -> "SET NULL";
            case 'd' -> "SET DEFAULT";
            default -> "NO ACTION";
        };
    }
}
