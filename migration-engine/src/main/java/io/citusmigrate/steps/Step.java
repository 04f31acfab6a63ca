package io.citusmigrate.steps;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
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
     * The outputs it reads with {@link Outputs#get} under these settings ({@link Needs}): an
     * earlier step of its pipeline (or the resume point) must hand them on, which the pipeline
     * checks when it is built.
     */
    default Set<Class<?>> needs(MigrationSettings s) {
        Needs needs = getClass().getAnnotation(Needs.class);
        return needs == null ? Set.of() : Set.of(needs.value());
    }

    /** The outputs it hands on ({@link Makes}). */
    default Set<Class<?>> makes() {
        Makes makes = getClass().getAnnotation(Makes.class);
        return makes == null ? Set.of() : Set.of(makes.value());
    }

    /** The outputs a step reads, whatever the settings. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @interface Needs {
        Class<?>[] value();
    }

    /** The outputs a step hands on. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @interface Makes {
        Class<?>[] value();
    }

    /** A step of the pipeline under its name. */
    record Named(StepName name, Step step) {}
}
