package io.citusmigrate.ddl;

/** One DDL statement of the target schema, with the step it belongs to and what it makes. */
public record Statement(Step step, String what, String sql) {
    /**
     * The steps, in the order they run. Data loads between LATE_ROUTINES and KEYS; ACCESS (owners,
     * privileges, row-level security) comes last, so that the bulk load is not subject to it.
     */
    public enum Step {
        DROP, SCHEMAS, TYPES, ROUTINES, SEQUENCES, TABLES, DISTRIBUTE, LATE_ROUTINES, KEYS, INDEXES, FOREIGN_KEYS, VALIDATE, POST_DATA, ACCESS, TRIGGERS,
        /** Statistics for the planner, once the rows are there (the application's first queries get real plans). */
        ANALYZE,
        /** Materialized views read again after a live migration's cutover. */
        REFRESH
    }
}
