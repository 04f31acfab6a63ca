package io.citusmigrate.load;

import java.util.Set;

/**
 * A CAST rule: {@code type X [when default 'v'] [with extra auto_increment] to T [options]} or
 * {@code column t.c to T [options]}.
 */
public record CastRule(
        String sourceType,          // for a type rule, else null
        String whenDefault,         // type rule: only columns with this default
        boolean autoIncrement,      // type rule: only serial/identity columns
        TableRef table,             // for a column rule, else null
        String column,
        String targetType,
        Set<Flag> flags,
        String using,               // pgloader transform function name; not run here
        Position at) {

    public enum Flag { DROP_DEFAULT, KEEP_DEFAULT, DROP_NOT_NULL, KEEP_NOT_NULL, SET_NOT_NULL, DROP_TYPEMOD, KEEP_TYPEMOD }

    public boolean isColumnRule() {
        return table != null;
    }
}
