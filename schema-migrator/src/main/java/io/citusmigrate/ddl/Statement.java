package io.citusmigrate.ddl;

/**
 * One DDL statement of the target schema, with the step it belongs to and what it makes;
 * {@code table} the target table it works on, where the work grows with the table's rows
 * (keys, indexes, foreign keys, statistics), else null.
 */
public record Statement(Step step, String what, String sql, io.citusmigrate.catalog.QualifiedName table) {
    public Statement(Step step, String what, String sql) {
        this(step, what, sql, null);
    }

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
