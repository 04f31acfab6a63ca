package io.citusmigrate.copy;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The hash Citus places a row by, computed on the source: the default hash function of the
 * distribution column's type, which PostgreSQL keeps the same across versions (hash partitions
 * depend on it). Only built-in types whose hash is known are here; a table distributed by any
 * other goes through the coordinator. Text is hashed under "C": with a deterministic collation
 * hashtext hashes the bytes, whatever the collation.
 */
record ShardHash(String function, String argType, List<String> samples) {
    private static final List<String> INTS = List.of("0", "1", "-1", "42", "1000", "-32768", "32767");
    private static final List<String> TEXTS = List.of("", "a", "Tenant 42", "tenant 42", "\u00c4\u00f6-\u00df", "x\ty");
    private static final Map<String, ShardHash> BY_TYPE = Map.of(
            "smallint", new ShardHash("hashint2", "smallint", INTS),
            "integer", new ShardHash("hashint4", "integer", concat(INTS, "2147483647", "-2147483648")),
            "bigint", new ShardHash("hashint8", "bigint", concat(INTS, "2147483648", "9223372036854775807", "-9000000000")),
            "text", new ShardHash("hashtext", "text", TEXTS),
            "character varying", new ShardHash("hashtext", "text", TEXTS),
            "uuid", new ShardHash("uuid_hash", "uuid", List.of("00000000-0000-0000-0000-000000000000",
                    "123e4567-e89b-12d3-a456-426614174000", "ffffffff-ffff-ffff-ffff-ffffffffffff")));

    /** The hash of a distribution column of this type (format_type's spelling, typmod allowed), if known. */
    static Optional<ShardHash> forType(io.citusmigrate.catalog.TypeRef type) {
        if (type.userType() != null || type.array()) return Optional.empty();
        return Optional.ofNullable(BY_TYPE.get(type.withoutTypmod()));
    }

    /** The SQL of the hash of {@code expression}. */
    String of(String expression) {
        String arg = "CAST((" + expression + ") AS " + argType + ")";
        return function + "(" + (argType.equals("text") ? arg + " COLLATE \"C\"" : arg) + ")";
    }

    private static List<String> concat(List<String> a, String... more) {
        List<String> out = new java.util.ArrayList<>(a);
        out.addAll(List.of(more));
        return List.copyOf(out);
    }
}
