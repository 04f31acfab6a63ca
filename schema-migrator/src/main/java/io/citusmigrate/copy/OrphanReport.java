package io.citusmigrate.copy;

import java.util.List;

/** Rows of one table whose path to the tenant is NULL or dangling. */
public record OrphanReport(String table, long count, List<String> firstKeys, String path) {
    @Override
    public String toString() {
        return table + ": " + count + " orphan row" + (count == 1 ? "" : "s") + " (no tenant key along " + path + "), first keys: "
                + String.join("; ", firstKeys);
    }
}
