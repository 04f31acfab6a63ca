package io.citusmigrate.steps;

import java.sql.SQLException;

/** One named step of a migration, with one job. */
interface Step {
    /** The step's name (see {@link StepName}). */
    StepName name();

    /** Runs the step; false when the run must stop here with exit status 1 (it has said why). */
    boolean run(Migration m) throws SQLException, InterruptedException;
}
