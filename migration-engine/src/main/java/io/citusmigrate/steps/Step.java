package io.citusmigrate.steps;

import java.sql.SQLException;

/**
 * One step of a migration, with one job. It reads the run ({@link Migration}) and the typed
 * outputs of the steps before it, and hands on its own; it never runs another step. Its name is
 * the pipeline's ({@link Steps#choose}).
 */
interface Step {
    /** Runs the step; false when the run must stop here with exit status 1 (it has said why). */
    boolean run(Migration m, Outputs in) throws SQLException, InterruptedException;

    /** A step of the pipeline under its name. */
    record Named(StepName name, Step step) {}
}
