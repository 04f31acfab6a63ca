package io.citusmigrate.copy;

import java.util.List;

/**
 * Rows of one table whose path to the tenant is NULL or dangling; {@code checksum} as the source's
 * rows are hashed; {@code nullKeysOnly} when they are the rows with a NULL in the first hop's
 * foreign key (see {@link Projection#checksumOfOrphans}).
 */
public record OrphanReport(String table, Checksum checksum, List<String> firstKeys, String path, boolean nullKeysOnly) {
    public long count() {
        return checksum.rows();
    }

    @Override
    public String toString() {
        return table + ": " + count() + " orphan row" + (count() == 1 ? "" : "s") + " (no tenant key along " + path + ")"
                + (firstKeys.isEmpty() ? "" : ", first keys: " + String.join("; ", firstKeys));
    }
}
