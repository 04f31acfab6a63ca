package io.citusmigrate.load;

import java.util.List;

/**
 * Every WITH option of the language. {@code implemented} says whether this version acts on it.
 * One it does not act on is either meaningless for a load into Citus ({@link #meansNothing}: said
 * once, with why, and nothing written changes) or refused before anything is written
 * ({@link #refused}, with the reason): never ignored silently.
 */
public enum Option {
    INCLUDE_DROP(Kind.FLAG, true, true),
    TRUNCATE(Kind.FLAG, false, true),
    DISABLE_TRIGGERS(Kind.FLAG, false, true),
    CREATE_TABLES(Kind.FLAG, true, true),
    CREATE_INDEXES(Kind.FLAG, true, true),
    DROP_INDEXES(Kind.FLAG, false, true),
    REINDEX(Kind.FLAG, false, true),
    CREATE_SCHEMA(Kind.FLAG, true, true),
    DROP_SCHEMA(Kind.FLAG, false, true),
    FOREIGN_KEYS(Kind.FLAG, true, true),
    RESET_SEQUENCES(Kind.FLAG, true, true),
    SCHEMA_ONLY(Kind.FLAG, false, true),
    DATA_ONLY(Kind.FLAG, false, true),
    WORKERS(Kind.INT, 4, true),
    CONCURRENCY(Kind.INT, 4, true),
    MAX_PARALLEL_CREATE_INDEX(Kind.INT, 2, true),
    BATCH_ROWS(Kind.INT, 25000, false),
    BATCH_SIZE(Kind.SIZE, 20L << 20, false),
    PREFETCH_ROWS(Kind.INT, 100000, false),
    ROWS_PER_RANGE(Kind.INT, 250_000, true),
    CHUNK_SIZE(Kind.SIZE, 256L << 20, true),
    READERS_PER_THREAD(Kind.CHOICE, "single", false),
    ON_ERROR(Kind.CHOICE, "stop", true),
    INDEX_NAMES(Kind.CHOICE, "preserve", true),
    // citus-migrate's own
    SNAPSHOT_ONLY(Kind.FLAG, false, true),
    SNAPSHOT_METHOD(Kind.STRING, "copy", true),
    SLOT_NAME(Kind.STRING, null, true),
    PUBLICATION_NAME(Kind.STRING, null, true),
    ON_ORPHAN_ROWS(Kind.CHOICE, "stop", true),
    REJECT_DIRECTORY(Kind.STRING, null, true),
    /** How long a live migration keeps retrying a batch whose connection was lost before it stops. */
    RETRY_SECONDS(Kind.INT, 600, true),
    CREATE_ROLES(Kind.FLAG, false, true),
    /** The bulk load writes a distributed table's rows straight into its shards on the workers (else through the coordinator). */
    COPY_TO_SHARDS(Kind.FLAG, true, true);

    public enum Kind { FLAG, INT, SIZE, STRING, CHOICE }

    public final Kind kind;
    public final Object defaultValue;
    public final boolean implemented;

    Option(Kind kind, Object defaultValue, boolean implemented) {
        this.kind = kind;
        this.defaultValue = defaultValue;
        this.implemented = implemented;
    }

    /** One way of writing an option: its words, and the value they give (null: a value follows '='). */
    record Phrase(List<String> words, Option option, Object value) {
        String text() {
            return String.join(" ", words);
        }
    }

    static final List<Phrase> PHRASES = List.of(
            p("include drop", INCLUDE_DROP, true), p("include no drop", INCLUDE_DROP, false),
            p("truncate", TRUNCATE, true), p("no truncate", TRUNCATE, false),
            p("disable triggers", DISABLE_TRIGGERS, true),
            p("create tables", CREATE_TABLES, true), p("create no tables", CREATE_TABLES, false),
            p("create indexes", CREATE_INDEXES, true), p("create no indexes", CREATE_INDEXES, false),
            p("drop indexes", DROP_INDEXES, true),
            p("reindex", REINDEX, true),
            p("create schema", CREATE_SCHEMA, true), p("create no schema", CREATE_SCHEMA, false),
            p("drop schema", DROP_SCHEMA, true),
            p("foreign keys", FOREIGN_KEYS, true), p("no foreign keys", FOREIGN_KEYS, false),
            p("reset sequences", RESET_SEQUENCES, true), p("reset no sequences", RESET_SEQUENCES, false),
            p("schema only", SCHEMA_ONLY, true), p("data only", DATA_ONLY, true),
            p("workers", WORKERS, null), p("concurrency", CONCURRENCY, null),
            p("max parallel create index", MAX_PARALLEL_CREATE_INDEX, null),
            p("batch rows", BATCH_ROWS, null), p("batch size", BATCH_SIZE, null),
            p("prefetch rows", PREFETCH_ROWS, null), p("rows per range", ROWS_PER_RANGE, null),
            p("chunk size", CHUNK_SIZE, null),
            p("single reader per thread", READERS_PER_THREAD, "single"),
            p("multiple readers per thread", READERS_PER_THREAD, "multiple"),
            p("on error stop", ON_ERROR, "stop"), p("on error resume next", ON_ERROR, "resume next"),
            p("uniquify index names", INDEX_NAMES, "uniquify"), p("preserve index names", INDEX_NAMES, "preserve"),
            p("snapshot only", SNAPSHOT_ONLY, true),
            p("snapshot method", SNAPSHOT_METHOD, null),
            p("slot name", SLOT_NAME, null), p("publication name", PUBLICATION_NAME, null),
            p("on orphan rows stop", ON_ORPHAN_ROWS, "stop"), p("on orphan rows skip", ON_ORPHAN_ROWS, "skip"),
            p("reject directory", REJECT_DIRECTORY, null), p("retry seconds", RETRY_SECONDS, null),
            p("create roles", CREATE_ROLES, true), p("create no roles", CREATE_ROLES, false),
            p("copy to shards", COPY_TO_SHARDS, true), p("copy through coordinator", COPY_TO_SHARDS, false));

    private static Phrase p(String words, Option o, Object value) {
        return new Phrase(List.of(words.split(" ")), o, value);
    }

    /**
     * Why an option pgloader knows means nothing for this load (said once, changing nothing);
     * null when it acts or is refused.
     */
    public String meansNothing() {
        return switch (this) {
            case BATCH_ROWS, BATCH_SIZE, PREFETCH_ROWS -> "rows travel as one COPY stream per table or page range, not in batches;"
                    + " `workers` and `rows per range` set the parallelism";
            case READERS_PER_THREAD -> "each copy thread reads one table or page range; `workers` sets how many";
            default -> null;
        };
    }

    /** Why an option is refused before anything is written; null when it acts or means nothing. */
    public String refused() {
        return null;
    }

    /** The option as a user writes it, for messages. */
    public String label() {
        return name().toLowerCase().replace('_', ' ');
    }
}
