package io.citusmigrate.steps;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the steps of one run have handed on so far, by type: each output is an immutable record
 * made by one step (or given by the run: the resume point's, the summary's writer), handed on
 * once, and read by the steps after it; and the steps' times, which the runner hands on. A pipeline is checked when it is built ({@link PipelineCheck}); a step
 * that still finds an output missing fails saying which, instead of reading an empty field.
 */
final class Outputs {
    private final Map<Class<?>, Object> made = new LinkedHashMap<>();
    private Timings timings = Timings.none();
    /** A tenant database's outputs read the run's too. */
    private final Outputs run;
    private final Map<String, Outputs> databases = new LinkedHashMap<>();

    Outputs() {
        this(null);
    }

    private Outputs(Outputs run) {
        this.run = run;
    }

    /** What the steps run for one tenant database hand on ({@link EachDatabase}), kept apart from the others'. */
    Outputs forDatabase(String database) {
        return databases.computeIfAbsent(database, d -> new Outputs(this));
    }

    /** Each tenant database's outputs, in the order they were run. */
    java.util.Collection<Outputs> databases() {
        return databases.values();
    }

    /** Hands on a step's output; a second one of the same type is a pipeline built wrong. */
    void add(Object output) {
        if (made.putIfAbsent(output.getClass(), output) != null) {
            throw new IllegalStateException(output.getClass().getSimpleName() + " handed on twice in one run");
        }
    }

    /** The output an earlier step must have handed on. */
    <T> T get(Class<T> type) {
        return find(type).orElseThrow(() -> new IllegalStateException(
                "no earlier step handed on " + type.getSimpleName() + ": the pipeline is built wrong"));
    }

    /** The output, where an earlier step of this pipeline made one. */
    <T> Optional<T> find(Class<T> type) {
        return Optional.ofNullable(made.get(type)).map(type::cast).or(() -> run == null ? Optional.empty() : run.find(type));
    }

    /** The types handed on so far (what a resume point gave the pipeline, when it is built). */
    Set<Class<?>> types() {
        return Set.copyOf(made.keySet());
    }

    /** A step's time, which the runner took. */
    void timed(StepName step, double seconds) {
        timings = timings.and(step, seconds);
    }

    /** The times of the steps that have run. */
    Timings timings() {
        return timings;
    }
}
