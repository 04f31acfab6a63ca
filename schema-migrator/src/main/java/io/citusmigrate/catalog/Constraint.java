package io.citusmigrate.catalog;

import java.util.List;

/**
 * A PRIMARY KEY, UNIQUE, CHECK or EXCLUDE constraint. {@code definition} is
 * {@code pg_get_constraintdef}; {@code columns} the key columns for the unique kinds.
 */
public record Constraint(String name, Kind kind, List<String> columns, String definition,
                         boolean deferrable, boolean initiallyDeferred) {
    public enum Kind { PRIMARY_KEY, UNIQUE, CHECK, EXCLUDE }

    public Constraint withColumns(List<String> cols, String def) {
        return new Constraint(name, kind, cols, def, deferrable, initiallyDeferred);
    }
}
