package io.citusmigrate.catalog;

/**
 * A sequence. {@code ownedBy*} name the column that owns it; {@code identity} marks the
 * implicit sequence of an identity column (created by the column, not on its own).
 */
public record Sequence(QualifiedName name, String type, long start, long increment, long min, long max,
                       long cache, boolean cycle, QualifiedName ownedByTable, String ownedByColumn, boolean identity) {
    /** The same sequence owned by its table under another name. */
    public Sequence ownedBy(QualifiedName table) {
        return new Sequence(name, type, start, increment, min, max, cache, cycle, table, ownedByColumn, identity);
    }
}
