package io.citusmigrate.catalog;

import java.util.List;

/**
 * An index that does not back a constraint. Each key is PostgreSQL's rendering of the key
 * column or expression; {@code keyColumns} are the plain columns among the keys (for the
 * distribution-column check).
 */
public record Index(String name, boolean unique, String method, List<Key> keys, List<String> keyColumns,
                    List<String> include, String predicate, boolean nullsNotDistinct, String definition) {

    /** A key: expression, non-default opclass (or null), and ordering suffix (" DESC" ...). */
    public record Key(String expression, String opclass, String ordering) {}

    public Index withName(String n) {
        return new Index(n, unique, method, keys, keyColumns, include, predicate, nullsNotDistinct, definition);
    }

    public Index withKeys(List<Key> k, List<String> kc) {
        return new Index(name, unique, method, k, kc, include, predicate, nullsNotDistinct, definition);
    }
}
