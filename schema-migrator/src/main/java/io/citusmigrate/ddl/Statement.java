package io.citusmigrate.ddl;

/** One DDL statement of the target schema, with the step it belongs to and what it makes. */
public record Statement(Step step, String what, String sql) {
    /** The steps, in the order they run. Data loads between DISTRIBUTE and KEYS. */
    public enum Step {
        DROP, SCHEMAS, TYPES, SEQUENCES, TABLES, DISTRIBUTE, KEYS, INDEXES, FOREIGN_KEYS, VALIDATE, POST_DATA
    }
}
