package io.citusmigrate.steps;

import java.sql.SQLException;
import java.util.Set;

/**
 * One step of a migration, with one job. It reads the run ({@link Migration}) and the typed
 * outputs of the steps before it, and hands on its own; it never runs another step. Its name is
 * the pipeline's ({@link Steps#choose}).
 */
interface Step {
    /** Runs the step; false when the run must stop here with exit status 1 (it has said why). */
    boolean run(Migration m, Outputs in) throws SQLException, InterruptedException;

    /**
     * The outputs it reads with {@link Outputs#get} under these settings: an earlier step of its
     * pipeline (or the resume point) must hand them on, which the pipeline checks when it is built.
     */
    default Set<Class<?>> needs(MigrationSettings s) {
        return Set.of();
    }

    /** The outputs it hands on. */
    default Set<Class<?>> makes() {
        return Set.of();
    }

    /** A step of the pipeline under its name. */
    record Named(StepName name, Step step) {}
}
