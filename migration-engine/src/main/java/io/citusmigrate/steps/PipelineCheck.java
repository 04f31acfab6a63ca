package io.citusmigrate.steps;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A pipeline checked as it is built: every step's inputs ({@link Step#needs}) are handed on by an
 * earlier step of it, or by the resume point, so a pipeline built wrong fails before its first
 * step instead of in the middle of a migration.
 */
final class PipelineCheck {
    private PipelineCheck() {}

    /**
     * The steps as given, once checked; an internal error names the first step whose input no
     * step before it makes.
     *
     * @param given what the resume point handed on before the pipeline's first step
     */
    static List<Step.Named> checked(List<Step.Named> steps, MigrationSettings s, Set<Class<?>> given) {
        Set<Class<?>> made = new HashSet<>(given);
        for (Step.Named step : steps) {
            Set<Class<?>> missing = new HashSet<>(step.step().needs(s));
            missing.removeAll(made);
            if (!missing.isEmpty()) {
                throw new IllegalStateException("internal error: the pipeline is built wrong: its step \"" + step.name().label()
                        + "\" needs " + missing.stream().map(Class::getSimpleName).sorted().collect(Collectors.joining(", "))
                        + ", which no step before it hands on");
            }
            made.addAll(step.step().makes());
        }
        return List.copyOf(steps);
    }
}
